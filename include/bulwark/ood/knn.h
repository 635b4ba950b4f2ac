#pragma once
// Deep nearest-neighbour detector (Sun, Ming, Zhu & Li 2022): the bank is the L2-normalised
// training features; outlier score = the Euclidean distance from the L2-normalised input to its
// k-th nearest bank vector. Exact: for unit vectors |u - v|^2 = 2 - 2 u.v, so the inputs meet
// the bank in tiles of (up to 256 inputs) x (bank vectors) similarities computed by GEMM into one
// reused buffer of at most block_elements numbers, and each input keeps a size-k min-heap of its
// largest similarities across tiles (OpenMP over inputs; runs of values that cannot enter the
// heap are skipped after one vectorised count). Memory is bounded whatever M and N are, and
// each tile is consumed while it is still in cache.
// The bank keeps the dtype of the fit's features (float32 features: float32 GEMM).

#include <cstdint>
#include <string>

#include <bulwark/ood/detector.h>

namespace bulwark::ood {

class KNN : public FeatureDetector {
 public:
  explicit KNN(int64_t k = 50, bool normalize = true, int64_t block_elements = int64_t{1} << 20);
  std::string kind() const override { return "KNN"; }
  int64_t k() const { return k_; }
  bool normalize() const { return normalize_; }
  int64_t block_elements() const { return block_elements_; }
  const at::Tensor& bank() const { return bank_; }
  static KNN load(const std::string& path) { return load_as<KNN>(path); }

 protected:
  void fit_impl(const at::Tensor& features, const at::Tensor& labels) override;  // labels unused
  at::Tensor score_impl(const at::Tensor& features) const override;
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;

 private:
  int64_t k_;
  bool normalize_;
  int64_t block_elements_;
  at::Tensor bank_;  // (N, D), L2-normalised when normalize_
};

}  // namespace bulwark::ood
