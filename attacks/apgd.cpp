#include <bulwark/attacks/apgd.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/random.h>
#include <bulwark/ops/projection.h>
#include <bulwark/ops/steps.h>

namespace bulwark::attacks {

namespace impl {
std::vector<int64_t> apgd_checkpoints(int64_t steps) {
  // Integer form of p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06), as the authors' code.
  const int64_t first = std::max<int64_t>(static_cast<int64_t>(0.22 * steps), 1);
  const int64_t min_len = std::max<int64_t>(static_cast<int64_t>(0.06 * steps), 1);
  const int64_t decrease = std::max<int64_t>(static_cast<int64_t>(0.03 * steps), 1);
  std::vector<int64_t> w;
  for (int64_t at = first, len = first; at <= steps; len = std::max(len - decrease, min_len), at += len) {
    w.push_back(at);
  }
  return w;
}
}  // namespace impl

namespace {

using Objective = std::function<at::Tensor(const at::Tensor& logits)>;  // (N,), maximised
using Goal = std::function<at::Tensor(const at::Tensor& logits)>;       // (N,) bool

struct Settings {
  ops::Norm norm;
  double eps;
  int64_t steps;
  double rho;
  int64_t eot_samples;
};

struct RunResult {
  at::Tensor x_best;      // highest objective seen
  at::Tensor loss_best;   // its objective (double)
  at::Tensor x_adv;       // first point that reached the goal (rows where reached)
  at::Tensor reached;     // (N,) bool
};

// L2: x_t + step * g / ||g||_2, per-sample steps (N, 1, ...). (L-inf steps are fused.)
at::Tensor ascend_l2(const at::Tensor& x_t, const at::Tensor& g, const at::Tensor& step) {
  const at::Tensor n = ops::per_sample_norm(g, ops::Norm::L2);
  return x_t + step * g / (ops::per_sample_view(n, g) + 1e-12);
}

// One run of Alg. 1 from a random point on the eps-sphere.
RunResult single_run(Classifier& model, const at::Tensor& x, const Objective& objective,
                     const Goal& goal, const Settings& s, at::Generator& gen) {
  const Bounds& box = model.bounds();
  const int64_t n = x.size(0);
  auto project = [&](const at::Tensor& z) {
    return ops::project_perturbation(z, x, s.norm, s.eps, box);
  };
  at::Tensor lower, upper;  // L-inf: the eps-ball intersected with the box
  if (s.norm == ops::Norm::Linf) {
    lower = ops::clip_to_box(x - s.eps, box);
    upper = ops::clip_to_box(x + s.eps, box);
  }
  // Start on the sphere: t / ||t|| with t uniform in [-1, 1] (Linf) or Gaussian (L2).
  at::Tensor t = s.norm == ops::Norm::Linf ? at::rand(x.sizes(), gen, x.options()).mul_(2).sub_(1)
                                           : at::randn(x.sizes(), gen, x.options());
  const at::Tensor tn = ops::per_sample_view(ops::per_sample_norm(t, s.norm), t) + 1e-12;
  at::Tensor x_t = ops::clip_to_box(x + s.eps * t / tn, box);

  auto evaluate = [&](const at::Tensor& point) {
    return expected_logits_and_grad(model, point, objective, s.eot_samples);
  };
  LogitsAndGrad r = evaluate(x_t);
  at::Tensor grad = r.grad;
  at::Tensor loss = r.loss.to(at::kDouble);
  // x_best, grad_best and loss_best are only ever replaced, never written into, so they may
  // share storage with the iterate they came from (no copy on the usual all-improve step).
  RunResult out{x_t, loss, x_t.clone(), goal(r.logits)};
  at::Tensor grad_best = grad;

  const auto view = [&](const at::Tensor& v) { return ops::per_sample_view(v, x); };
  at::Tensor step = at::full({n}, 2.0 * s.eps, x.options());
  at::Tensor x_prev = x_t;
  const std::vector<int64_t> checkpoints = impl::apgd_checkpoints(s.steps);
  size_t next_check = 0;
  int64_t last_check = 0;
  at::Tensor increases = at::zeros({n}, x.options().dtype(at::kLong));
  at::Tensor loss_prev = loss;
  at::Tensor loss_best_last_check = out.loss_best;
  at::Tensor reduced_last_check = at::ones({n}, x.options().dtype(at::kBool));

  for (int64_t i = 0; i < s.steps; ++i) {
    {
      at::NoGradGuard no_grad;
      const double a = i > 0 ? 0.75 : 1.0;
      at::Tensor next;
      if (s.norm == ops::Norm::Linf) {
        next = ops::linf_momentum_step(x_t, x_prev, grad, step, a, lower, upper);
      } else {
        const at::Tensor z = project(ascend_l2(x_t, grad, view(step)));
        next = project(x_t + (z - x_t) * a + (x_t - x_prev) * (1 - a));
      }
      x_prev = x_t;
      x_t = next;
    }
    r = evaluate(x_t);
    grad = r.grad;
    loss = r.loss.to(at::kDouble);

    const at::Tensor hit = goal(r.logits) & ~out.reached;
    if (hit.any().item<bool>()) {
      const at::Tensor rows = hit.nonzero().squeeze(1);
      out.x_adv.index_copy_(0, rows, x_t.index_select(0, rows));
      out.reached.index_fill_(0, rows, true);
    }
    increases.add_(loss.gt(loss_prev));
    loss_prev = loss;
    const at::Tensor better = loss.gt(out.loss_best);
    const int64_t improved = better.sum().item<int64_t>();
    if (improved == n) {
      out.x_best = x_t;
      grad_best = grad;
      out.loss_best = loss;
    } else if (improved > 0) {
      const at::Tensor b = view(better);
      out.x_best = at::where(b, x_t, out.x_best);
      grad_best = at::where(b, grad, grad_best);
      out.loss_best = at::where(better, loss, out.loss_best);
    }

    if (next_check < checkpoints.size() && i + 1 == checkpoints[next_check]) {
      const int64_t len = checkpoints[next_check] - last_check;
      last_check = checkpoints[next_check];
      ++next_check;
      // Condition 1: too few of the last `len` steps increased the loss.
      const at::Tensor oscillating = increases.to(at::kDouble).le(static_cast<double>(len) * s.rho);
      // Condition 2: the step was not reduced last time and the best loss did not improve.
      const at::Tensor stalled = ~reduced_last_check & loss_best_last_check.ge(out.loss_best);
      const at::Tensor reduce = oscillating | stalled;
      reduced_last_check = reduce;
      loss_best_last_check = out.loss_best;
      increases.zero_();
      if (reduce.any().item<bool>()) {
        const at::Tensor rows = reduce.nonzero().squeeze(1);
        step.index_put_({rows}, step.index_select(0, rows) / 2);
        x_t = x_t.index_copy(0, rows, out.x_best.index_select(0, rows));
        grad = grad.index_copy(0, rows, grad_best.index_select(0, rows));
      }
    }
  }
  return out;
}

at::Tensor pick(const at::Tensor& v, const at::Tensor& rows) { return v.index_select(0, rows); }

// Per sample across restarts: the first successful point, else the highest objective.
class Restarts {
 public:
  Restarts(const at::Tensor& x, const at::Tensor& reached0)
      : x_out_(x.clone()),
        reached_(reached0.clone()),
        best_loss_(at::full({x.size(0)}, -std::numeric_limits<double>::infinity(),
                            x.options().dtype(at::kDouble))) {}

