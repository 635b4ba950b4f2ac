#include <bulwark/calibration/binary_calibrators.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <Eigen/Dense>

#include <bulwark/core/error.h>
#include <bulwark/core/probabilities.h>
#include <bulwark/losses/classification.h>
#include <bulwark/optim/newton.h>

namespace bulwark::calibration {

namespace {

// log(1 + e^a), without overflow.
inline double softplus(double a) { return a > 0 ? a + std::log1p(std::exp(-a)) : std::log1p(std::exp(a)); }

double machine_epsilon(at::ScalarType t) {
  return t == at::kDouble ? std::numeric_limits<double>::epsilon()
                          : static_cast<double>(std::numeric_limits<float>::epsilon());
}

}  // namespace

void check_binary(const at::Tensor& scores, const at::Tensor& labels, const char* where) {
  BULWARK_CHECK_TYPE(scores.defined() && at::isFloatingType(scores.scalar_type()), where,
                     ": scores must be a floating-point tensor (N,)");
  BULWARK_CHECK_SHAPE(scores.dim() == 1 && scores.size(0) >= 1, where,
                      ": scores must have shape (N,) with N >= 1 (one score per sample of a binary "
                      "problem), got ", scores.sizes());
  check_finite(scores, where, "scores");
  if (labels.defined()) {
    losses::check_labels(labels, scores.size(0), 2, where, "labels");
    const int64_t positives = labels.sum().item<int64_t>();
    BULWARK_CHECK(positives > 0 && positives < labels.numel(), where,
                  ": labels must contain both classes 0 and 1, got only ", positives > 0 ? 1 : 0, "s");
  }
}

LogisticFit logistic_regression(const at::Tensor& features, const at::Tensor& targets, const char* where) {
  const at::Tensor f = features.to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor tt = targets.to(at::kCPU, at::kDouble).contiguous();
  const int64_t n = f.size(0), d = f.size(1);
  // Design matrix with a column of ones for the intercept.
  Eigen::MatrixXd x(n, d + 1);
  x.leftCols(d) = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      f.data_ptr<double>(), n, d);
  x.col(d).setOnes();
  const Eigen::VectorXd t = Eigen::Map<const Eigen::VectorXd>(tt.data_ptr<double>(), n);
  const double inv_n = 1.0 / static_cast<double>(n);
  using Vec = Eigen::VectorXd;
  // Mean log-loss and its gradient X'(p - t) / n; Hessian X' diag(p (1 - p)) X / n.
  const optim::Objective loss = [&](const std::vector<double>& th, std::vector<double>& g) {
    const Vec a = x * Eigen::Map<const Vec>(th.data(), d + 1);
    Vec p(n);
    double s = 0;
    for (int64_t i = 0; i < n; ++i) {
      s += softplus(a[i]) - t[i] * a[i];
      p[i] = 1 / (1 + std::exp(-a[i]));
    }
    Eigen::Map<Vec>(g.data(), d + 1) = x.transpose() * (p - t) * inv_n;
    return s * inv_n;
  };
  const optim::Hessian hessian = [&](const std::vector<double>& th, std::vector<double>& h) {
    const Vec a = x * Eigen::Map<const Vec>(th.data(), d + 1);
    const Vec w = a.unaryExpr([](double v) { const double p = 1 / (1 + std::exp(-v)); return p * (1 - p); });
    Eigen::Map<Eigen::MatrixXd>(h.data(), d + 1, d + 1) = x.transpose() * w.asDiagonal() * x * inv_n;
  };
  // Start at the best constant model (Lin et al. 2007 start Platt's intercept there too).
  const double tbar = std::clamp(t.mean(), 1e-12, 1 - 1e-12);
  std::vector<double> start(static_cast<size_t>(d + 1), 0.0);
  start.back() = std::log(tbar / (1 - tbar));
  optim::NewtonOptions o;
  o.max_iter = 200;
  const optim::Result r = optim::newton(loss, hessian, start, o);
  const bool hard = ((t.array() == 0) || (t.array() == 1)).all();
  BULWARK_CHECK(r.grad_max <= 1e-7 && !(hard && r.value < 1e-8), where,
                ": the scores separate the labels perfectly, so the log-loss has no finite "
                "minimiser (calibrate on data where the classes overlap)");
  LogisticFit out;
  out.coef.assign(r.x.begin(), r.x.begin() + d);
  out.intercept = r.x.back();
  out.nll = r.value;
  out.iterations = r.iterations;
  return out;
}

// ---- Platt scaling -----------------------------------------------------------------------

void PlattScaling::fit_impl(const at::Tensor& scores, const at::Tensor& labels) {
  constexpr const char* where = "PlattScaling.fit";
  const at::Tensor y = labels.to(at::kCPU, at::kDouble);
  at::Tensor t = y;
  if (smooth_targets_) {  // Platt (1999), eq. 7: targets that never reach 0 or 1
    const double pos = y.sum().item<double>(), neg = static_cast<double>(y.size(0)) - pos;
    t = at::where(y > 0.5, at::full_like(y, (pos + 1) / (pos + 2)), at::full_like(y, 1 / (neg + 2)));
  }
  const LogisticFit f = logistic_regression(scores.reshape({-1, 1}), t, where);
  a_ = f.coef[0];
  c_ = f.intercept;
  fitted_ = true;
}

