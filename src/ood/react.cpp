#include <bulwark/ood/react.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/tensor_codec.h>

namespace bulwark::ood {

double percentile(const at::Tensor& x, double q) {
  BULWARK_CHECK(q >= 0 && q <= 100, "percentile: q must be in [0, 100], got ", q);
  const at::Tensor d = x.detach().to(at::kCPU, at::kDouble).contiguous().flatten();
  BULWARK_CHECK(d.numel() >= 1, "percentile: empty input");
  std::vector<double> v(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
  const double pos = q / 100 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double a = v[lo];
  if (lo + 1 >= v.size()) return a;
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  return a + (pos - static_cast<double>(lo)) * (b - a);
}

ReAct::ReAct(const at::Tensor& weight, const at::Tensor& bias, double percentile, double temperature)
    : percentile_(percentile), temperature_(temperature) {
  check_last_layer(weight, bias, "ReAct");
  BULWARK_CHECK(percentile > 0 && percentile <= 100, "ReAct: percentile must be in (0, 100], got ", percentile);
  BULWARK_CHECK(std::isfinite(temperature) && temperature > 0, "ReAct: temperature must be > 0, got ", temperature);
  weight_ = weight.detach().to(at::kCPU, at::kDouble).contiguous();
  bias_ = bias.detach().to(at::kCPU, at::kDouble).contiguous();
}

void ReAct::fit_impl(const at::Tensor& features, const at::Tensor& /*labels*/) {
  constexpr const char* where = "ReAct.fit";
  BULWARK_CHECK(weight_.defined(), where, ": construct ReAct with the last layer (weight, bias)");
  threshold_ = ood::percentile(features, percentile_);  // the free function, not the getter
}

double ReAct::threshold() const {
  BULWARK_CHECK_AS(NotFittedError, fitted(), "ReAct.threshold: call fit() first");
  return threshold_;
}

at::Tensor ReAct::score_impl(const at::Tensor& features) const {
  const at::Tensor f = features.to(at::kCPU, at::kDouble).clamp_max(threshold_);
  const at::Tensor z = at::addmm(bias_, f, weight_.t());
  return (-temperature_ * at::logsumexp(z / temperature_, 1)).to(features.device(), features.scalar_type());
}

void ReAct::write(json::Object& o) const {
  o.set("percentile", percentile_)
      .set("temperature", temperature_)
      .set("threshold", threshold_)
      .set("weight", encode_tensor(weight_))
      .set("bias", encode_tensor(bias_));
}

void ReAct::read(const json::Object& o, const std::string& path) {
  percentile_ = o.number("percentile");
  temperature_ = o.number("temperature");
  threshold_ = o.number("threshold");
  weight_ = decode_tensor(o.string("weight"), path).to(at::kDouble);
  bias_ = decode_tensor(o.string("bias"), path).to(at::kDouble);
  BULWARK_CHECK_AS(FormatError, weight_.dim() == 2 && bias_.dim() == 1 && bias_.size(0) == weight_.size(0) &&
                                    std::isfinite(threshold_) && temperature_ > 0,
                   path, ": weight, bias, threshold or temperature out of range");
  dim_ = weight_.size(1);
}

}  // namespace bulwark::ood
