#pragma once
// Conformal risk control (Angelopoulos, Bates, Fisch, Lei & Schuster 2022, Thm. 1): for losses
// L_i(lambda) in [0, B], non-increasing in lambda, the choice
//   lambda-hat = inf { lambda : n/(n + 1) * mean_i L_i(lambda) + B/(n + 1) <= alpha }
// gives E[L_{n+1}(lambda-hat)] <= alpha on an exchangeable new point. Here lambda runs over a
// given ascending grid, and losses[i, j] = L_i(lambdas[j]).

#include <string>

#include <ATen/core/Tensor.h>

namespace bulwark::conformal {

struct RiskControl {
  double lambda;        // lambda-hat
  int64_t index;        // its position in the grid
  double bound_value;   // n/(n+1) * mean loss + B/(n+1) at lambda-hat
};

// The checks on the settings alone (alpha in (0, 1), bound > 0 and finite), naming `where`: a
// risk controller constructed before its data (Python's ConformalRiskControl) checks them then.
void check_risk_control_options(double alpha, double bound, const std::string& where);

// losses: (n, m) in [0, bound], each row non-increasing; lambdas: (m,) ascending. Throws when
// the losses break those conditions or no lambda of the grid reaches alpha.
RiskControl risk_control(const at::Tensor& losses, const at::Tensor& lambdas, double alpha,
                         double bound = 1.0);

// The false-negative rate of multi-label sets C_lambda(x) = {k : scores_k >= 1 - lambda}:
// L_i(lambda) = 1 - |Y_i and C_lambda(x_i)| / |Y_i| (0 when Y_i is empty). scores: (n, K) in
// [0, 1]; targets: (n, K) bool; lambdas: (m,). Returns (n, m).
at::Tensor fnr_losses(const at::Tensor& scores, const at::Tensor& targets, const at::Tensor& lambdas);

}  // namespace bulwark::conformal
