#include <bulwark/ood/gradnorm.h>

#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/tensor_codec.h>

namespace bulwark::ood {

GradNorm::GradNorm(const at::Tensor& weight, const at::Tensor& bias, double temperature) : temperature_(temperature) {
  check_last_layer(weight, bias, "GradNorm");
  BULWARK_CHECK(std::isfinite(temperature) && temperature > 0, "GradNorm: temperature must be > 0, got ", temperature);
  weight_ = weight.detach().to(at::kCPU, at::kDouble).contiguous();
  bias_ = bias.detach().to(at::kCPU, at::kDouble).contiguous();
  dim_ = weight_.size(1);
}

void GradNorm::fit_impl(const at::Tensor& features, const at::Tensor& /*labels*/) {
  BULWARK_CHECK(weight_.defined(), "GradNorm.fit: construct GradNorm with the last layer (weight, bias)");
}

at::Tensor GradNorm::score_impl(const at::Tensor& features) const {
  const at::Tensor f = features.to(at::kCPU, at::kDouble);
  const at::Tensor p = at::softmax(at::addmm(bias_, f, weight_.t()) / temperature_, 1);
  const double k = static_cast<double>(weight_.size(0));
  const at::Tensor norm = (p - 1.0 / k).abs().sum(1) * f.abs().sum(1) / temperature_;
  return (-norm).to(features.device(), features.scalar_type());
}

void GradNorm::write(json::Object& o) const {
  o.set("temperature", temperature_).set("weight", encode_tensor(weight_)).set("bias", encode_tensor(bias_));
}

void GradNorm::read(const json::Object& o, const std::string& path) {
  temperature_ = o.number("temperature");
  weight_ = decode_tensor(o.string("weight"), path).to(at::kDouble);
  bias_ = decode_tensor(o.string("bias"), path).to(at::kDouble);
  BULWARK_CHECK_AS(FormatError, weight_.dim() == 2 && bias_.dim() == 1 && bias_.size(0) == weight_.size(0) &&
                                    temperature_ > 0,
                   path, ": weight, bias or temperature out of range");
  dim_ = weight_.size(1);
}

}  // namespace bulwark::ood
