#pragma once
// Split conformal prediction (Vovk et al. 2005; Papadopoulos et al. 2002; Lei et al. 2018): on
// n calibration points with scores s_1..s_n, the threshold is the ceil((n + 1)(1 - alpha))-th
// smallest score; a new point's set {y : s(x, y) <= threshold} then contains its label with
// probability >= 1 - alpha (and < 1 - alpha + 1/(n + 1) without ties), for exchangeable data.
// Randomised scores draw one uniform per sample from a generator seeded by `seed` (fit) and by
// a seed derived from it (every predict call), so results repeat exactly.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <ATen/core/Tensor.h>

#include <bulwark/conformal/scores.h>
#include <bulwark/core/json.h>

namespace bulwark::conformal {

// The conformal quantile: the ceil((n + 1)(1 - alpha))-th smallest of `scores` (n = numel).
// Throws when that index exceeds n (fewer than ceil(1 / alpha) - 1 points).
double conformal_quantile(const at::Tensor& scores, double alpha, const char* where);
// ceil((n + 1)(1 - alpha)), the 1-based order statistic above (n + 1 when n is too small).
int64_t conformal_rank(int64_t n, double alpha);

struct ConformalOptions {
  Score score{};
  double alpha = 0.1;
  bool logits = false;            // inputs are logits (softmax first), not probabilities
  std::optional<uint64_t> seed;   // default: bulwark::default_seed()
};

class SplitConformal {
 public:
  explicit SplitConformal(ConformalOptions options = {});
  virtual ~SplitConformal() = default;

  // scores: (N, K) probabilities (or logits), labels: (N,) int64. Returns *this.
  SplitConformal& fit(const at::Tensor& scores, const at::Tensor& labels);
  // (N, K) bool prediction sets.
  at::Tensor predict(const at::Tensor& scores) const;

  bool fitted() const { return threshold_.has_value(); }
  double threshold() const;        // q-hat
  int64_t num_classes() const;
  int64_t n_calibration() const { return n_; }
  const ConformalOptions& options() const { return options_; }
  virtual std::string repr() const;
  virtual std::string kind() const { return "SplitConformal"; }

  // A small JSON file with the options and the fitted thresholds, readable without Python.
  void save(const std::string& path) const;
  // A SplitConformal or ClassConditionalConformal, as saved. Throws FormatError on a file that
  // is not one (wrong format, kind or version, missing fields).
  static std::shared_ptr<SplitConformal> load(const std::string& path);

 protected:
  // From the calibration points' label scores (N,), set the threshold(s).
  virtual void calibrate(const at::Tensor& label_scores, const at::Tensor& labels);
  // The thresholds predict() compares with: (1,) or (K,) double.
  virtual at::Tensor set_thresholds() const;
  // The fields after the common header (core/saved_object.h); read() names `path` in errors.
  virtual void write(json::Object& o) const;
  virtual void read(const json::Object& o, const std::string& path);
  // Checks `options` (naming `owner`) and fills in the default seed.
  static void check_options(ConformalOptions& options, const std::string& owner);

  // Probabilities from the caller's input, checked; `where` names the public call.
  at::Tensor probabilities(const at::Tensor& scores, const char* where) const;
  // One uniform per sample (fit: stream 0, predict: stream 1).
  at::Tensor uniforms(int64_t n, uint64_t stream) const;

  ConformalOptions options_;
  std::optional<double> threshold_;
  int64_t k_ = 0;
  int64_t n_ = 0;
};

}  // namespace bulwark::conformal
