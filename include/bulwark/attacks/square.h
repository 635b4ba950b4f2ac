#pragma once
// Square Attack (Andriushchenko, Croce, Flammarion & Hein 2020): a score-based black-box attack
// by random search. Each iteration proposes, per sample, a perturbation changed on one random
// square window of side s (s^2 = p * H * W, p halving on the paper's schedule of iterations
// 10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000) and keeps it if the margin loss decreases.
// Linf: the window is set to +-eps per channel (Alg. 2, init: vertical stripes). L2: the window
// gets the paper's centred "pseudo-Gaussian" pattern and mass is moved from a second window
// (Alg. 3, Sec. 3.2). Only forward passes; each sample spends at most `queries` of them, and
// samples stop as soon as they are adversarial. Inputs (N, C, H, W) or (N, H, W); Linf also
// (N, D), where windows are segments of length p * D.

#include <cstdint>
#include <optional>

#include <bulwark/attacks/attack.h>
#include <bulwark/losses/classification.h>

namespace bulwark::attacks {

struct SquareOptions {
  double eps = 8.0 / 255;
  ops::Norm norm = ops::Norm::Linf;  // Linf or L2
  int64_t queries = 5000;            // forward passes per sample, the clean check included
  double p_init = 0.8;               // initial fraction of pixels in a window
  bool rescale_schedule = true;      // stretch the schedule (defined for 10,000) to `queries`
  losses::Loss loss = losses::Loss::Margin;  // margin or ce (ranked by; success by margin)
  bool targeted = false;
  std::optional<uint64_t> seed;
};

class Square : public AttackWithOptions<SquareOptions> {
 public:
  explicit Square(SquareOptions options = {});
  std::string repr() const override;

 protected:
  at::Tensor perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) override;
  std::string name() const override { return "Square"; }

 private:
  // The random search on samples that are all still to attack.
  at::Tensor search(Classifier& model, const at::Tensor& x, const at::Tensor& y) const;
};

namespace impl {
// The fraction p at iteration `it` of the paper's piecewise-constant schedule.
double square_p(double p_init, int64_t it, int64_t queries, bool rescale);
// The L2 window pattern eta of side s (Andriushchenko et al. 2020, Sec. 3.2), unit L2 norm.
at::Tensor square_l2_pattern(int64_t s);
}  // namespace impl

}  // namespace bulwark::attacks
