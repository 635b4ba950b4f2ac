#pragma once
// Out-of-distribution detectors. The one convention, everywhere: score(...) returns an outlier
// score (N,) — higher means more likely out-of-distribution. (MSP's score is therefore
// -max softmax, Energy's -T logsumexp(z / T), and so on.) Evaluate with
// bulwark/metrics/ood_metrics.h.
//
// Three families, by what they need:
//   LogitDetector    score(logits)                           MSP, MaxLogit, Energy, Entropy
//   FeatureDetector  fit(train features[, labels]) / score(features)
//                                                             Mahalanobis, KNN, ViM, ReAct, GradNorm
//   ODIN             score(classifier, x): gradients through the model.
// Every detector saves to one self-describing JSON file readable from C++:
//   {"format": "bulwark.ood_detector", "version": 1, "kind": "KNN", ...}
// load_detector(path) returns the kind the file holds; X::load(path) insists on kind X.

#include <cstdint>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>

#include <bulwark/core/json.h>
#include <bulwark/core/saved_object.h>

namespace bulwark::ood {

// The families have a non-virtual public interface: the public call checks its input once
// (shape, dtype, finiteness, D of the fit, fitted), turns autograd off and hands the detached
// tensor to the subclass's *_impl, which holds only the method.
class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::string kind() const = 0;
  virtual bool fitted() const { return true; }
  void save(const std::string& path) const;

 protected:
  // The fields after the common header; read() receives the file for error messages.
  virtual void write(json::Object& o) const = 0;
  virtual void read(const json::Object& o, const std::string& path) = 0;
  friend std::unique_ptr<Detector> load_detector(const std::string& path);
};

std::unique_ptr<Detector> load_detector(const std::string& path);

template <typename T>
T load_as(const std::string& path) {
  return loaded_as<T>(load_detector(path), path);
}

class LogitDetector : public Detector {
 public:
  // logits (N, K) finite floating, K >= 2 -> (N,) outlier scores in the logits' dtype and device.
  at::Tensor score(const at::Tensor& logits) const;

 protected:
  // logits checked and detached, autograd off.
  virtual at::Tensor score_impl(const at::Tensor& logits) const = 0;
};

class FeatureDetector : public Detector {
 public:
  // features (N, D) finite floating (D = the last layer's for ViM, ReAct, GradNorm); labels (N,)
  // int64 where the detector uses them (Mahalanobis), ignored otherwise. Returns *this.
  FeatureDetector& fit(const at::Tensor& features, const at::Tensor& labels = {});
  // features (M, D) with the D of the fit -> (M,) outlier scores (float, on the features' device).
  at::Tensor score(const at::Tensor& features) const;
  int64_t dim() const { return dim_; }  // D; 0 until fitted
  bool fitted() const override { return dim_ > 0; }

 protected:
  // The D a detector fixes before it is fitted (its last layer's), or 0 for any.
  virtual int64_t expected_dim() const { return 0; }
  // features checked and detached, autograd off; dim() is set after it returns.
  virtual void fit_impl(const at::Tensor& features, const at::Tensor& labels) = 0;
  virtual at::Tensor score_impl(const at::Tensor& features) const = 0;
  int64_t dim_ = 0;
};

// Throws unless x is a finite floating (N, D) tensor with N >= 1 (and D == dim when dim > 0).
void check_matrix(const at::Tensor& x, const char* where, const char* arg, int64_t dim = 0);

// Throws unless logits is a finite floating (N, K) tensor, N >= 1, K >= 2.
void check_logits(const at::Tensor& logits, const char* where);

// Throws unless weight (K, D), K >= 2, and bias (K,) are a finite floating last layer.
void check_last_layer(const at::Tensor& weight, const at::Tensor& bias, const char* where);

}  // namespace bulwark::ood
