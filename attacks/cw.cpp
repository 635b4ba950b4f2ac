#include <bulwark/attacks/cw.h>

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/losses/classification.h>
#include <bulwark/ops/projection.h>

namespace bulwark::attacks {

CW::CW(CWOptions options) : AttackWithOptions(options) {
  const auto& o = options_;
  BULWARK_CHECK(std::isfinite(o.c) && o.c > 0, "CW: c must be finite and > 0, got ", o.c);
  BULWARK_CHECK(std::isfinite(o.kappa) && o.kappa >= 0, "CW: kappa must be finite and >= 0, got ",
                o.kappa);
  impl::check_positive(o.steps, "CW", "steps");
  impl::check_positive(o.binary_search_steps, "CW", "binary_search_steps");
  BULWARK_CHECK(std::isfinite(o.lr) && o.lr > 0, "CW: lr must be finite and > 0, got ", o.lr);
  BULWARK_CHECK(o.norm == ops::Norm::L2, "CW: only norm='l2' is implemented, got '",
                ops::to_string(o.norm), "'");
}

at::Tensor CW::perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) {
  const auto& o = options_;
  const Bounds& box = model.bounds();
  const bool bounded = box.is_bounded();
  const double lower = bounded ? box.lower : 0.0, scale = bounded ? box.upper - box.lower : 1.0;
  const int64_t n = x.size(0);
  const auto dopts = x.options().dtype(at::kDouble);
  constexpr double kBig = 1e10;

  // x = lower + scale (tanh(w) + 1) / 2, and back.
  auto to_x = [&](const at::Tensor& w) {
    return bounded ? (w.tanh() + 1) * (scale / 2) + lower : w;
  };
  const at::Tensor w0 =
      bounded ? ((x - lower) / scale * 2 - 1).clamp(-1 + 1e-6, 1 - 1e-6).atanh() : x.clone();

  // f(z) >= -kappa, <= 0 once the goal is reached with margin kappa.
  auto objective = [&](const at::Tensor& z) {
    const at::Tensor m = losses::margin(z, y);  // max_{j != y} z_j - z_y
    return (o.targeted ? m : -m).clamp_min(-o.kappa);
  };

  at::Tensor best_l2 = at::full({n}, kBig, dopts);
  at::Tensor best = x.clone();
  at::Tensor lo = at::zeros({n}, dopts), hi = at::full({n}, kBig, dopts);
  at::Tensor c = at::full({n}, o.c, dopts);
  const double b1 = 0.9, b2 = 0.999;
  for (int64_t search = 0; search < o.binary_search_steps; ++search) {
    at::Tensor w = w0.clone();
    at::Tensor m = at::zeros_like(w), v = at::zeros_like(w);
    at::Tensor succeeded = at::zeros({n}, x.options().dtype(at::kBool));
    const at::Tensor cx = c.to(x.scalar_type());
    double previous = std::numeric_limits<double>::infinity();
    for (int64_t it = 0; it < o.steps; ++it) {
      const at::Tensor xa = to_x(w);
      const LogitsAndGrad lg = model.logits_and_grad(xa, [&](const at::Tensor& z) {
        return objective(z) * cx;
      });
      at::NoGradGuard no_grad;
      const at::Tensor diff = xa - x;
      const at::Tensor l2sq = diff.pow(2).flatten(1).sum(1).to(at::kDouble);
      // Success with margin kappa: f <= -kappa exactly when the goal holds by kappa.
      const at::Tensor m_y = losses::margin(lg.logits, y);
      const at::Tensor ok = (o.targeted ? m_y.le(-o.kappa) : m_y.ge(o.kappa)) &
                            (o.targeted ? lg.logits.argmax(1).eq(y) : lg.logits.argmax(1).ne(y));
      const at::Tensor better = ok & l2sq.lt(best_l2);
      best_l2 = at::where(better, l2sq, best_l2);
      best = at::where(ops::per_sample_view(better, x), xa, best);
      succeeded |= ok;

      at::Tensor g = lg.grad + 2 * diff;
      if (bounded) g = g * (1 - w.tanh().pow(2)) * (scale / 2);
      const double t = static_cast<double>(it + 1);
      m.mul_(b1).add_(g, 1 - b1);
      v.mul_(b2).addcmul_(g, g, 1 - b2);
      const at::Tensor m_hat = m / (1 - std::pow(b1, t));
      const at::Tensor v_hat = v / (1 - std::pow(b2, t));
      w = w - o.lr * m_hat / (v_hat.sqrt() + 1e-8);

      if (o.abort_early && o.steps >= 10 && it % (o.steps / 10) == 0) {
        const double total = (l2sq + lg.loss.to(at::kDouble)).sum().item<double>();
        if (total > previous * 0.9999) break;
        previous = total;
      }
    }
    // Binary search on c per sample: shrink after a success, grow (x10 until bracketed) after none.
    hi = at::where(succeeded, at::minimum(hi, c), hi);
    lo = at::where(succeeded, lo, at::maximum(lo, c));
    const at::Tensor bracketed = hi.lt(1e9);
    c = at::where(bracketed, (lo + hi) / 2, c * 10);
  }
  return best;
}

std::string CW::repr() const {
  const auto& o = options_;
  return detail::str("CW(c=", o.c, ", kappa=", o.kappa, ", steps=", o.steps,
                     ", binary_search_steps=", o.binary_search_steps, ", lr=", o.lr,
                     ", abort_early=", o.abort_early ? "True" : "False", ", targeted=",
                     o.targeted ? "True" : "False", ")");
}

}  // namespace bulwark::attacks
