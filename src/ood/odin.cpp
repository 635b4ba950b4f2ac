#include <bulwark/ood/odin.h>

#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>

namespace bulwark::ood {

ODIN::ODIN(double temperature, double eps) : temperature_(temperature), eps_(eps) {
  BULWARK_CHECK(std::isfinite(temperature) && temperature > 0, "ODIN: temperature must be > 0, got ", temperature);
  BULWARK_CHECK(std::isfinite(eps) && eps >= 0, "ODIN: eps must be >= 0, got ", eps);
}

at::Tensor ODIN::score(Classifier& model, const at::Tensor& x) const {
  const double t = temperature_;
  // L = -log S_yhat(x; T), yhat the prediction: its gradient points away from confidence.
  const LossFn loss = [t](const at::Tensor& z) {
    const at::Tensor logp = at::log_softmax(z / t, 1);
    return -logp.gather(1, logp.detach().argmax(1, true)).squeeze(1);
  };
  at::Tensor perturbed;
  {
    const LogitsAndGrad g = model.logits_and_grad(x, loss);  // checks x
    at::NoGradGuard no_grad;
    perturbed = x.detach() - eps_ * g.grad.sign();
    perturbed.clamp_(model.bounds().lower, model.bounds().upper);
  }
  at::NoGradGuard no_grad;
  Classifier::TrustedInputs trusted(model);  // in the box by construction
  return -std::get<0>(at::softmax(model.logits(perturbed) / t, 1).max(1));
}

void ODIN::write(json::Object& o) const { o.set("temperature", temperature_).set("eps", eps_); }

void ODIN::read(const json::Object& o, const std::string& path) {
  temperature_ = o.number("temperature");
  eps_ = o.number("eps");
  BULWARK_CHECK_AS(FormatError, std::isfinite(temperature_) && temperature_ > 0 && std::isfinite(eps_) && eps_ >= 0,
                   path, ": temperature must be > 0 and eps >= 0");
}

}  // namespace bulwark::ood
