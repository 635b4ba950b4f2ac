#pragma once
// Auto-PGD (Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an ensemble
// of diverse parameter-free attacks", Alg. 1): PGD with momentum 0.75 and a step size that
// starts at 2 eps and halves at checkpoints w_j = ceil(p_j N_iter), p_0 = 0, p_1 = 0.22,
// p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06), whenever fewer than rho of the steps since
// the last checkpoint increased the loss, or the step was not reduced last time and the best
// loss did not improve; after a halving the iterate restarts from the best point.
// APGDT runs APGD on the targeted DLR loss (Eq. 6) towards each of the top `num_targets` other
// classes of the clean logits in turn, on the samples still robust; its goal stays untargeted.
// Both attack only samples not yet adversarial and return, per sample, the first successful
// point found or else the point of highest loss.

#include <cstdint>
#include <optional>

#include <bulwark/attacks/attack.h>
#include <bulwark/losses/classification.h>

namespace bulwark::attacks {

struct APGDOptions {
  double eps = 8.0 / 255;
  ops::Norm norm = ops::Norm::Linf;  // Linf or L2
  int64_t steps = 100;
  int64_t restarts = 1;              // each from a random point on the eps-sphere
  losses::Loss loss = losses::Loss::CrossEntropy;  // ce, dlr or margin
  double rho = 0.75;                 // checkpoint condition 1
  bool targeted = false;             // descend the loss towards y (ce or margin)
  int64_t eot_samples = 1;
  std::optional<uint64_t> seed;
};

class APGD : public AttackWithOptions<APGDOptions> {
 public:
  explicit APGD(APGDOptions options = {});
  std::string repr() const override;

 protected:
  at::Tensor perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) override;
  std::string name() const override { return "APGD"; }
};

struct APGDTOptions {
  double eps = 8.0 / 255;
  ops::Norm norm = ops::Norm::Linf;
  int64_t steps = 100;
  int64_t restarts = 1;     // per target class
  int64_t num_targets = 9;  // capped at K - 1
  double rho = 0.75;
  int64_t eot_samples = 1;
  std::optional<uint64_t> seed;
  bool targeted = false;    // the goal is misclassification; not settable
};

class APGDT : public AttackWithOptions<APGDTOptions> {
 public:
  explicit APGDT(APGDTOptions options = {});
  std::string repr() const override;

 protected:
  at::Tensor perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) override;
  std::string name() const override { return "APGDT"; }
};

namespace impl {
// The checkpoints w_1 < w_2 < ... < N_iter of Croce & Hein (2020), Sec. 3.2.
std::vector<int64_t> apgd_checkpoints(int64_t steps);
}  // namespace impl

}  // namespace bulwark::attacks
