#include <bulwark/attacks/pgd.h>

#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/random.h>
#include <bulwark/ops/ball_sampling.h>
#include <bulwark/ops/projection.h>
#include <bulwark/ops/steps.h>

namespace bulwark::attacks {

PGD::PGD(PGDOptions options) : AttackWithOptions(options) {
  BULWARK_CHECK(std::isfinite(options_.eps) && options_.eps >= 0,
                "PGD: eps must be finite and >= 0, got ", options_.eps);
  impl::check_positive(options_.steps, "PGD", "steps");
  impl::check_positive(options_.restarts, "PGD", "restarts");
  if (options_.step_size) {
    BULWARK_CHECK(std::isfinite(*options_.step_size) && *options_.step_size > 0,
                  "PGD: step_size must be finite and > 0, got ", *options_.step_size);
  }
  BULWARK_CHECK(options_.l1_sparsity >= 0 && options_.l1_sparsity < 1,
                "PGD: l1_sparsity must be in [0, 1), got ", options_.l1_sparsity);
  impl::check_positive(options_.eot_samples, "PGD", "eot_samples");
  if (!options_.seed) options_.seed = default_seed();
}

double PGD::step_size() const {
  return options_.step_size ? *options_.step_size
                            : 2.5 * options_.eps / static_cast<double>(options_.steps);
}

at::Tensor PGD::direction(const at::Tensor& g, const at::Tensor& x_t, const Bounds& box) const {
  switch (options_.norm) {
    case ops::Norm::Linf:
      break;  // L-inf steps are fused into ops::linf_sign_step in perturb()
    case ops::Norm::L2:
      return g / ops::per_sample_view(ops::per_sample_norm(g, ops::Norm::L2).clamp_min(1e-12), g);
    case ops::Norm::L1: {
      // Coordinates pinned at the box in the direction of ascent cannot move: leave them out.
      at::Tensor a = g.abs();
      if (std::isfinite(box.lower)) a = a.masked_fill(x_t.le(box.lower) & g.lt(0), 0);
      if (std::isfinite(box.upper)) a = a.masked_fill(x_t.ge(box.upper) & g.gt(0), 0);
      const at::Tensor flat = a.reshape({a.size(0), -1});
      // The l1_sparsity quantile of |g| as a mask threshold: with linear interpolation between
      // order statistics, "|g| >= quantile" selects exactly the ranks >= ceil(q (d - 1)), so the
      // order statistic of that rank (a selection, not a sort) gives the same mask.
      const int64_t d = flat.size(1);
      const auto rank = static_cast<int64_t>(std::ceil(options_.l1_sparsity * static_cast<double>(d - 1)));
      const at::Tensor threshold = std::get<0>(flat.kthvalue(rank + 1, /*dim=*/1, /*keepdim=*/true));
      const at::Tensor mask = (flat >= threshold) & (flat > 0);
      const at::Tensor e = g.sign().reshape_as(flat) * mask;
      const at::Tensor count = mask.sum(1, /*keepdim=*/true).clamp_min(1);
      return (e / count).view_as(g);
    }
  }
  BULWARK_ASSERT(false);
  return {};
}

at::Tensor PGD::perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) {
  const Bounds& box = model.bounds();
  const auto loss_fn = losses::against(options_.loss, y);
  const double alpha = options_.targeted ? -step_size() : step_size();
  at::Generator gen = make_generator(*options_.seed, x.device());
  at::Tensor lower, upper;  // L-inf: the eps-ball intersected with the box, per coordinate
  if (options_.norm == ops::Norm::Linf) {
    lower = ops::clip_to_box(x - options_.eps, box);
    upper = ops::clip_to_box(x + options_.eps, box);
  }

  at::Tensor best = x.clone();
  // Per-sample score of `best`: success first (+inf margin), then the (signed) loss.
  at::Tensor best_score = at::full({x.size(0)}, -std::numeric_limits<double>::infinity(),
                                   x.options().dtype(at::kDouble));
  auto consider = [&](const at::Tensor& candidate, const at::Tensor& logits, const at::Tensor& loss) {
    const at::Tensor pred = logits.argmax(1);
    const at::Tensor success = options_.targeted ? pred.eq(y) : pred.ne(y);
    const at::Tensor value = (options_.targeted ? -loss : loss).to(at::kDouble);
    const at::Tensor score = at::where(success, at::full_like(value, 1e30), value);
    const at::Tensor rows = (score > best_score).nonzero().squeeze(1);
    if (rows.numel() == 0) return;
    if (rows.numel() == x.size(0) && !candidate.is_same(x)) {
      // Every sample improved (the usual step): keep the iterate itself, no copy. The loop
      // never writes into an iterate once it has moved on, so sharing it is safe.
      best = candidate;
      best_score = score;
      return;
    }
    best_score.index_copy_(0, rows, score.index_select(0, rows));
    best.index_copy_(0, rows, candidate.index_select(0, rows));
  };

  for (int64_t r = 0; r < options_.restarts; ++r) {
    at::Tensor x_t = x;
    if (options_.random_start) {
      x_t = ops::clip_to_box(x + ops::random_in_ball(x, options_.norm, options_.eps, gen), box);
    }
    for (int64_t t = 0; t < options_.steps; ++t) {
      const auto lg = expected_logits_and_grad(model, x_t, loss_fn, options_.eot_samples);
      consider(x_t, lg.logits, lg.loss);
      if (options_.norm == ops::Norm::Linf) {
        // Ball and box are one box [lower, upper]: one fused pass per step.
        x_t = ops::linf_sign_step(x_t, lg.grad, alpha, lower, upper);
      } else {
        x_t = ops::project_perturbation(x_t + alpha * direction(lg.grad, x_t, box), x,
                                        options_.norm, options_.eps, box);
      }
    }
    at::NoGradGuard no_grad;
    const at::Tensor logits = model.logits(x_t);
    consider(x_t, logits, losses::compute(options_.loss, logits, y));
  }
  return best;
}

std::string PGD::repr() const {
  const auto& o = options_;
  std::string s = detail::str("PGD(eps=", o.eps, ", norm='", ops::to_string(o.norm), "', steps=",
                              o.steps, ", step_size=", step_size(), ", random_start=",
                              o.random_start ? "True" : "False", ", restarts=", o.restarts,
                              ", loss='", losses::to_string(o.loss), "', targeted=",
                              o.targeted ? "True" : "False");
  if (o.norm == ops::Norm::L1) s += detail::str(", l1_sparsity=", o.l1_sparsity);
  return s + detail::str(", eot_samples=", o.eot_samples, ", seed=", *o.seed, ")");
}

}  // namespace bulwark::attacks
