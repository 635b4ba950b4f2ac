#pragma once
// Randomized smoothing (Cohen, Rosenfeld & Kolter 2019): the smoothed classifier
//   g(x) = argmax_c P(f(x + e) = c),  e ~ N(0, sigma^2 I),
// is certifiably robust in L2: if P(f(x + e) = c_A) >= p_A > 1/2, g predicts c_A within radius
// sigma * Phi^{-1}(p_A). Monte-Carlo, as the paper's PREDICT and CERTIFY:
//   predict: n samples; the top two counts n_A, n_B; return c_A if the two-sided binomial test
//     of n_A against n_A + n_B at p = 1/2 has p-value <= alpha, else abstain (-1).
//   certify: n0 samples choose c_A, n fresh samples count n_A; p_A = the one-sided
//     Clopper-Pearson lower bound at level 1 - alpha; certify c_A with radius
//     sigma * Phi^{-1}(p_A) if p_A > 1/2, else abstain (-1, radius 0).
// Noise is drawn in batches of batch_size copies from a generator seeded with `seed` per call
// (the same call gives the same answer) and is not clipped to the input box: the guarantee is
// for the Gaussian, so the base classifier sees x + e as is (train it with
// gaussian_augmentation). The classifier's box check is skipped for the noisy copies only.

#include <cstdint>

#include <ATen/core/Tensor.h>

#include <bulwark/core/classifier.h>

namespace bulwark::defenses {

struct Certificate {
  at::Tensor prediction;  // (N,) int64, -1 = abstain
  at::Tensor radius;      // (N,) float64, 0 where abstaining
  at::Tensor p_lower;     // (N,) float64, the lower bound on P(f(x + e) = c_A)
};

class RandomizedSmoothing {
 public:
  explicit RandomizedSmoothing(double sigma, int64_t batch_size = 1000, uint64_t seed = 0);

  at::Tensor predict(Classifier& model, const at::Tensor& x, int64_t n = 100, double alpha = 0.001) const;
  Certificate certify(Classifier& model, const at::Tensor& x, int64_t n0 = 100, int64_t n = 100000,
                      double alpha = 0.001) const;
  // (N, K) int64: how often f(x_i + e) = c over `num` noisy copies of each x_i, the noise drawn
  // from `generator`.
  at::Tensor sample_counts(Classifier& model, const at::Tensor& x, int64_t num, at::Generator& generator) const;

  double sigma() const { return sigma_; }
  int64_t batch_size() const { return batch_size_; }
  uint64_t seed() const { return seed_; }

 private:
  double sigma_;
  int64_t batch_size_;
  uint64_t seed_;
};

// x + N(0, sigma^2 I), drawn from `generator` (training with Gaussian data augmentation, as the
// base classifier of randomized smoothing needs). Not clipped.
at::Tensor gaussian_augmentation(const at::Tensor& x, double sigma, at::Generator& generator);

// Certified accuracy at each radius r: the fraction of inputs certified with the right class
// and radius >= r. radii (R,) -> (R,) float64.
at::Tensor certified_accuracy(const Certificate& certificate, const at::Tensor& labels, const at::Tensor& radii);

}  // namespace bulwark::defenses
