#pragma once
// Calibrators for binary problems: scores (N,) -> calibrated P(y = 1) (N,); labels (N,) in {0, 1}.
//   PlattScaling (Platt 1999; Newton's method as in Lin, Lin & Weng 2007): p = sigmoid(a s + c)
//     on real-valued scores s (decision values, logit differences z_1 - z_0), fitted by maximum
//     likelihood against Platt's smoothed targets t+ = (N+ + 1) / (N+ + 2), t- = 1 / (N- + 2)
//     (plain 0/1 targets with smooth_targets = false).
//   BetaCalibration (Kull, Silva Filho & Flach 2017, the 3-parameter "abm" map):
//     p = sigmoid(a ln s - b ln(1 - s) + c) on probabilities s in [0, 1] (clipped to
//     [eps, 1 - eps], eps the input type's machine epsilon) with a, b >= 0: a logistic regression
//     on (ln s, -ln(1 - s)); a coefficient that comes out negative is fixed at 0 and the other
//     refitted, as in the authors' implementation (and fixed at 0 too if it then comes out
//     negative, leaving the constant map at the base rate).
// Both minimise a convex log-loss exactly (Newton to a gradient tolerance).

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include <bulwark/calibration/calibrator.h>

namespace bulwark::calibration {

struct LogisticFit {
  std::vector<double> coef;  // one per feature column
  double intercept = 0;
  double nll = 0;  // mean log-loss at the fit
  int64_t iterations = 0;
};

// Logistic regression of soft targets t in [0, 1] on features (n, d) (float64, finite), by
// Newton's method with a backtracking line search, to max |mean gradient| <= 1e-10. Throws
// (naming `where`) when the fit does not converge or 0/1 targets are separated perfectly (no
// finite maximum-likelihood fit exists).
LogisticFit logistic_regression(const at::Tensor& features, const at::Tensor& targets, const char* where);

class PlattScaling : public Calibrator {
 public:
  explicit PlattScaling(bool smooth_targets = true) : smooth_targets_(smooth_targets) {}
  at::Tensor transform(const at::Tensor& scores) const;  // calibrated logit a s + c
  bool fitted() const override { return fitted_; }
  std::string kind() const override { return "PlattScaling"; }
  double a() const;
  double c() const;
  bool smooth_targets() const { return smooth_targets_; }
  static PlattScaling load(const std::string& path) { return load_as<PlattScaling>(path); }

 protected:
  Input input() const override { return Input::Binary; }
  void fit_impl(const at::Tensor& scores, const at::Tensor& labels) override;
  at::Tensor predict_proba_impl(const at::Tensor& scores) const override;  // sigmoid(transform)
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;

 private:
  bool smooth_targets_;
  bool fitted_ = false;
  double a_ = 0, c_ = 0;
};

class BetaCalibration : public Calibrator {
 public:
  BetaCalibration() = default;
  at::Tensor transform(const at::Tensor& scores) const;  // calibrated logit a ln s - b ln(1-s) + c
  bool fitted() const override { return fitted_; }
  std::string kind() const override { return "BetaCalibration"; }
  // (a, b, c)
  std::vector<double> parameters() const;
  static BetaCalibration load(const std::string& path) { return load_as<BetaCalibration>(path); }

 protected:
  Input input() const override { return Input::Binary; }
  void fit_impl(const at::Tensor& scores, const at::Tensor& labels) override;
  at::Tensor predict_proba_impl(const at::Tensor& scores) const override;  // sigmoid(transform)
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;

 private:
  bool fitted_ = false;
  double a_ = 0, b_ = 0, c_ = 0;
};

// Throws unless scores is a finite floating (N,) tensor, N >= 1, and labels (if defined) are
// (N,) integers in {0, 1} with both classes present.
void check_binary(const at::Tensor& scores, const at::Tensor& labels, const char* where);

}  // namespace bulwark::calibration
