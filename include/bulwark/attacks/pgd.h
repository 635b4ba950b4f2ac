#pragma once
// Projected Gradient Descent (Madry et al. 2018, §2.1): steps of steepest ascent of the loss in
// the chosen norm, each projected back onto the eps-ball around x and the input box. L-inf steps
// along sign(g), L2 along g / ||g||_2, and L1 by sparse L1 descent (SLIDE, Tramèr & Boneh 2019,
// Alg. 1): sign(g) on the coordinates whose |g| is in the top (1 - sparsity) fraction, scaled to
// L1 norm step_size. With restarts, each sample keeps its strongest example: a successful one
// first, then the one with the highest loss, among every iterate the attack evaluated.

#include <cstdint>
#include <optional>

#include <bulwark/attacks/attack.h>
#include <bulwark/losses/classification.h>

namespace bulwark::attacks {

struct PGDOptions {
  double eps = 8.0 / 255;
  ops::Norm norm = ops::Norm::Linf;
  int64_t steps = 10;
  std::optional<double> step_size;  // default 2.5 * eps / steps (Madry et al.)
  bool random_start = true;         // uniform in the eps-ball
  int64_t restarts = 1;
  losses::Loss loss = losses::Loss::CrossEntropy;
  bool targeted = false;            // descend the loss towards y
  double l1_sparsity = 0.99;        // SLIDE: the quantile of |g| below which L1 steps ignore a coordinate
  int64_t eot_samples = 1;                      // gradients averaged per step (EOT)
  std::optional<uint64_t> seed;     // default: bulwark::default_seed()
};

class PGD : public AttackWithOptions<PGDOptions> {
 public:
  explicit PGD(PGDOptions options = {});
  double step_size() const;
  std::string repr() const override;

 protected:
  at::Tensor perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) override;
  std::string name() const override { return "PGD"; }

 private:
  // The L2 or L1 ascent direction for gradient g at x_t, of unit norm (L-inf is fused).
  at::Tensor direction(const at::Tensor& g, const at::Tensor& x_t, const Bounds& box) const;
};

}  // namespace bulwark::attacks
