#pragma once
// GradNorm (Huang, Geng & Li 2021): the L1 norm of the gradient, with respect to the last
// layer's weights, of the KL divergence between the uniform distribution and the softmax
// (temperature T); in-distribution inputs have larger gradients. With logits z = W f + b the
// gradient of sum_k -(1/K) log softmax(z / T)_k w.r.t. W is (p - 1/K) f' / T, an outer product,
// so its L1 norm is exact in closed form: (1/T) sum_k |p_k - 1/K| * sum_d |f_d| — no backward
// pass, batched. Outlier score = minus that norm. Needs the last layer; nothing to fit.

#include <string>

#include <bulwark/ood/detector.h>

namespace bulwark::ood {

class GradNorm : public FeatureDetector {
 public:
  GradNorm() = default;
  GradNorm(const at::Tensor& weight, const at::Tensor& bias, double temperature = 1);
  std::string kind() const override { return "GradNorm"; }
  double temperature() const { return temperature_; }
  static GradNorm load(const std::string& path) { return load_as<GradNorm>(path); }

 protected:
  int64_t expected_dim() const override { return weight_.defined() ? weight_.size(1) : 0; }
  void fit_impl(const at::Tensor& features, const at::Tensor& labels) override;  // nothing to learn
  at::Tensor score_impl(const at::Tensor& features) const override;
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;

 private:
  at::Tensor weight_, bias_;  // float64
  double temperature_ = 1;
};

}  // namespace bulwark::ood
