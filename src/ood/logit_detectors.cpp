#include <bulwark/ood/logit_detectors.h>

#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>

namespace bulwark::ood {

void check_logits(const at::Tensor& logits, const char* where) {
  check_matrix(logits, where, "logits");
  BULWARK_CHECK_SHAPE(logits.size(1) >= 2, where, ": logits need K >= 2 classes, got K = ", logits.size(1));
}

at::Tensor MSP::score(const at::Tensor& logits) const {
  check_logits(logits, "MSP.score");
  at::NoGradGuard no_grad;
  return -std::get<0>(at::softmax(logits.detach(), 1).max(1));
}

at::Tensor MaxLogit::score(const at::Tensor& logits) const {
  check_logits(logits, "MaxLogit.score");
  at::NoGradGuard no_grad;
  return -std::get<0>(logits.detach().max(1));
}

Energy::Energy(double temperature) : temperature_(temperature) {
  BULWARK_CHECK(std::isfinite(temperature) && temperature > 0, "Energy: temperature must be > 0, got ",
                temperature);
}

at::Tensor Energy::score(const at::Tensor& logits) const {
  check_logits(logits, "Energy.score");
  at::NoGradGuard no_grad;
  return -temperature_ * at::logsumexp(logits.detach() / temperature_, 1);
}

void Energy::write(json::Object& o) const { o.set("temperature", temperature_); }

void Energy::read(const json::Object& o, const std::string& path) {
  temperature_ = o.number("temperature");
  BULWARK_CHECK_AS(FormatError, std::isfinite(temperature_) && temperature_ > 0, path,
                   ": temperature must be > 0");
}

at::Tensor Entropy::score(const at::Tensor& logits) const {
  check_logits(logits, "Entropy.score");
  at::NoGradGuard no_grad;
  const at::Tensor logp = at::log_softmax(logits.detach(), 1);
  return -(logp.exp() * logp).sum(1);
}

}  // namespace bulwark::ood
