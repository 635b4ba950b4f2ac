#pragma once
// Mahalanobis detector (Lee, Lee, Lee & Shin 2018): class means mu_k and one shared covariance
// Sigma = (1/N) sum_i (f_i - mu_{y_i})(f_i - mu_{y_i})' of the training features; outlier
// score = min_k (f - mu_k)' Sigma^{-1} (f - mu_k).
// The precision comes from Eigen's self-adjoint eigendecomposition. A covariance whose smallest
// eigenvalue is below rcond * largest (dead ReLU units, fewer samples than dimensions) is
// singular: it is regularised to Sigma + s I with s = rcond_shrink * trace(Sigma) / D, and
// regularization() reports s (0 when none was needed; Python warns).
// Scores use the expanded form f'Pf - 2 f'P mu_k + mu_k'P mu_k: two GEMMs per block of inputs,
// never an (M, M) product or an (M, K, D) difference tensor. The input pre-processing of the
// paper (a gradient step on the input) is not implemented.

#include <cstdint>
#include <string>

#include <bulwark/ood/detector.h>

namespace bulwark::ood {

class Mahalanobis : public FeatureDetector {
 public:
  explicit Mahalanobis(double rcond = 1e-10, double rcond_shrink = 1e-6);
  std::string kind() const override { return "Mahalanobis"; }
  at::Tensor means() const;      // (K, D) float64
  at::Tensor precision() const;  // (D, D) float64
  double regularization() const { return regularization_; }
  double rcond() const { return rcond_; }
  double rcond_shrink() const { return rcond_shrink_; }
  static Mahalanobis load(const std::string& path) { return load_as<Mahalanobis>(path); }

 protected:
  void fit_impl(const at::Tensor& features, const at::Tensor& labels) override;
  at::Tensor score_impl(const at::Tensor& features) const override;
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;

 private:
  double rcond_, rcond_shrink_;
  at::Tensor means_, precision_;
  double regularization_ = 0;
};

}  // namespace bulwark::ood
