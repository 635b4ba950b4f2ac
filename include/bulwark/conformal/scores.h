#pragma once
// Non-conformity scores for classification and the prediction sets they induce. probs: (N, K)
// probabilities (rows summing to 1); u: (N,) uniforms in [0, 1), one per sample, for the
// randomised scores. Classes are ranked by probability, descending, ties by lower index; r(y)
// is y's 0-based rank and C(y) the total probability ranked before y.
//   LAC / THR (Sadinle, Lei & Wasserman 2019):       s = 1 - p_y
//   APS (Romano, Sesia & Candes 2020):                s = C(y) + u p_y       (u = 1: not randomised)
//   RAPS (Angelopoulos et al. 2021):                  s = APS + lam max(0, r(y) + 1 - k_reg)
//   SAPS (Huang et al. 2023):                         s = u p_max if r(y) = 0, else
//                                                         p_max + lam (r(y) - 1 + u)
//   TopK (Angelopoulos et al. 2021, the baseline):    s = r(y) + u
// The set of a sample is {y : s(x, y, u) <= threshold}, with the sample's one u for every label.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <ATen/core/Tensor.h>

namespace bulwark::conformal {

enum class ScoreKind { LAC, APS, RAPS, SAPS, TopK };

struct Score {
  ScoreKind kind = ScoreKind::APS;
  bool randomized = true;  // ignored by LAC, which has no randomised form
  // RAPS: the penalty per rank beyond k_reg, default 0.01 (Angelopoulos et al. 2021). SAPS: the
  // weight of the ranks, default 0.2 (TorchCP's; Huang et al. 2023 tune it on held-out data from
  // a grid — do so for your model). Unset: the score's default (lam_value()).
  std::optional<double> lam;
  int64_t k_reg = 5;       // RAPS

  double lam_value() const { return lam.value_or(kind == ScoreKind::SAPS ? 0.2 : 0.01); }
  void validate(const char* where) const;
  std::string repr() const;
};

// "lac" (alias "thr") | "aps" | "raps" | "saps" | "topk".
ScoreKind parse_score(std::string_view name, const char* arg = "score");
std::string to_string(ScoreKind kind);

// The score of each sample's label: (N,) double. One O(K) pass per row, no sort.
at::Tensor label_scores(const Score& score, const at::Tensor& probs, const at::Tensor& labels,
                        const at::Tensor& u);

// (N, K) bool: label y of sample n is in the set iff s(x_n, y, u_n) <= thresholds[y]
// (thresholds: (K,) double, or (1,) for one threshold). Each row is sorted once.
at::Tensor prediction_sets(const Score& score, const at::Tensor& probs, const at::Tensor& thresholds,
                           const at::Tensor& u);

// Throws unless probs is a floating (N, K) tensor, K >= 2, finite, in [0, 1], rows summing
// to 1 within 1e-3 (`where` names the caller).
void check_probabilities(const at::Tensor& probs, const char* where, const char* arg = "probs");

}  // namespace bulwark::conformal
