#include <bulwark/calibration/linear_calibrators.h>

#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ATen.h>

#include <bulwark/calibration/temperature_scaling.h>
#include <bulwark/core/error.h>
#include <bulwark/core/probabilities.h>
#include <bulwark/optim/lbfgs.h>
#include <bulwark/optim/newton.h>

namespace bulwark::calibration {

namespace {

double smallest_normal(at::ScalarType t) {
  return t == at::kDouble ? std::numeric_limits<double>::min()
                          : static_cast<double>(std::numeric_limits<float>::min());
}

void check_reg(double v, const char* where, const char* name) {
  BULWARK_CHECK(std::isfinite(v) && v >= 0, where, ": ", name, " must be a finite number >= 0, got ", v);
}

}  // namespace

AffineCalibrator::AffineCalibrator(bool diagonal, bool log_prob_input, bool logits, AffineFitOptions options)
    : diagonal_(diagonal), log_prob_input_(log_prob_input), logits_(logits), options_(options) {
  BULWARK_CHECK(options.gtol > 0 && options.max_iter >= 1,
                "AffineFitOptions: gtol must be > 0 and max_iter >= 1, got ", options.gtol, " and ",
                options.max_iter);
}

at::Tensor AffineCalibrator::features(const at::Tensor& scores) const {
  const at::Tensor s = scores.to(at::kCPU, at::kDouble);
  if (!log_prob_input_) return s;
  if (logits_) return at::log_softmax(s, 1);
  // log of probabilities, zeros clipped to the smallest normal number of the input's type
  // (as the reference implementation clips before the log).
  return s.clamp_min(smallest_normal(scores.scalar_type())).log();
}

void AffineCalibrator::fit_impl(const at::Tensor& scores, const at::Tensor& labels) {
  const std::string where_s = kind() + ".fit";
  const char* where = where_s.c_str();
  const at::Tensor x = features(scores).contiguous();
  const at::Tensor y = labels.to(at::kCPU, at::kLong);
  const int64_t n = x.size(0), k = x.size(1);
  const at::Tensor onehot = at::one_hot(y, k).to(at::kDouble);
  const at::Tensor eye = at::eye(k, at::kDouble);
  const at::Tensor offdiag_mask = 1 - eye;
  const Penalty pen = penalty(k);
  const int64_t w_size = diagonal_ ? k : k * k;
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const std::vector<int64_t> w_dims = diagonal_ ? std::vector<int64_t>{k} : std::vector<int64_t>{k, k};

  // Mean NLL of softmax(map(x)) plus the penalty, and its gradient, in float64.
  const optim::Objective objective = [&](const std::vector<double>& p, std::vector<double>& g) {
    at::NoGradGuard no_grad;
    const at::Tensor w = at::from_blob(const_cast<double*>(p.data()), w_dims, opts);
    const at::Tensor b = at::from_blob(const_cast<double*>(p.data()) + w_size, {k}, opts);
    const at::Tensor a = diagonal_ ? x * w + b : at::addmm(b, x, w.t());
    const at::Tensor logp = at::log_softmax(a, 1);
    double value = -(logp * onehot).sum().item<double>() / static_cast<double>(n);
    const at::Tensor d = (logp.exp() - onehot) / static_cast<double>(n);  // dNLL / da
    at::Tensor gw = diagonal_ ? (d * x).sum(0) : d.t().mm(x);
    at::Tensor gb = d.sum(0);
    if (pen.identity > 0) {
      const at::Tensor dw = diagonal_ ? w - 1 : w - eye;
      value += pen.identity * dw.square().sum().item<double>();
      gw += 2 * pen.identity * dw;
    }
    if (pen.offdiag > 0 && !diagonal_) {
      const at::Tensor off = w * offdiag_mask;
      value += pen.offdiag * off.square().sum().item<double>();
      gw += 2 * pen.offdiag * off;
    }
    if (pen.bias > 0) {
      value += pen.bias * b.square().sum().item<double>();
      gb += 2 * pen.bias * b;
    }
    at::from_blob(g.data(), w_dims, opts).copy_(gw);
    at::from_blob(g.data() + w_size, {k}, opts).copy_(gb);
    return value;
  };

  // The Hessian of the mean NLL in a = J theta is (1/n) sum_i J_i' (diag(p_i) - p_i p_i') J_i.
  // Full map, per class k the row W~_k = (W_k, b_k) on x~_i = (x_i, 1): the blocks
  // X~' diag(p_k) X~ on the diagonal minus M'M with M_i = p_i (x) x~_i; the result is permuted
  // from the (k, d) order of W~ to the (W row-major, b) order of theta.
  const at::Tensor x1 = at::cat({x, at::ones({n, 1}, opts)}, 1);
  at::Tensor to_theta;
  if (!diagonal_) {
    const at::Tensor col = at::arange(k + 1, at::kLong);  // index within a row of W~
    const at::Tensor row = at::arange(k, at::kLong).unsqueeze(1);
    const at::Tensor theta_index = at::where(col < k, row * k + col, k * k + row);  // (k, k + 1)
    to_theta = at::empty({k * (k + 1)}, at::kLong).scatter_(0, theta_index.flatten(), at::arange(k * (k + 1)));
  }
  const optim::Hessian hessian = [&](const std::vector<double>& p, std::vector<double>& h) {
    at::NoGradGuard no_grad;
    const at::Tensor w = at::from_blob(const_cast<double*>(p.data()), w_dims, opts);
    const at::Tensor b = at::from_blob(const_cast<double*>(p.data()) + w_size, {k}, opts);
    const at::Tensor q = at::softmax(diagonal_ ? x * w + b : at::addmm(b, x, w.t()), 1);
    const double inv_n = 1.0 / static_cast<double>(n);
    at::Tensor out;
    if (diagonal_) {  // theta = (w, b), a_ik = w_k x_ik + b_k
      const at::Tensor m = at::cat({q * x, q}, 1);  // J_i' p_i
      out = -m.t().mm(m);
      const at::Tensor px = (q * x).sum(0), pxx = (q * x * x).sum(0), p1 = q.sum(0);
      const at::Tensor idx = at::arange(k, at::kLong);
      out.index_put_({idx, idx}, out.index({idx, idx}) + pxx);
      out.index_put_({idx, idx + k}, out.index({idx, idx + k}) + px);
      out.index_put_({idx + k, idx}, out.index({idx + k, idx}) + px);
      out.index_put_({idx + k, idx + k}, out.index({idx + k, idx + k}) + p1);
    } else {
      const int64_t d = k + 1;
      const at::Tensor m = (q.unsqueeze(2) * x1.unsqueeze(1)).reshape({n, k * d});
      out = -m.t().mm(m);
      const at::Tensor blocks = at::einsum("nk,nd,ne->kde", {q, x1, x1});  // (k, d, d)
      for (int64_t c = 0; c < k; ++c) out.narrow(0, c * d, d).narrow(1, c * d, d) += blocks[c];
      out = out.index_select(0, to_theta).index_select(1, to_theta);
    }
    out *= inv_n;
    // The penalty's Hessian is diagonal.
    at::Tensor diag = at::zeros({w_size + k}, opts);
    diag.narrow(0, 0, w_size) += 2 * pen.identity;
    if (!diagonal_) diag.narrow(0, 0, w_size) += 2 * pen.offdiag * offdiag_mask.flatten();
    diag.narrow(0, w_size, k) += 2 * pen.bias;
    out += at::diag(diag);
    at::from_blob(h.data(), {w_size + k, w_size + k}, opts).copy_(out);
  };

  std::vector<double> start(static_cast<size_t>(w_size + k), 0.0);
  for (int64_t i = 0; i < k; ++i) start[static_cast<size_t>(diagonal_ ? i : i * k + i)] = 1.0;
  // Newton (exact Hessian, quadratic convergence) while the Hessian is small; L-BFGS beyond.
  const bool use_newton = w_size + k <= kNewtonMaxParameters;
  optim::Result r;
  if (use_newton) {
    optim::NewtonOptions no;
    no.gtol = options_.gtol;
    no.max_iter = options_.max_iter;
    r = optim::newton(objective, hessian, start, no);
  } else {
    optim::LBFGSOptions lo;
    lo.gtol = options_.gtol;
    lo.max_iter = options_.max_iter;
    r = optim::lbfgs(objective, start, lo);
  }
  BULWARK_CHECK(std::isfinite(r.value) && r.grad_max <= std::max(options_.gtol, 1e-6), where, ": ",
                use_newton ? "Newton" : "L-BFGS", " stopped after ", r.iterations,
                " iterations with max |gradient| = ", r.grad_max, " (gtol ", options_.gtol,
                "); the scores may separate the labels, so the unpenalised NLL has no minimiser: "
                "increase the regularisation");
  weight_ = at::from_blob(const_cast<double*>(r.x.data()), w_dims, opts).clone();
  bias_ = at::from_blob(const_cast<double*>(r.x.data()) + w_size, {k}, opts).clone();
  iterations_ = r.iterations;
  objective_ = r.value;
  grad_max_ = r.grad_max;
}

at::Tensor AffineCalibrator::affine(const at::Tensor& x) const {
  return diagonal_ ? x * weight_ + bias_ : at::addmm(bias_, x, weight_.t());
}

at::Tensor AffineCalibrator::transform(const at::Tensor& scores) const {
  check_fitted(scores, kind() + ".transform");
  return affine(features(scores.detach())).to(scores.device(), scores.scalar_type());
}

at::Tensor AffineCalibrator::predict_proba_impl(const at::Tensor& scores) const {
  return at::softmax(affine(features(scores)).to(scores.scalar_type()), 1);
}

at::Tensor AffineCalibrator::weight() const {
  BULWARK_CHECK_AS(NotFittedError, fitted(), kind(), ".weight: call fit() first");
  return weight_;
}

at::Tensor AffineCalibrator::bias() const {
  BULWARK_CHECK_AS(NotFittedError, fitted(), kind(), ".bias: call fit() first");
  return bias_;
}

void AffineCalibrator::write(json::Object& o) const {
  const at::Tensor w = weight_.contiguous(), b = bias_.contiguous();
  o.set("weight", std::vector<double>(w.data_ptr<double>(), w.data_ptr<double>() + w.numel()))
      .set("bias", std::vector<double>(b.data_ptr<double>(), b.data_ptr<double>() + b.numel()))
      .set("objective", objective_)
      .set("iterations", static_cast<double>(iterations_));
}

void AffineCalibrator::read(const json::Object& o, const std::string& path) {
  const std::vector<double> w = o.numbers("weight"), b = o.numbers("bias");
  const int64_t w_size = diagonal_ ? k_ : k_ * k_;
  BULWARK_CHECK_AS(FormatError, static_cast<int64_t>(w.size()) == w_size && static_cast<int64_t>(b.size()) == k_,
                   path, ": weight must hold ", w_size, " and bias ", k_, " numbers for K = ", k_,
                   ", got ", w.size(), " and ", b.size());
  for (double v : w) BULWARK_CHECK_AS(FormatError, std::isfinite(v), path, ": weight is not finite");
  for (double v : b) BULWARK_CHECK_AS(FormatError, std::isfinite(v), path, ": bias is not finite");
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  weight_ = diagonal_ ? at::tensor(w, opts) : at::tensor(w, opts).reshape({k_, k_});
  bias_ = at::tensor(b, opts);
  objective_ = o.number("objective");
  iterations_ = o.integer("iterations", 0, int64_t{1} << 40);
}

ScalingToIdentity::ScalingToIdentity(bool diagonal, double reg, AffineFitOptions options)
    : AffineCalibrator(diagonal, /*log_prob_input=*/false, /*logits=*/true, options), reg_(reg) {
  check_reg(reg, diagonal ? "VectorScaling" : "MatrixScaling", "reg");
}

void ScalingToIdentity::write(json::Object& o) const {
  AffineCalibrator::write(o);
  o.set("reg", reg_);
}

void ScalingToIdentity::read(const json::Object& o, const std::string& path) {
  AffineCalibrator::read(o, path);
  reg_ = o.number("reg");
}

DirichletCalibration::DirichletCalibration(double reg_lambda, double reg_mu, bool logits, AffineFitOptions options)
    : AffineCalibrator(/*diagonal=*/false, /*log_prob_input=*/true, logits, options),
      lambda_(reg_lambda),
      mu_(reg_mu) {
  check_reg(reg_lambda, "DirichletCalibration", "reg_lambda");
  check_reg(reg_mu, "DirichletCalibration", "reg_mu");
}

void DirichletCalibration::write(json::Object& o) const {
  AffineCalibrator::write(o);
  o.set("reg_lambda", lambda_).set("reg_mu", mu_).set("logits", logits_);
}

void DirichletCalibration::read(const json::Object& o, const std::string& path) {
  AffineCalibrator::read(o, path);
  lambda_ = o.number("reg_lambda");
  mu_ = o.number("reg_mu");
  logits_ = o.boolean("logits");
}

}  // namespace bulwark::calibration
