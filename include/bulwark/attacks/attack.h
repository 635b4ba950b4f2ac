#pragma once
// What every attack on continuous inputs shares: the call, the result and the input checks.

#include <string>

#include <ATen/core/Tensor.h>

#include <bulwark/core/classifier.h>
#include <bulwark/ops/norm.h>

namespace bulwark::attacks {

struct AttackResult {
  at::Tensor x_adv;     // like x: same shape, dtype and device, inside the model's bounds
  at::Tensor success;   // (N,) bool: prediction != y (untargeted) or == y (targeted)
  at::Tensor norm;      // (N,) ||x_adv - x|| in the attack's norm
  QueryCounts queries;  // what the attack asked the model, the final check included
};

class Attack {
 public:
  virtual ~Attack() = default;

  // Adversarial examples for (x, y) plus success, norms and query counts. One forward more
  // than operator() (the success check). y: (N,) int64 labels, or targets when targeted.
  AttackResult run(Classifier& model, const at::Tensor& x, const at::Tensor& y);
  // Just the adversarial examples.
  at::Tensor operator()(Classifier& model, const at::Tensor& x, const at::Tensor& y);

  virtual ops::Norm norm() const = 0;
  virtual bool targeted() const { return false; }
  // e.g. "FGSM(eps=0.1, norm='linf', ...)"; the Python repr.
  virtual std::string repr() const = 0;

 protected:
  // x and y are checked; returns x_adv.
  virtual at::Tensor perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) = 0;
  virtual std::string name() const = 0;

 private:
  at::Tensor checked_perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y,
                             const std::string& where);
};

// An attack configured by an options struct with at least `norm` and `targeted` fields.
template <typename Options>
class AttackWithOptions : public Attack {
 public:
  const Options& options() const { return options_; }
  ops::Norm norm() const override { return options_.norm; }
  bool targeted() const override { return options_.targeted; }

 protected:
  explicit AttackWithOptions(Options options) : options_(std::move(options)) {}
  Options options_;
};

// Expectation over transformation (Athalye, Carlini & Wagner 2018): logits, losses and input
// gradients averaged over `samples` calls, for models with randomness in the forward pass.
// samples == 1 is one plain logits_and_grad call.
LogitsAndGrad expected_logits_and_grad(Classifier& model, const at::Tensor& x, const LossFn& loss,
                                       int64_t samples);

// The attack's goal per sample: pred != y, or pred == y when `targeted`.
at::Tensor goal_reached(const at::Tensor& pred, const at::Tensor& y, bool targeted);

namespace impl {
// Shared option checks; `who` names the attack in the message.
void check_eps(double eps, const char* who);
// Counts (steps, restarts, samples, targets, epochs, batch sizes): at least 1 and at most
// kMaxCount, where a larger value can only be a typo (a million PGD steps of one batch take days
// here) and would otherwise run for ever.
constexpr int64_t kMaxCount = 1'000'000;
void check_positive(int64_t value, const char* who, const char* arg);
void check_norm(ops::Norm norm, const char* who, bool allow_l1);
}  // namespace impl

}  // namespace bulwark::attacks
