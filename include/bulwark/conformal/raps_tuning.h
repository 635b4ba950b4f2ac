#pragma once
// Choosing RAPS's k_reg and lam on a tuning split (Angelopoulos, Bates, Malik & Jordan 2021,
// "Uncertainty sets for image classifiers using conformal prediction", Sec. 2.3 and their
// code): k_reg = 1 + the (1 - alpha) quantile ("higher") of the true labels' 0-based ranks;
// then, with that k_reg, the lam among `lams` whose conformal sets, calibrated and evaluated on
// the tuning split, are smallest on average (ties: the first).

#include <cstdint>
#include <optional>
#include <vector>

#include <ATen/core/Tensor.h>

namespace bulwark::conformal {

struct RAPSParameters {
  int64_t k_reg;
  double lam;
  std::vector<double> mean_sizes;  // per candidate lam
};

RAPSParameters tune_raps(const at::Tensor& probs, const at::Tensor& labels, double alpha,
                         bool randomized = true,
                         const std::vector<double>& lams = {0.001, 0.01, 0.1, 0.2, 0.5},
                         std::optional<uint64_t> seed = std::nullopt);

}  // namespace bulwark::conformal
