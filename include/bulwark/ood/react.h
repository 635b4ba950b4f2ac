#pragma once
// ReAct, rectified activations (Sun, Guo & Li 2021). Needs the classifier's last layer,
// logits = W f + b. Fit: the clipping threshold c = the `percentile`-th percentile of all
// training activations (every entry of the (N, D) features, linear interpolation as numpy's
// default). Outlier score = the Energy score of the last layer on clipped features:
//   -T logsumexp((W min(f, c) + b) / T).

#include <cstdint>
#include <string>

#include <bulwark/ood/detector.h>

namespace bulwark::ood {

class ReAct : public FeatureDetector {
 public:
  ReAct() = default;
  ReAct(const at::Tensor& weight, const at::Tensor& bias, double percentile = 90, double temperature = 1);
  std::string kind() const override { return "ReAct"; }
  double threshold() const;
  double percentile() const { return percentile_; }
  double temperature() const { return temperature_; }
  static ReAct load(const std::string& path) { return load_as<ReAct>(path); }

 protected:
  int64_t expected_dim() const override { return weight_.defined() ? weight_.size(1) : 0; }
  void fit_impl(const at::Tensor& features, const at::Tensor& labels) override;  // labels unused
  at::Tensor score_impl(const at::Tensor& features) const override;
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;

 private:
  at::Tensor weight_, bias_;  // float64
  double percentile_ = 90, temperature_ = 1, threshold_ = 0;
};

// The linear-interpolation percentile of all entries of x (numpy's default), q in [0, 100].
double percentile(const at::Tensor& x, double q);

}  // namespace bulwark::ood
