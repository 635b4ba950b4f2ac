#pragma once
// Metrics of an out-of-distribution detector from its outlier scores (higher = more likely
// OOD, the convention of every bulwark detector): id (N_in,) on in-distribution inputs, ood
// (N_out,) on outliers. Ties are exact everywhere: tied scores share one threshold.
//   auroc:    P(s_ood > s_id) + P(s_ood = s_id) / 2 (the Mann-Whitney statistic).
//   aupr_out: average precision with OOD as the positive class, ranked by the score:
//             sum over distinct thresholds t (descending) of (R_t - R_prev) P_t, with
//             predictions "OOD" for score >= t (scikit-learn's average_precision_score).
//   aupr_in:  the same with ID as the positive class, ranked by -score.
//   fpr_at_tpr (in_positive = true, the default): ID is the positive class; accept an input as
//             ID when its score <= t, take the smallest t accepting at least a fraction `tpr`
//             of the ID inputs, and return the fraction of OOD inputs also accepted. With
//             in_positive = false: OOD positive, flag score >= t, the largest t flagging at least
//             `tpr` of the OOD inputs, and the fraction of ID inputs flagged (the convention of
//             some libraries; the two differ whenever the score distributions are asymmetric).
// One sort of each array (concurrently), then one pass: O(N log N).

#include <ATen/core/Tensor.h>

namespace bulwark::metrics {

struct OODMetrics {
  double auroc = 0, aupr_in = 0, aupr_out = 0, fpr_at_tpr = 0;
};

OODMetrics ood_metrics(const at::Tensor& id_scores, const at::Tensor& ood_scores, double tpr = 0.95,
                       bool in_positive = true);
double auroc(const at::Tensor& id_scores, const at::Tensor& ood_scores);
double aupr_in(const at::Tensor& id_scores, const at::Tensor& ood_scores);
double aupr_out(const at::Tensor& id_scores, const at::Tensor& ood_scores);
double fpr_at_tpr(const at::Tensor& id_scores, const at::Tensor& ood_scores, double tpr = 0.95,
                  bool in_positive = true);

}  // namespace bulwark::metrics