double PlattScaling::a() const {
  BULWARK_CHECK_AS(NotFittedError, fitted_, "PlattScaling.a: call fit() first");
  return a_;
}

double PlattScaling::c() const {
  BULWARK_CHECK_AS(NotFittedError, fitted_, "PlattScaling.c: call fit() first");
  return c_;
}

at::Tensor PlattScaling::transform(const at::Tensor& scores) const {
  check_fitted(scores, "PlattScaling.transform");
  return scores * a_ + c_;
}

at::Tensor PlattScaling::predict_proba_impl(const at::Tensor& scores) const { return at::sigmoid(scores * a_ + c_); }

void PlattScaling::write(json::Object& o) const {
  o.set("a", a_).set("c", c_).set("smooth_targets", smooth_targets_);
}

void PlattScaling::read(const json::Object& o, const std::string& path) {
  a_ = o.number("a");
  c_ = o.number("c");
  smooth_targets_ = o.boolean("smooth_targets");
  BULWARK_CHECK_AS(FormatError, std::isfinite(a_) && std::isfinite(c_), path, ": a and c must be finite");
  fitted_ = true;
}

// ---- Beta calibration --------------------------------------------------------------------

namespace {
// (ln s, -ln(1 - s)) of probabilities clipped to [eps, 1 - eps].
at::Tensor beta_features(const at::Tensor& scores, const char* where) {
  at::NoGradGuard no_grad;
  const auto [lo, hi] = at::aminmax(scores.detach());
  BULWARK_CHECK(lo.item<double>() >= 0 && hi.item<double>() <= 1, where,
                ": scores must be probabilities in [0, 1], got values in [", lo.item<double>(), ", ",
                hi.item<double>(), "]");
  const double eps = machine_epsilon(scores.scalar_type());
  const at::Tensor s = scores.detach().to(at::kDouble).clamp(eps, 1 - eps);
  return at::stack({s.log(), -at::log1p(-s)}, 1);
}
}  // namespace

void BetaCalibration::fit_impl(const at::Tensor& scores, const at::Tensor& labels) {
  constexpr const char* where = "BetaCalibration.fit";
  const at::Tensor x = beta_features(scores, where).to(at::kCPU);
  const at::Tensor t = labels.to(at::kCPU, at::kDouble);
  LogisticFit f = logistic_regression(x, t, where);
  double a = f.coef[0], b = f.coef[1];
  // The map must be non-decreasing (a, b >= 0): a negative coefficient is fixed at 0 and the
  // other refitted; if that one comes out negative too, only the intercept is left.
  if (a < 0 || b < 0) {
    const int64_t keep = a < 0 ? 1 : 0;
    f = logistic_regression(x.select(1, keep).unsqueeze(1), t, where);
    a = b = 0;
    (keep == 0 ? a : b) = std::max(0.0, f.coef[0]);
    if (f.coef[0] < 0) f = logistic_regression(at::zeros({x.size(0), 0}, at::kDouble), t, where);
  }
  a_ = a;
  b_ = b;  // the feature was -ln(1 - s): sigmoid(a ln s - b ln(1 - s) + c)
  c_ = f.intercept;
  fitted_ = true;
}

std::vector<double> BetaCalibration::parameters() const {
  BULWARK_CHECK_AS(NotFittedError, fitted_, "BetaCalibration.parameters: call fit() first");
  return {a_, b_, c_};
}

at::Tensor BetaCalibration::transform(const at::Tensor& scores) const {
  constexpr const char* where = "BetaCalibration.transform";
  check_fitted(scores, where);
  const at::Tensor x = beta_features(scores, where);
  return (x.select(1, 0) * a_ + x.select(1, 1) * b_ + c_).to(scores.scalar_type());
}

at::Tensor BetaCalibration::predict_proba_impl(const at::Tensor& scores) const {
  const at::Tensor x = beta_features(scores, "BetaCalibration.predict_proba");
  return at::sigmoid((x.select(1, 0) * a_ + x.select(1, 1) * b_ + c_).to(scores.scalar_type()));
}

void BetaCalibration::write(json::Object& o) const { o.set("a", a_).set("b", b_).set("c", c_); }

void BetaCalibration::read(const json::Object& o, const std::string& path) {
  a_ = o.number("a");
  b_ = o.number("b");
  c_ = o.number("c");
  BULWARK_CHECK_AS(FormatError, std::isfinite(a_) && std::isfinite(b_) && std::isfinite(c_) && a_ >= 0 && b_ >= 0,
                   path, ": a, b must be finite and >= 0, c finite");
  fitted_ = true;
}

}  // namespace bulwark::calibration