  // Rows (indices into the full batch) not yet adversarial; empty when all are.
  at::Tensor open_rows() const { return (~reached_).nonzero().squeeze(1); }

  void merge(const at::Tensor& rows, const RunResult& r) {
    const at::Tensor hit = r.reached.nonzero().squeeze(1);
    const at::Tensor miss = (~r.reached & r.loss_best.gt(pick(best_loss_, rows))).nonzero().squeeze(1);
    if (miss.numel() > 0) {
      const at::Tensor dst = pick(rows, miss);
      x_out_.index_copy_(0, dst, pick(r.x_best, miss));
      best_loss_.index_copy_(0, dst, pick(r.loss_best, miss));
    }
    if (hit.numel() > 0) {
      const at::Tensor dst = pick(rows, hit);
      x_out_.index_copy_(0, dst, pick(r.x_adv, hit));
      reached_.index_fill_(0, dst, true);
    }
  }

  const at::Tensor& x_out() const { return x_out_; }

 private:
  at::Tensor x_out_;
  at::Tensor reached_;
  at::Tensor best_loss_;
};

void check_common(double eps, ops::Norm norm, int64_t steps, int64_t restarts, double rho,
                  int64_t eot, const char* who) {
  impl::check_eps(eps, who);
  impl::check_norm(norm, who, /*allow_l1=*/false);
  impl::check_positive(steps, who, "steps");
  impl::check_positive(restarts, who, "restarts");
  impl::check_positive(eot, who, "eot_samples");
  BULWARK_CHECK(rho > 0 && rho < 1, who, ": rho must be in (0, 1), got ", rho);
}

}  // namespace

APGD::APGD(APGDOptions options) : AttackWithOptions(options) {
  const auto& o = options_;
  check_common(o.eps, o.norm, o.steps, o.restarts, o.rho, o.eot_samples, "APGD");
  BULWARK_CHECK(!(o.targeted && o.loss == losses::Loss::DLR),
                "APGD: loss='dlr' is untargeted; for the targeted DLR loss use APGDT, or "
                "loss='ce' or 'margin' with targeted=True");
  if (!options_.seed) options_.seed = default_seed();
}

at::Tensor APGD::perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) {
  const auto& o = options_;
  at::Tensor reached0;
  {
    at::NoGradGuard no_grad;
    reached0 = goal_reached(model.predict(x), y, o.targeted);
  }
  Restarts state(x, reached0);
  at::Generator gen = make_generator(*o.seed, x.device());
  const Settings s{o.norm, o.eps, o.steps, o.rho, o.eot_samples};
  for (int64_t r = 0; r < o.restarts; ++r) {
    const at::Tensor rows = state.open_rows();
    if (rows.numel() == 0) break;
    const at::Tensor yr = pick(y, rows);
    const double sign = o.targeted ? -1.0 : 1.0;
    const losses::Loss loss = o.loss;
    const bool targeted = o.targeted;
    Objective objective = [=](const at::Tensor& z) {
      losses::check_labels(yr, z.size(0), z.size(1), "APGD loss");
      return losses::compute(loss, z, yr) * sign;
    };
    Goal goal = [=](const at::Tensor& z) { return goal_reached(z.argmax(1), yr, targeted); };
    state.merge(rows, single_run(model, pick(x, rows), objective, goal, s, gen));
  }
  return state.x_out();
}

