#include <bulwark/conformal/metrics.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/losses/classification.h>

namespace bulwark::conformal {

namespace {
at::Tensor hits(const at::Tensor& sets, const at::Tensor& labels, const char* where) {
  BULWARK_CHECK_TYPE(sets.defined() && sets.scalar_type() == at::kBool, where,
                     ": sets must be a bool tensor (N, K)");
  BULWARK_CHECK_SHAPE(sets.dim() == 2 && sets.size(0) >= 1, where,
                      ": sets must have shape (N, K) with N >= 1, got ", sets.sizes());
  losses::check_labels(labels, sets.size(0), sets.size(1), where, "labels");
  return sets.gather(1, labels.to(sets.device()).unsqueeze(1)).squeeze(1);
}
}  // namespace

double coverage(const at::Tensor& sets, const at::Tensor& labels) {
  return hits(sets, labels, "coverage").to(at::kDouble).mean().item<double>();
}

at::Tensor set_sizes(const at::Tensor& sets) {
  BULWARK_CHECK_TYPE(sets.defined() && sets.scalar_type() == at::kBool && sets.dim() == 2,
                     "set_size: sets must be a bool tensor (N, K)");
  return sets.sum(1);
}

double size_stratified_coverage_violation(const at::Tensor& sets, const at::Tensor& labels,
                                          double alpha, const std::vector<int64_t>& edges) {
  constexpr const char* where = "size_stratified_coverage";
  BULWARK_CHECK(edges.size() >= 2 && std::is_sorted(edges.begin(), edges.end()), where,
                ": edges must be >= 2 ascending set sizes");
  const at::Tensor covered = hits(sets, labels, where).to(at::kCPU, at::kDouble);
  const at::Tensor sizes = set_sizes(sets).to(at::kCPU);
  double worst = 0;
  bool any = false;
  for (size_t j = 0; j + 1 < edges.size(); ++j) {
    const at::Tensor in = sizes.ge(edges[j]) & sizes.lt(edges[j + 1]);
    if (!in.any().item<bool>()) continue;
    any = true;
    worst = std::max(worst, std::abs(covered.index({in}).mean().item<double>() - (1 - alpha)));
  }
  return any ? worst : std::numeric_limits<double>::quiet_NaN();
}

at::Tensor class_coverage(const at::Tensor& sets, const at::Tensor& labels, int64_t k) {
  const at::Tensor covered = hits(sets, labels, "class_conditional_coverage").to(at::kCPU, at::kDouble);
  const at::Tensor y = labels.to(at::kCPU);
  const at::Tensor count = at::zeros({k}, at::kDouble).index_add_(0, y, at::ones_like(covered));
  const at::Tensor sum = at::zeros({k}, at::kDouble).index_add_(0, y, covered);
  return sum / count;  // 0 / 0 = NaN for absent classes
}

}  // namespace bulwark::conformal
