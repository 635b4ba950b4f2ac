#pragma once
// What every calibrator shares: fit on held-out (scores, labels), map scores to calibrated
// probabilities, and round-trip through a small self-describing JSON file that C++ reads
// without Python:
//   {"format": "bulwark.calibrator", "version": 1, "kind": "<class name>", "num_classes": K, ...}
// load_calibrator(path) returns whichever kind the file holds; X::load(path) insists on kind X.
// A file that is not a calibrator, holds another kind, or whose fields are missing or out of
// range raises FormatError naming the file.

#include <cstdint>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>

#include <bulwark/core/json.h>
#include <bulwark/core/saved_object.h>

namespace bulwark::calibration {

// A non-virtual interface: fit() and predict_proba() check their inputs once (against what the
// calibrator reads, input(), and after fitting against num_classes()), name the calibrator in
// errors, turn autograd off and call the subclass's *_impl with detached, checked scores.
class Calibrator {
 public:
  virtual ~Calibrator() = default;
  // Fits on held-out scores and labels (N,) int64. Returns *this.
  Calibrator& fit(const at::Tensor& scores, const at::Tensor& labels);
  // Calibrated probabilities on the device and in the dtype of `scores`: (N, K), or for the
  // binary calibrators (N,) probabilities of class 1.
  at::Tensor predict_proba(const at::Tensor& scores) const;
  virtual bool fitted() const = 0;
  virtual std::string kind() const = 0;
  int64_t num_classes() const { return k_; }  // 0 until fitted

  void save(const std::string& path) const;

 protected:
  // What `scores` are: (N, K) logits, (N, K) rows of probabilities, or (N,) scores of a binary
  // problem (labels 0/1, both present when fitting).
  enum class Input { Logits, Probabilities, Binary };
  virtual Input input() const = 0;
  // Called with checked, detached scores under no_grad; fit_impl sets the fitted state.
  virtual void fit_impl(const at::Tensor& scores, const at::Tensor& labels) = 0;
  virtual at::Tensor predict_proba_impl(const at::Tensor& scores) const = 0;
  // The checks of the public calls, for the subclasses' own (transform): scores (and labels when
  // defined) against input() and, once fitted, num_classes(); `where` names the call.
  void check_scores(const at::Tensor& scores, const at::Tensor& labels, const std::string& where) const;
  // NotFittedError naming `where` before fit, then check_scores without labels.
  void check_fitted(const at::Tensor& scores, const std::string& where) const;

  // The fields after the common header; read() receives the file for error messages.
  virtual void write(json::Object& o) const = 0;
  virtual void read(const json::Object& o, const std::string& path) = 0;

  int64_t k_ = 0;
  friend std::unique_ptr<Calibrator> load_calibrator(const std::string& path);
};

std::unique_ptr<Calibrator> load_calibrator(const std::string& path);

// load_calibrator(path), checked to hold a T.
template <typename T>
T load_as(const std::string& path) {
  return loaded_as<T>(load_calibrator(path), path);
}

}  // namespace bulwark::calibration
