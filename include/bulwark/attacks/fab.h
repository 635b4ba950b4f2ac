#pragma once
// Fast Adaptive Boundary attack (Croce & Hein 2020, "Minimally distorted adversarial examples
// with a fast adaptive boundary attack", Alg. 1): a minimal-norm attack. Each step linearises
// the classifier at x_k, takes the closest linearised decision hyperplane (all classes for
// FAB; the one towards a target class for FABT), projects both x_k and the original x onto it
// inside the box, and moves to a convex combination biased towards x (alpha <= alpha_max,
// extrapolation eta); once adversarial, it steps back towards x by beta. Each sample keeps its
// smallest adversarial perturbation; samples whose best norm is <= eps are not attacked further.
// FABT runs FAB towards each of the top `num_targets` other clean classes in turn (the
// targeted version AutoAttack uses); its goal stays misclassification.
// Needs a bounded box (the projections are onto the box).

#include <cstdint>
#include <optional>

#include <bulwark/attacks/attack.h>

namespace bulwark::attacks {

struct FABOptions {
  double eps = 8.0 / 255;            // random-restart radius; a sample is done at norm <= eps
  ops::Norm norm = ops::Norm::Linf;  // Linf or L2
  int64_t steps = 100;
  int64_t restarts = 1;              // the first from x, the others from random points
  double alpha_max = 0.1;
  double eta = 1.05;
  double beta = 0.9;
  int64_t num_targets = 9;           // FABT only; capped at K - 1
  std::optional<uint64_t> seed;
  bool targeted = false;             // the goal is misclassification; not settable
};

class FAB : public AttackWithOptions<FABOptions> {
 public:
  explicit FAB(FABOptions options = {}) : FAB(std::move(options), false) {}
  std::string repr() const override;

 protected:
  FAB(FABOptions options, bool use_targets);
  at::Tensor perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) override;
  std::string name() const override { return use_targets_ ? "FABT" : "FAB"; }

 private:
  bool use_targets_;
};

class FABT : public FAB {
 public:
  explicit FABT(FABOptions options = {}) : FAB(std::move(options), true) {}
};

}  // namespace bulwark::attacks
