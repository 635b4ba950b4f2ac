#pragma once
// Free adversarial training (Shafahi et al. 2019, "Adversarial training for free!", Alg. 1):
// each minibatch is replayed m times; the one backward of each replay gives both the
// parameters' gradient (an optimizer step) and the input's gradient (an FGSM step on the
// perturbation delta, clipped to the L-inf eps-ball). delta is carried over to the next
// minibatch, so the attack keeps strengthening across batches at no extra cost. It changes the
// loop (m optimizer steps per minibatch), hence a stateful object the trainer drives; run
// epochs / m epochs for the cost of standard training.

#include <cstdint>
#include <optional>

#include <ATen/core/Tensor.h>

#include <bulwark/core/bounds.h>
#include <bulwark/defenses/adversarial_losses.h>
#include <bulwark/models/optimizer_hooks.h>

namespace bulwark::defenses {

struct FreeReplays {
  double loss_sum = 0;     // sum over the m replays of the batch-mean cross-entropy
  int64_t correct = 0;     // correct predictions over the m replays (of m * B)
  int64_t replays = 0;
};

class FreeAdversarialTraining {
 public:
  // step_size: the FGSM step on delta, default eps (the authors' setting).
  FreeAdversarialTraining(double eps, int64_t replays = 4, std::optional<double> step_size = std::nullopt);

  // m replays of (x, y): forward(clip(x + delta)), backward, optimizer step, delta update. The
  // training forward runs in the caller's mode (its graph reaches both parameters and delta).
  FreeReplays train_batch(const Forward& forward, const models::OptimizerHooks& optimizer, const Bounds& box,
                          const at::Tensor& x, const at::Tensor& y);

  double eps() const { return eps_; }
  int64_t replays() const { return replays_; }
  double step_size() const { return step_size_; }
  // The carried perturbation (undefined before the first batch); settable for checkpoints.
  const at::Tensor& delta() const { return delta_; }
  void set_delta(at::Tensor delta) { delta_ = std::move(delta); }

 private:
  double eps_;
  int64_t replays_;
  double step_size_;
  at::Tensor delta_;
};

}  // namespace bulwark::defenses
