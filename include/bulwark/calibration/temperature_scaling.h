#pragma once
// Temperature scaling (Guo, Pleiss, Sun & Weinberger 2017): calibrated probabilities
// softmax(z / T), with T > 0 minimising the negative log-likelihood on held-out logits.
// The NLL is convex in beta = 1/T:
//   f(beta)   = mean_i [ log sum_k exp(beta z_ik) - beta z_iy ]
//   f'(beta)  = mean_i [ E_p[z_i] - z_iy ],   f''(beta) = mean_i Var_p[z_i] >= 0  (p = softmax(beta z_i))
// so the fit is a safeguarded Newton iteration on beta inside a bracket [lo, hi] with
// f'(lo) < 0 <= f'(hi) (a bisection step whenever Newton would leave it), to a relative
// tolerance on beta. Each iteration is one fused pass over the logits (OpenMP over rows, no
// N x K temporaries); T is positive by construction.

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

#include <bulwark/calibration/calibrator.h>

namespace bulwark::calibration {

// (f, f', f'') of the mean NLL at beta, in one pass. logits (N, K) float/double, labels (N,).
struct NLLDerivatives {
  double value, first, second;
};
NLLDerivatives nll_derivatives(const at::Tensor& logits, const at::Tensor& labels, double beta);

class TemperatureScaling : public Calibrator {
 public:
  explicit TemperatureScaling(double tol = 1e-10, int64_t max_iter = 100);

  // fit: logits (N, K) finite float/double, labels (N,) int64 in [0, K); predict_proba:
  // softmax(logits / T).
  at::Tensor transform(const at::Tensor& logits) const;  // logits / T

  bool fitted() const override { return temperature_ > 0; }
  std::string kind() const override { return "TemperatureScaling"; }
  double temperature() const;
  int64_t iterations() const { return iterations_; }  // of the last fit
  double nll() const { return nll_; }                 // at the fitted T
  double tol() const { return tol_; }
  int64_t max_iter() const { return max_iter_; }
  std::string repr() const;

  static TemperatureScaling load(const std::string& path) { return load_as<TemperatureScaling>(path); }

 protected:
  Input input() const override { return Input::Logits; }
  void fit_impl(const at::Tensor& logits, const at::Tensor& labels) override;
  at::Tensor predict_proba_impl(const at::Tensor& logits) const override;
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;

 private:
  double tol_;
  int64_t max_iter_;
  double temperature_ = -1;
  int64_t iterations_ = 0;
  double nll_ = 0;
};

// Throws unless logits is a finite floating (N, K) tensor with N >= 1, K >= 2, and labels fit.
// check_values = false skips the values (finiteness) for a caller whose own pass checks them
// (Calibrator on probability rows: check_probability_rows rejects NaN and +-inf too), so the
// input is read once.
void check_logits(const at::Tensor& logits, const at::Tensor& labels, const char* where,
                  bool check_values = true);

}  // namespace bulwark::calibration
