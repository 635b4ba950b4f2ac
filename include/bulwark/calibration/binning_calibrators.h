#pragma once
// Non-parametric calibrators on probabilities (N, K) (or logits with `logits = true`).
//   HistogramBinning (Zadrozny & Elkan 2001): equal-width bins of a score; each bin maps to the
//     empirical frequency of the event in it (a bin with no calibration point keeps its centre).
//     Top-label: the score is the top confidence, the event "the top class is right"; the
//     other classes share the remaining mass in proportion. Class-wise: per class k, p_k against
//     [y = k], then rows renormalised.
//   IsotonicCalibration (Zadrozny & Elkan 2002): per class k, the isotonic (non-decreasing)
//     regression of [y = k] on p_k by pool-adjacent-violators, evaluated by linear interpolation
//     between block means (clamped at the ends); rows renormalised (uniform if all are 0).

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include <bulwark/calibration/calibrator.h>

namespace bulwark::calibration {

// Pool-adjacent-violators: the non-decreasing fit of values y (ordered by x) minimising the
// weighted squared error. x, y: (n,) double; returns (knots x, fitted values) after merging
// equal-x points (their mean; x closer than 1e-15 count as equal), one knot per distinct x.
std::pair<std::vector<double>, std::vector<double>> isotonic_fit(const at::Tensor& x, const at::Tensor& y);

class HistogramBinning : public Calibrator {
 public:
  explicit HistogramBinning(int64_t bins = 15, bool classwise = false, bool logits = false);
  bool fitted() const override { return !values_.empty(); }
  std::string kind() const override { return "HistogramBinning"; }
  // (K or 1, bins) calibrated value per bin.
  at::Tensor bin_values() const;
  bool logits() const { return logits_; }
  int64_t bins() const { return bins_; }
  bool classwise() const { return classwise_; }
  static HistogramBinning load(const std::string& path) { return load_as<HistogramBinning>(path); }

 protected:
  Input input() const override { return logits_ ? Input::Logits : Input::Probabilities; }
  void fit_impl(const at::Tensor& scores, const at::Tensor& labels) override;
  at::Tensor predict_proba_impl(const at::Tensor& scores) const override;
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;

 private:
  int64_t bins_;
  bool classwise_, logits_;
  std::vector<std::vector<double>> values_;
};

class IsotonicCalibration : public Calibrator {
 public:
  explicit IsotonicCalibration(bool logits = false);
  bool fitted() const override { return !knots_.empty(); }
  std::string kind() const override { return "IsotonicCalibration"; }
  bool logits() const { return logits_; }
  static IsotonicCalibration load(const std::string& path) { return load_as<IsotonicCalibration>(path); }

 protected:
  Input input() const override { return logits_ ? Input::Logits : Input::Probabilities; }
  void fit_impl(const at::Tensor& scores, const at::Tensor& labels) override;
  at::Tensor predict_proba_impl(const at::Tensor& scores) const override;
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;

 private:
  bool logits_;
  std::vector<std::vector<double>> knots_, values_;
};

}  // namespace bulwark::calibration
