#include <bulwark/attacks/mifgsm.h>

#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/ops/projection.h>

namespace bulwark::attacks {

MIFGSM::MIFGSM(MIFGSMOptions options) : AttackWithOptions(options) {
  impl::check_eps(options_.eps, "MIFGSM");
  impl::check_norm(options_.norm, "MIFGSM", /*allow_l1=*/false);
  impl::check_positive(options_.steps, "MIFGSM", "steps");
  impl::check_positive(options_.eot_samples, "MIFGSM", "eot_samples");
  BULWARK_CHECK(std::isfinite(options_.decay) && options_.decay >= 0,
                "MIFGSM: decay must be finite and >= 0, got ", options_.decay);
  if (options_.step_size) {
    BULWARK_CHECK(std::isfinite(*options_.step_size) && *options_.step_size > 0,
                  "MIFGSM: step_size must be finite and > 0, got ", *options_.step_size);
  }
}

double MIFGSM::step_size() const {
  return options_.step_size ? *options_.step_size : options_.eps / static_cast<double>(options_.steps);
}

at::Tensor MIFGSM::perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) {
  const Bounds& box = model.bounds();
  const auto loss_fn = losses::against(options_.loss, y);
  const double alpha = options_.targeted ? -step_size() : step_size();
  at::Tensor momentum = at::zeros_like(x);
  at::Tensor x_t = x;
  for (int64_t t = 0; t < options_.steps; ++t) {
    const at::Tensor g = expected_logits_and_grad(model, x_t, loss_fn, options_.eot_samples).grad;
    const at::Tensor l1 = ops::per_sample_norm(g, ops::Norm::L1).clamp_min(1e-12);
    momentum = momentum.mul_(options_.decay).add_(g / ops::per_sample_view(l1, g));
    at::Tensor direction;
    if (options_.norm == ops::Norm::Linf) {
      direction = momentum.sign();
    } else {
      const at::Tensor l2 = ops::per_sample_norm(momentum, ops::Norm::L2).clamp_min(1e-12);
      direction = momentum / ops::per_sample_view(l2, momentum);
    }
    x_t = ops::project_perturbation(x_t + alpha * direction, x, options_.norm, options_.eps, box);
  }
  return x_t;
}

std::string MIFGSM::repr() const {
  const auto& o = options_;
  return detail::str("MIFGSM(eps=", o.eps, ", norm='", ops::to_string(o.norm), "', steps=", o.steps,
                     ", step_size=", step_size(), ", decay=", o.decay, ", loss='",
                     losses::to_string(o.loss), "', targeted=", o.targeted ? "True" : "False",
                     ", eot_samples=", o.eot_samples, ")");
}

}  // namespace bulwark::attacks
