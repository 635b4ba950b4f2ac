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

class Calibrator {
 public:
  virtual ~Calibrator() = default;
  virtual Calibrator& fit(const at::Tensor& scores, const at::Tensor& labels) = 0;
  virtual at::Tensor predict_proba(const at::Tensor& scores) const = 0;
  virtual bool fitted() const = 0;
  virtual std::string kind() const = 0;
  int64_t num_classes() const { return k_; }  // 0 until fitted

  void save(const std::string& path) const;

  // The fields after the common header; read() receives the file for error messages.
  virtual void write(json::Object& o) const = 0;
  virtual void read(const json::Object& o, const std::string& path) = 0;

 protected:
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