std::string APGD::repr() const {
  const auto& o = options_;
  return detail::str("APGD(eps=", o.eps, ", norm='", ops::to_string(o.norm), "', steps=", o.steps,
                     ", restarts=", o.restarts, ", loss='", losses::to_string(o.loss), "', rho=",
                     o.rho, ", targeted=", o.targeted ? "True" : "False", ", eot_samples=",
                     o.eot_samples, ", seed=", *o.seed, ")");
}

APGDT::APGDT(APGDTOptions options) : AttackWithOptions(options) {
  const auto& o = options_;
  check_common(o.eps, o.norm, o.steps, o.restarts, o.rho, o.eot_samples, "APGDT");
  impl::check_positive(o.num_targets, "APGDT", "num_targets");
  BULWARK_CHECK(!o.targeted, "APGDT: the goal is misclassification; targeted must be false");
  if (!options_.seed) options_.seed = default_seed();
}

at::Tensor APGDT::perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) {
  const auto& o = options_;
  at::Tensor clean;
  {
    at::NoGradGuard no_grad;
    clean = model.logits(x);
  }
  const int64_t k = clean.size(1);
  BULWARK_CHECK_SHAPE(k >= 4, "APGDT: the targeted DLR loss needs K >= 4 classes, got K = ", k);
  const at::Tensor ranking = clean.argsort(int64_t{1}, /*descending=*/true);  // (N, K)
  Restarts state(x, clean.argmax(1).ne(y));
  at::Generator gen = make_generator(*o.seed, x.device());
  const Settings s{o.norm, o.eps, o.steps, o.rho, o.eot_samples};
  const int64_t targets = std::min(o.num_targets, k - 1);
  for (int64_t rank = 1; rank <= targets; ++rank) {
    for (int64_t r = 0; r < o.restarts; ++r) {
      const at::Tensor rows = state.open_rows();
      if (rows.numel() == 0) return state.x_out();
      const at::Tensor yr = pick(y, rows);
      // The rank-th highest clean logit (the reference code's sort()[:, -target_class]).
      const at::Tensor tr = pick(ranking, rows).select(1, rank).contiguous();
      Objective objective = [=](const at::Tensor& z) { return losses::dlr_targeted(z, yr, tr); };
      Goal goal = [=](const at::Tensor& z) { return z.argmax(1).ne(yr); };
      state.merge(rows, single_run(model, pick(x, rows), objective, goal, s, gen));
    }
  }
  return state.x_out();
}

std::string APGDT::repr() const {
  const auto& o = options_;
  return detail::str("APGDT(eps=", o.eps, ", norm='", ops::to_string(o.norm), "', steps=", o.steps,
                     ", restarts=", o.restarts, ", num_targets=", o.num_targets, ", rho=", o.rho,
                     ", eot_samples=", o.eot_samples, ", seed=", *o.seed, ")");
}

}  // namespace bulwark::attacks
