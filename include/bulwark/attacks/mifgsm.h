#pragma once
// Momentum Iterative FGSM (Dong et al. 2018, Alg. 1): g_{t+1} = mu g_t + grad / ||grad||_1,
// x_{t+1} = Proj(x_t + alpha sign(g_{t+1})) with alpha = eps / steps. L2 steps along
// g_{t+1} / ||g_{t+1}||_2 (the paper's L2 variant, Eq. 8).

#include <cstdint>
#include <optional>

#include <bulwark/attacks/attack.h>
#include <bulwark/losses/classification.h>

namespace bulwark::attacks {

struct MIFGSMOptions {
  double eps = 8.0 / 255;
  ops::Norm norm = ops::Norm::Linf;  // Linf or L2
  int64_t steps = 10;
  std::optional<double> step_size;   // default eps / steps
  double decay = 1.0;                // mu
  losses::Loss loss = losses::Loss::CrossEntropy;
  bool targeted = false;
  int64_t eot_samples = 1;           // gradients averaged per step (EOT)
};

class MIFGSM : public AttackWithOptions<MIFGSMOptions> {
 public:
  explicit MIFGSM(MIFGSMOptions options = {});
  double step_size() const;
  std::string repr() const override;

 protected:
  at::Tensor perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) override;
  std::string name() const override { return "MIFGSM"; }
};

}  // namespace bulwark::attacks
