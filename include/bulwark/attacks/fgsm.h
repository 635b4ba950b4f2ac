#pragma once
// Fast Gradient Sign Method (Goodfellow et al. 2015), and its random-start variant
// (Wong, Rice & Kolter 2020, "Fast is better than free"). L2: the fast gradient method,
// a step of eps along g / ||g||_2.

#include <cstdint>
#include <optional>

#include <bulwark/attacks/attack.h>
#include <bulwark/losses/classification.h>

namespace bulwark::attacks {

struct FGSMOptions {
  double eps = 8.0 / 255;
  ops::Norm norm = ops::Norm::Linf;             // Linf or L2
  losses::Loss loss = losses::Loss::CrossEntropy;
  bool random_start = false;                    // delta_0 ~ U(eps-ball), as Wong et al.
  std::optional<double> step_size;              // default eps, or 1.25 eps with random_start
  bool targeted = false;                        // descend the loss towards y
  int64_t eot_samples = 1;                      // gradients averaged per step (EOT)
  std::optional<uint64_t> seed;                 // default: bulwark::default_seed()
};

class FGSM : public AttackWithOptions<FGSMOptions> {
 public:
  explicit FGSM(FGSMOptions options = {});
  double step_size() const;
  std::string repr() const override;

 protected:
  at::Tensor perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) override;
  std::string name() const override { return "FGSM"; }

};

}  // namespace bulwark::attacks
