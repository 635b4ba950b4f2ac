#pragma once
// Calibration metrics for classifiers, top-label unless said otherwise. scores: (N, K)
// probabilities, or logits with `logits = true` (softmax taken row by row in the same pass);
// labels: (N,) int64. Confidence c_i = max_k p_ik, correct_i = [argmax_k p_ik = y_i].
//   ece (Guo et al. 2017; Naeini et al. 2015): (sum_b n_b/N |acc_b - conf_b|^p)^(1/p) over
//       non-empty bins; p = 1 is the usual ECE, p = 2 the RMS calibration error.
//       Equal-width bins hold c in (b/B, (b+1)/B] (the first also c = 0); equal-mass bins split
//       the samples sorted by confidence into B runs of floor/ceil(N/B) samples (the adaptive ECE).
//   mce: max_b |acc_b - conf_b| over non-empty bins.
//   classwise_ece (static calibration error, Nixon et al. 2019): the mean over classes k of
//       the equal-width ECE of p_ik against [y_i = k].
//   nll: mean -log p_iy.  brier: mean sum_k (p_ik - [y_i = k])^2.
// Binary problems: scores (N,) are P(y = 1) (sigmoid of them with `logits = true`) and labels
// are 0/1. ece, mce and reliability_curve then bin P(y = 1) against y (the confidence of the
// positive class, as scikit-learn's calibration_curve); nll is the binary log-loss and brier
// mean (p_i - y_i)^2. classwise_ece needs (N, K).

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace bulwark::metrics {

struct Binning {
  int64_t bins = 15;
  bool equal_mass = false;
  double p = 1;  // 1: ECE, 2: RMS
};

// (confidence (N,) double, correct (N,) bool) in one pass over the rows.
std::pair<at::Tensor, at::Tensor> top_label(const at::Tensor& scores, const at::Tensor& labels,
                                            bool logits, const char* where);

struct ReliabilityCurve {
  at::Tensor confidence;  // (B,) mean confidence per bin (NaN where empty)
  at::Tensor accuracy;    // (B,) accuracy per bin (NaN where empty)
  at::Tensor count;       // (B,) int64
  at::Tensor edges;       // (B + 1,) bin edges (equal mass: the confidences at the cuts)
};

ReliabilityCurve reliability_curve(const at::Tensor& confidence, const at::Tensor& correct,
                                   const Binning& binning);

double ece(const at::Tensor& scores, const at::Tensor& labels, bool logits, const Binning& binning = {});
double mce(const at::Tensor& scores, const at::Tensor& labels, bool logits, const Binning& binning = {});
double classwise_ece(const at::Tensor& scores, const at::Tensor& labels, bool logits, int64_t bins = 15);
double nll(const at::Tensor& scores, const at::Tensor& labels, bool logits);
double brier(const at::Tensor& scores, const at::Tensor& labels, bool logits);

}  // namespace bulwark::metrics
