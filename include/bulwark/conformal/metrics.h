#pragma once
// How prediction sets behave on labelled data. sets: (N, K) bool; labels: (N,) int64.

#include <vector>

#include <ATen/core/Tensor.h>

namespace bulwark::conformal {

// Fraction of samples whose set contains the label.
double coverage(const at::Tensor& sets, const at::Tensor& labels);
// (N,) int64 set sizes.
at::Tensor set_sizes(const at::Tensor& sets);
// Size-stratified coverage violation (Angelopoulos et al. 2021, Sec. 4): the worst
// |coverage(sets of size in a stratum) - (1 - alpha)| over the non-empty strata given by
// `edges` (ascending size boundaries; stratum j holds sizes in [edges[j], edges[j + 1])).
double size_stratified_coverage_violation(const at::Tensor& sets, const at::Tensor& labels,
                                          double alpha, const std::vector<int64_t>& edges);
// (K,) coverage per true class (NaN for classes absent from labels).
at::Tensor class_coverage(const at::Tensor& sets, const at::Tensor& labels, int64_t k);

}  // namespace bulwark::conformal
