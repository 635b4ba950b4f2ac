#include <bulwark/attacks/fgsm.h>

#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/random.h>
#include <bulwark/ops/ball_sampling.h>
#include <bulwark/ops/projection.h>

namespace bulwark::attacks {

FGSM::FGSM(FGSMOptions options) : AttackWithOptions(options) {
  BULWARK_CHECK(std::isfinite(options_.eps) && options_.eps >= 0,
                "FGSM: eps must be finite and >= 0, got ", options_.eps);
  BULWARK_CHECK(options_.norm != ops::Norm::L1, "FGSM: norm must be 'linf' or 'l2', got 'l1' "
                "(use PGD with norm='l1')");
  if (options_.step_size) {
    BULWARK_CHECK(std::isfinite(*options_.step_size) && *options_.step_size > 0,
                  "FGSM: step_size must be finite and > 0, got ", *options_.step_size);
  }
  impl::check_positive(options_.eot_samples, "FGSM", "eot_samples");
  if (!options_.seed) options_.seed = default_seed();
}

double FGSM::step_size() const {
  if (options_.step_size) return *options_.step_size;
  return options_.random_start ? 1.25 * options_.eps : options_.eps;
}

at::Tensor FGSM::perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) {
  const Bounds& box = model.bounds();
  at::Tensor x0 = x;
  if (options_.random_start) {
    at::Generator gen = make_generator(*options_.seed, x.device());
    x0 = ops::clip_to_box(x + ops::random_in_ball(x, options_.norm, options_.eps, gen), box);
  }
  const at::Tensor g =
      expected_logits_and_grad(model, x0, losses::against(options_.loss, y), options_.eot_samples)
          .grad;
  at::Tensor direction;
  if (options_.norm == ops::Norm::Linf) {
    direction = g.sign();
  } else {
    const at::Tensor n = ops::per_sample_norm(g, ops::Norm::L2).clamp_min(1e-12);
    direction = g / ops::per_sample_view(n, g);
  }
  const double step = options_.targeted ? -step_size() : step_size();
  return ops::project_perturbation(x0 + step * direction, x, options_.norm, options_.eps, box);
}

std::string FGSM::repr() const {
  return detail::str("FGSM(eps=", options_.eps, ", norm='", ops::to_string(options_.norm),
                     "', loss='", losses::to_string(options_.loss), "', random_start=",
                     options_.random_start ? "True" : "False", ", step_size=", step_size(),
                     ", targeted=", options_.targeted ? "True" : "False",
                     ", eot_samples=", options_.eot_samples, ", seed=", *options_.seed, ")");
}

}  // namespace bulwark::attacks
