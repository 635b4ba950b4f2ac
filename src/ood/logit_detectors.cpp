#include <bulwark/ood/logit_detectors.h>

#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>

namespace bulwark::ood {

at::Tensor MSP::score_impl(const at::Tensor& logits) const {
  return -std::get<0>(at::softmax(logits, 1).max(1));
}

at::Tensor MaxLogit::score_impl(const at::Tensor& logits) const {
  return -std::get<0>(logits.max(1));
}

Energy::Energy(double temperature) : temperature_(temperature) {
  // Logits are divided by it in their own precision: outside [1e-8, 1e8] a float32 quotient
  // overflows or vanishes.
  BULWARK_CHECK(std::isfinite(temperature) && temperature >= 1e-8 && temperature <= 1e8,
                "Energy: temperature must lie in [1e-8, 1e8], got ", temperature);
}

at::Tensor Energy::score_impl(const at::Tensor& logits) const {
  return -temperature_ * at::logsumexp(logits / temperature_, 1);
}

void Energy::write(json::Object& o) const { o.set("temperature", temperature_); }

void Energy::read(const json::Object& o, const std::string& path) {
  temperature_ = o.number("temperature");
  BULWARK_CHECK_AS(FormatError, std::isfinite(temperature_) && temperature_ >= 1e-8 && temperature_ <= 1e8, path,
                   ": temperature must lie in [1e-8, 1e8], got ", temperature_);
}

at::Tensor Entropy::score_impl(const at::Tensor& logits) const {
  const at::Tensor logp = at::log_softmax(logits, 1);
  return -(logp.exp() * logp).sum(1);
}

}  // namespace bulwark::ood
