#include <bulwark/attacks/deepfool.h>

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/ops/projection.h>

namespace bulwark::attacks {

DeepFool::DeepFool(DeepFoolOptions options) : AttackWithOptions(options) {
  const auto& o = options_;
  impl::check_norm(o.norm, "DeepFool", /*allow_l1=*/false);
  impl::check_positive(o.steps, "DeepFool", "steps");
  BULWARK_CHECK(o.candidates >= 2, "DeepFool: candidates must be >= 2, got ", o.candidates);
  BULWARK_CHECK(std::isfinite(o.overshoot) && o.overshoot >= 0,
                "DeepFool: overshoot must be finite and >= 0, got ", o.overshoot);
  BULWARK_CHECK(!o.targeted, "DeepFool: only the untargeted attack is defined");
}

at::Tensor DeepFool::perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) {
  const auto& o = options_;
  const Bounds& box = model.bounds();
  at::Tensor clean;
  {
    at::NoGradGuard no_grad;
    clean = model.logits(x);
  }
  const int64_t k = clean.size(1), c = std::min(o.candidates, k);
  // The candidate classes, by clean score; column 0 is y for the samples we attack.
  const at::Tensor candidates = clean.argsort(int64_t{1}, /*descending=*/true).narrow(1, 0, c).contiguous();
  at::Tensor active = clean.argmax(1).eq(y);
  at::Tensor x_adv = x.clone();
  at::Tensor r_total = at::zeros_like(x);
  for (int64_t it = 0; it < o.steps; ++it) {
    const at::Tensor rows = active.nonzero().squeeze(1);
    const int64_t n = rows.numel();
    if (n == 0) break;
    const at::Tensor cand = candidates.index_select(0, rows);
    const auto lj = model.logits_and_jacobian(x_adv.index_select(0, rows), cand);
    at::NoGradGuard no_grad;
    const at::Tensor z = lj.logits.gather(1, cand);              // (n, c), column 0 the label
    const at::Tensor f = z.narrow(1, 1, c - 1) - z.narrow(1, 0, 1);  // (n, c - 1)
    const at::Tensor jac = lj.jacobian.flatten(2);
    const at::Tensor w = jac.narrow(1, 1, c - 1) - jac.narrow(1, 0, 1);  // (n, c - 1, d)
    const at::Tensor wn = o.norm == ops::Norm::L2 ? w.pow(2).sum(2).sqrt() : w.abs().sum(2);
    const at::Tensor l = (f.abs() / (wn + 1e-12)).argmin(1);
    const at::Tensor ar = at::arange(n, l.options());
    const at::Tensor wl = w.index({ar, l});   // (n, d)
    const at::Tensor fl = f.index({ar, l}).abs().unsqueeze(1) + 1e-4;
    at::Tensor r = o.norm == ops::Norm::L2
                       ? fl / (wl.pow(2).sum(1, true) + 1e-12) * wl
                       : fl / (wl.abs().sum(1, true) + 1e-12) * wl.sign();
    r = r.view(lj.jacobian.select(1, 0).sizes());
    r_total.index_add_(0, rows, r);
    const at::Tensor x_new = ops::clip_to_box(x.index_select(0, rows) +
                                                  (1 + o.overshoot) * r_total.index_select(0, rows),
                                              box);
    x_adv.index_copy_(0, rows, x_new);
    active.index_put_({rows}, model.predict(x_new).eq(y.index_select(0, rows)));
  }
  return x_adv;
}

std::string DeepFool::repr() const {
  const auto& o = options_;
  return detail::str("DeepFool(norm='", ops::to_string(o.norm), "', steps=", o.steps,
                     ", overshoot=", o.overshoot, ", candidates=", o.candidates, ")");
}

}  // namespace bulwark::attacks
