#include <bulwark/attacks/fab.h>

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/random.h>
#include <bulwark/ops/hyperplane_projection.h>

namespace bulwark::attacks {

namespace {

constexpr double kNone = 1e10;  // "no adversarial found" norm

// The dual norm of the gradients' rows (N, C, ...) -> (N, C): L1 for Linf, L2 for L2.
at::Tensor dual_norm(const at::Tensor& g, ops::Norm norm) {
  const at::Tensor flat = g.flatten(2);
  return norm == ops::Norm::Linf ? flat.abs().sum(2) : flat.pow(2).sum(2).sqrt();
}

at::Tensor step_onto(const at::Tensor& t, const at::Tensor& w, const at::Tensor& b, ops::Norm norm) {
  return norm == ops::Norm::Linf ? ops::hyperplane_step_linf(t, w, b)
                                 : ops::hyperplane_step_l2(t, w, b);
}

// FAB works in u = (x - lower) / scale, where the box is [0, 1]^d.
struct UnitBox {
  double lower, scale;
  at::Tensor to_x(const at::Tensor& u) const { return u * scale + lower; }
  at::Tensor to_u(const at::Tensor& x) const { return (x - lower) / scale; }
};

struct Run {
  at::Tensor adv;   // (n, ...) in u-space; the clean point where none was found
  at::Tensor norm;  // (n,) in u-space; kNone where none was found
};

// Alg. 1 on rows that are all correctly classified. `targets` (n,) for FABT, else undefined.
Run single_run(Classifier& model, const UnitBox& box, const at::Tensor& u, const at::Tensor& y,
               const at::Tensor& targets, const FABOptions& o, double eps_u, bool random_start,
               at::Generator& gen) {
  const int64_t n = u.size(0);
  const ops::Norm norm = o.norm;
  const at::Tensor rows = at::arange(n, y.options());
  at::Tensor adv = u.clone();
  at::Tensor best = at::full({n}, kNone, u.options());
  at::Tensor x1 = u;
  const at::Tensor x0 = u.reshape({n, -1});
  if (random_start) {
    at::Tensor t = norm == ops::Norm::Linf ? at::rand(u.sizes(), gen, u.options()).mul_(2).sub_(1)
                                           : at::randn(u.sizes(), gen, u.options());
    const at::Tensor tn = ops::per_sample_view(ops::per_sample_norm(t, norm), t);
    x1 = (u + eps_u * t / tn * 0.5).clamp(0, 1);
  }
  for (int64_t it = 0; it < o.steps; ++it) {
    at::Tensor df, dg;  // (n, C) logit differences f_j - f_y and (n, C, ...) their gradients
    if (targets.defined()) {
      const at::Tensor t = targets;
      const auto lg = model.logits_and_grad(box.to_x(x1), [&](const at::Tensor& z) {
        return z.gather(1, t.unsqueeze(1)).squeeze(1) - z.gather(1, y.unsqueeze(1)).squeeze(1);
      });
      df = lg.loss.unsqueeze(1);
      dg = (lg.grad * box.scale).unsqueeze(1);
    } else {
      const auto lj = model.logits_and_jacobian(box.to_x(x1));
      const at::Tensor zy = lj.logits.gather(1, y.unsqueeze(1));
      df = (lj.logits - zy).scatter(1, y.unsqueeze(1), kNone);
      const at::Tensor jac_y = lj.jacobian.index({rows, y}).unsqueeze(1);
      dg = (lj.jacobian - jac_y) * box.scale;
    }
    at::NoGradGuard no_grad;
    const at::Tensor dist = df.abs() / (dual_norm(dg, norm) + 1e-12);
    const at::Tensor closest = dist.argmin(1);
    const at::Tensor dg2 = dg.flatten(2).index({rows, closest});  // (n, d)
    const at::Tensor x1_flat = x1.reshape({n, -1});
    const at::Tensor b = -df.index({rows, closest}) + (dg2 * x1_flat).sum(1);
    const at::Tensor d3 = step_onto(at::cat({x1_flat, x0}), at::cat({dg2, dg2}), at::cat({b, b}), norm);
    const at::Tensor d1 = d3.narrow(0, 0, n).view_as(u), d2 = d3.narrow(0, n, n).view_as(u);
    const at::Tensor a0 = (norm == ops::Norm::Linf ? d3.abs().amax(1) : d3.pow(2).sum(1).sqrt())
                              .clamp_min(1e-8);
    const at::Tensor a1 = a0.narrow(0, 0, n), a2 = a0.narrow(0, n, n);
    const at::Tensor alpha = ops::per_sample_view((a1 / (a1 + a2)).clamp(0, o.alpha_max), u);
    x1 = ((x1 + o.eta * d1) * (1 - alpha) + (u + o.eta * d2) * alpha).clamp(0, 1);

    const at::Tensor is_adv = model.predict(box.to_x(x1)).ne(y);
    if (is_adv.any().item<bool>()) {
      const at::Tensor dist_now = ops::per_sample_norm(x1 - u, norm);
      const at::Tensor better = is_adv & dist_now.lt(best);
      adv = at::where(ops::per_sample_view(better, u), x1, adv);
      best = at::where(better, dist_now, best);
      // Step back towards x from every adversarial iterate.
      x1 = at::where(ops::per_sample_view(is_adv, u), u + (x1 - u) * o.beta, x1);
    }
  }
  return {adv, best};
}

}  // namespace

FAB::FAB(FABOptions options, bool use_targets)
    : AttackWithOptions(std::move(options)), use_targets_(use_targets) {
  const char* who = use_targets_ ? "FABT" : "FAB";
  const auto& o = options_;
  impl::check_eps(o.eps, who);
  impl::check_norm(o.norm, who, /*allow_l1=*/false);
  impl::check_positive(o.steps, who, "steps");
  impl::check_positive(o.restarts, who, "restarts");
  impl::check_positive(o.num_targets, who, "num_targets");
  BULWARK_CHECK(o.alpha_max >= 0 && o.alpha_max <= 1, who, ": alpha_max must be in [0, 1], got ",
                o.alpha_max);
  BULWARK_CHECK(std::isfinite(o.eta) && o.eta >= 1, who, ": eta must be >= 1, got ", o.eta);
  BULWARK_CHECK(o.beta > 0 && o.beta < 1, who, ": beta must be in (0, 1), got ", o.beta);
  BULWARK_CHECK(!o.targeted, who, ": the goal is misclassification; targeted must be false");
  if (!options_.seed) options_.seed = default_seed();
}

at::Tensor FAB::perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) {
  const auto& o = options_;
  const Bounds& bounds = model.bounds();
  BULWARK_CHECK(bounds.is_bounded(), name(), ": needs a bounded box (the model's bounds are ",
                bounds.repr(), "); use DeepFool or CW for unbounded inputs");
  const UnitBox box{bounds.lower, bounds.upper - bounds.lower};
  const double eps_u = o.eps / box.scale;
  const at::Tensor u = box.to_u(x);

  at::Tensor clean;
  {
    at::NoGradGuard no_grad;
    clean = model.logits(x);
  }
  const int64_t k = clean.size(1);
  at::Tensor adv = u.clone();
  at::Tensor best = at::full({x.size(0)}, kNone, u.options());
  at::Tensor open = clean.argmax(1).eq(y);  // correctly classified and not yet broken within eps
  const at::Tensor ranking = use_targets_ ? clean.argsort(int64_t{1}, /*descending=*/true) : at::Tensor();
  at::Generator gen = make_generator(*o.seed, x.device());
  const int64_t passes = use_targets_ ? std::min(o.num_targets, k - 1) : 1;
  for (int64_t pass = 0; pass < passes; ++pass) {
    for (int64_t r = 0; r < o.restarts; ++r) {
      const at::Tensor rows = open.nonzero().squeeze(1);
      if (rows.numel() == 0) break;
      const at::Tensor targets =
          use_targets_ ? ranking.index_select(0, rows).select(1, pass + 1).contiguous() : at::Tensor();
      const Run run = single_run(model, box, u.index_select(0, rows), y.index_select(0, rows), targets,
                                 o, eps_u, /*random_start=*/r > 0, gen);
      const at::Tensor better = run.norm.lt(best.index_select(0, rows));
      const at::Tensor sel = better.nonzero().squeeze(1);
      if (sel.numel() > 0) {
        const at::Tensor dst = rows.index_select(0, sel);
        adv.index_copy_(0, dst, run.adv.index_select(0, sel));
        best.index_copy_(0, dst, run.norm.index_select(0, sel));
      }
      open.index_put_({rows}, best.index_select(0, rows).gt(eps_u));
    }
  }
  const at::Tensor found = ops::per_sample_view(best.lt(kNone), x);
  return at::where(found, box.to_x(adv).clamp(bounds.lower, bounds.upper), x);
}

std::string FAB::repr() const {
  const auto& o = options_;
  std::string s = detail::str(name(), "(eps=", o.eps, ", norm='", ops::to_string(o.norm),
                              "', steps=", o.steps, ", restarts=", o.restarts, ", alpha_max=",
                              o.alpha_max, ", eta=", o.eta, ", beta=", o.beta);
  if (use_targets_) s += detail::str(", num_targets=", o.num_targets);
  return s + detail::str(", seed=", *o.seed, ")");
}

}  // namespace bulwark::attacks
