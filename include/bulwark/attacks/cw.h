#pragma once
// Carlini & Wagner (2017) L2 attack, a minimal-norm attack: minimise ||delta||_2^2 + c f(x + delta)
// with f = max(z_y - max_{j != y} z_j, -kappa) (targeted: max(max_{j != t} z_j - z_t, -kappa)),
// over w with x + delta = lower + (upper - lower)(tanh(w) + 1) / 2 so the box holds by
// construction (unbounded inputs: delta directly), by Adam; a per-sample binary search over c
// (x10 until the first success). Each sample keeps its smallest successful perturbation,
// else x itself.

#include <cstdint>

#include <bulwark/attacks/attack.h>

namespace bulwark::attacks {

struct CWOptions {
  double c = 1e-3;                  // initial trade-off constant
  double kappa = 0.0;               // confidence margin
  int64_t steps = 100;              // Adam steps per binary-search step
  int64_t binary_search_steps = 9;
  double lr = 1e-2;
  bool abort_early = true;          // stop a search step when the loss stops falling
  bool targeted = false;
  ops::Norm norm = ops::Norm::L2;   // L2 only
};

class CW : public AttackWithOptions<CWOptions> {
 public:
  explicit CW(CWOptions options = {});
  std::string repr() const override;

 protected:
  at::Tensor perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) override;
  std::string name() const override { return "CW"; }
};

}  // namespace bulwark::attacks
