#pragma once
// Exact binomial inference (Boost.Math's regularised incomplete beta and binomial
// distribution), for randomized smoothing's certificates and coverage checks.

#include <cstdint>

namespace bulwark::metrics {

// One-sided Clopper-Pearson lower confidence bound for a success probability after k
// successes in n trials: the largest p with P(Bin(n, p) >= k) <= alpha, i.e. the alpha
// quantile of Beta(k, n - k + 1); 0 when k = 0.
double clopper_pearson_lower(int64_t k, int64_t n, double alpha);
// The matching upper bound: the 1 - alpha quantile of Beta(k + 1, n - k); 1 when k = n.
double clopper_pearson_upper(int64_t k, int64_t n, double alpha);

// Two-sided exact binomial test of H0: p = 0.5 after k successes in n trials (the sum of the
// probabilities of outcomes no more likely than k, as scipy.stats.binomtest).
double binomial_test_half(int64_t k, int64_t n);

}  // namespace bulwark::metrics
