#pragma once
// The one abstraction everything stands on: a differentiable map from inputs to logits.
//
// Attacks, training losses, calibrators and detectors talk to a Classifier and to nothing else.
// Non-virtual interface: the public calls check the input once (shape, dtype, device, bounds,
// NaN), count the query, then call forward_impl. Using a classifier never changes the model:
// parameters, their .grad, requires_grad and train/eval mode are as they were.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include <bulwark/core/bounds.h>
#include <bulwark/core/query_counts.h>

namespace bulwark {

struct ClassifierOptions {
  Bounds bounds{};                      // inputs must lie in [lower, upper]
  std::optional<int64_t> num_classes;   // K; taken from the first call when not given
  std::vector<int64_t> input_shape;     // one sample's shape (without N); empty: any
  bool eval_mode = true;                // run the model in eval mode during each call
};

// logits: (N, K); loss: (N,) per-sample losses; grad: d sum(loss) / dx, shaped like x.
struct LogitsAndGrad {
  at::Tensor logits;
  at::Tensor loss;
  at::Tensor grad;
};

// logits: (N, K); jacobian: (N, C, ...) with jacobian[n, j] = d logits[n, classes[n, j]] / dx[n].
struct LogitsAndJacobian {
  at::Tensor logits;
  at::Tensor jacobian;
};

// logits (N, K) and the penultimate features (N, D) of the same forward.
struct LogitsAndFeatures {
  at::Tensor logits;
  at::Tensor features;
};

// Maps logits (N, K) to per-sample losses (N,) (or a scalar).
using LossFn = std::function<at::Tensor(const at::Tensor& logits)>;

class Classifier {
 public:
  explicit Classifier(ClassifierOptions options = {});
  virtual ~Classifier() = default;
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  // x: (N, ...) floating point within bounds() -> logits (N, K) on x's device.
  // Differentiable: autograd flows from the logits back to x.
  at::Tensor logits(const at::Tensor& x);

  // argmax of the logits, (N,) int64, computed without autograd.
  at::Tensor predict(const at::Tensor& x);

  // One forward and one backward: the loss and its gradient w.r.t. x, computed with
  // torch::autograd::grad so no parameter's .grad is touched. Works inside no_grad.
  LogitsAndGrad logits_and_grad(const at::Tensor& x, const LossFn& loss);

  // One forward and C backwards: the gradients of the logits `classes` (N, C) int64 picks
  // for each sample (undefined: all K classes, C = K). Counted as C backward calls.
  LogitsAndJacobian logits_and_jacobian(const at::Tensor& x, const at::Tensor& classes = {});

  // The logits and the model's penultimate features (N, D) from one forward, for
  // feature-based OOD detectors. Checked and counted like logits(); InvalidArgument for a
  // model that does not expose its features (has_features() false).
  LogitsAndFeatures logits_and_features(const at::Tensor& x);
  virtual bool has_features() const { return false; }

  // Throws (ShapeError, TypeError, InvalidArgument) unless x is a valid input; `where` names
  // the public function the user called, for the message.
  void check_input(const at::Tensor& x, const char* where = "Classifier.logits") const;

  // Within this scope, calls on this thread skip the scan of x's values (NaN, +-inf, the box);
  // shape, dtype and device are still checked. For code whose inputs lie in the box by
  // construction, such as an attack's iterates once x itself was checked: the scan is a full
  // pass over x per call.
  class TrustedInputs {
   public:
    explicit TrustedInputs(const Classifier& model);
    ~TrustedInputs();
    TrustedInputs(const TrustedInputs&) = delete;
    TrustedInputs& operator=(const TrustedInputs&) = delete;

   private:
    const Classifier* previous_;
  };

  // K. Throws NotFittedError if it was not given and no call has been made yet.
  int64_t num_classes() const;
  bool knows_num_classes() const { return num_classes_.load() > 0; }
  const Bounds& bounds() const { return options_.bounds; }
  const ClassifierOptions& options() const { return options_; }

  // Every call made to this classifier, from any thread. A result's own queries come from a
  // QueryMeter (query_counts.h), which counts only its thread's calls.
  QueryCounts queries() const;
  void reset_queries();

  virtual std::string repr() const;

 protected:
  // The model itself: x (N, ...) -> logits (N, K). Adapters put the model in eval mode here
  // when options().eval_mode is set, and restore each submodule's mode before returning.
  virtual at::Tensor forward_impl(const at::Tensor& x) = 0;
  // Adapters check x against the model's parameters (dtype, device) here.
  virtual void check_compatible(const at::Tensor& /*x*/, const char* /*where*/) const {}
  // A short name for messages and repr, e.g. "ModuleClassifier".
  virtual std::string name() const = 0;
  // Adapters whose model exposes features: (logits, features) of x, in one forward. Called
  // only when has_features().
  virtual LogitsAndFeatures logits_and_features_impl(const at::Tensor& x);

 private:
  at::Tensor checked_forward(const at::Tensor& x, const char* where);
  // Checks x (or only its structure inside TrustedInputs) before a forward.
  void check_before_forward(const at::Tensor& x, const char* where) const;
  // Checks the model's logits z for x and counts the forward.
  void check_logits_out(const at::Tensor& x, const at::Tensor& z, const char* where);
  // Adds to the totals and to the calling thread's QueryMeters.
  void count(const QueryCounts& c);
  // check_input without the scan of the values.
  void check_structure(const at::Tensor& x, const char* where) const;

  ClassifierOptions options_;
  std::atomic<int64_t> num_classes_{-1};
  QueryTotals queries_;
};

namespace detail {
// "x has dtype Double but the model's parameters are Float ..." style checks shared by
// the adapters. `param` may be undefined (a model without parameters).
void check_matches_parameter(const at::Tensor& x, const at::Tensor& param, const char* where);
}  // namespace detail

}  // namespace bulwark
