#pragma once
// DeepFool (Moosavi-Dezfooli, Fawzi & Frossard 2016, Alg. 2): a minimal-norm attack that
// linearises the classifier around the current point and steps onto the closest linearised
// decision boundary among the top `candidates` classes, until the label changes; the total
// step is scaled by (1 + overshoot). L2 (Alg. 2) and Linf (Sec. 3.3, q = 1 dual).

#include <cstdint>

#include <bulwark/attacks/attack.h>

namespace bulwark::attacks {

struct DeepFoolOptions {
  ops::Norm norm = ops::Norm::L2;  // L2 or Linf
  int64_t steps = 50;
  double overshoot = 0.02;
  int64_t candidates = 10;         // classes considered: the top ones of the clean logits
  bool targeted = false;           // untargeted only
};

class DeepFool : public AttackWithOptions<DeepFoolOptions> {
 public:
  explicit DeepFool(DeepFoolOptions options = {});
  std::string repr() const override;

 protected:
  at::Tensor perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) override;
  std::string name() const override { return "DeepFool"; }
};

}  // namespace bulwark::attacks
