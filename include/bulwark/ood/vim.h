#pragma once
// ViM, virtual-logit matching (Wang, Li, Feng & Zhang 2022). Needs the classifier's last layer,
// logits = W f + b (W (K, D), b (K,)). Fit on training features:
//   u = -pinv(W) b (the origin that makes the logits linear in f - u);
//   the principal subspace: the top principal_dim eigenvectors of (1/N) sum_i (f_i - u)(f_i - u)';
//     R = the remaining eigenvectors (the residual space);
//   alpha = mean_i max_k z_ik / mean_i |R'(f_i - u)|.
// Outlier score = alpha |R'(f - u)| - logsumexp(W f + b)   (the virtual logit against the energy).
// principal_dim = 0 chooses as the authors' code does: 1000 for D >= 2048, 512 for D >= 768,
// else D / 2.

#include <cstdint>
#include <string>

#include <bulwark/ood/detector.h>

namespace bulwark::ood {

class ViM : public FeatureDetector {
 public:
  ViM() = default;
  ViM(const at::Tensor& weight, const at::Tensor& bias, int64_t principal_dim = 0);
  std::string kind() const override { return "ViM"; }
  int64_t principal_dim() const { return principal_dim_; }
  double alpha() const { return alpha_; }
  static ViM load(const std::string& path) { return load_as<ViM>(path); }

 protected:
  int64_t expected_dim() const override { return weight_.defined() ? weight_.size(1) : 0; }
  void fit_impl(const at::Tensor& features, const at::Tensor& labels) override;  // labels unused
  at::Tensor score_impl(const at::Tensor& features) const override;
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;

 private:
  at::Tensor weight_, bias_;  // float64
  int64_t principal_dim_ = 0;
  at::Tensor origin_, residual_;  // u (D,), R (D, D - principal_dim)
  double alpha_ = 0;
};

}  // namespace bulwark::ood
