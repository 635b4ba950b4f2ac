#include <bulwark/defenses/free_adversarial_training.h>

#include <cmath>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <bulwark/core/error.h>
#include <bulwark/core/probabilities.h>
#include <bulwark/ops/projection.h>

namespace bulwark::defenses {

FreeAdversarialTraining::FreeAdversarialTraining(double eps, int64_t replays, std::optional<double> step_size)
    : eps_(eps), replays_(replays), step_size_(step_size.value_or(eps)) {
  constexpr const char* where = "FreeAdversarialTraining";
  BULWARK_CHECK(std::isfinite(eps) && eps > 0, where, ": eps must be > 0, got ", eps);
  BULWARK_CHECK(replays >= 1, where, ": replays must be >= 1, got ", replays);
  BULWARK_CHECK(std::isfinite(step_size_) && step_size_ > 0, where, ": step_size must be > 0, got ", step_size_);
}

FreeReplays FreeAdversarialTraining::train_batch(const Forward& forward, const models::OptimizerHooks& optimizer,
                                                 const Bounds& box, const at::Tensor& x, const at::Tensor& y) {
  constexpr const char* where = "FreeAdversarialTraining.train_batch";
  BULWARK_CHECK_TYPE(static_cast<bool>(forward) && static_cast<bool>(optimizer.zero_grad) &&
                         static_cast<bool>(optimizer.step),
                     where, ": forward, optimizer.zero_grad and optimizer.step are required");
  BULWARK_CHECK_TYPE(x.defined() && at::isFloatingType(x.scalar_type()), where, ": x must be a floating tensor");
  BULWARK_CHECK_SHAPE(x.dim() >= 1 && y.defined() && y.dim() == 1 && y.size(0) == x.size(0), where,
                      ": y must have shape (N,) = (", x.dim() >= 1 ? x.size(0) : 0, ",)");
  torch::autograd::AutoGradMode grad_on(true);
  const int64_t n = x.size(0);
  const at::Tensor x0 = x.detach();
  // delta has the shape of the largest batch seen; a smaller batch uses (and updates) its head,
  // as the authors' global_noise_data[0:n].
  const bool fits = delta_.defined() && delta_.dim() == x0.dim() && delta_.size(0) >= n &&
                    delta_.sizes().slice(1) == x0.sizes().slice(1) && delta_.device() == x0.device();
  if (!fits) {
    at::Tensor fresh = at::zeros_like(x0);
    if (delta_.defined() && delta_.dim() == x0.dim() && delta_.sizes().slice(1) == x0.sizes().slice(1)) {
      const int64_t keep = std::min(n, delta_.size(0));
      fresh.slice(0, 0, keep).copy_(delta_.slice(0, 0, keep));
    }
    delta_ = fresh;
  }
  delta_ = delta_.to(x0.scalar_type());
  FreeReplays out;
  for (int64_t r = 0; r < replays_; ++r) {
    at::Tensor d = delta_.slice(0, 0, n).clone().requires_grad_(true);
    const at::Tensor x_adv = ops::clip_to_box(x0 + d, box);
    const at::Tensor z = forward(x_adv);
    BULWARK_CHECK_SHAPE(z.defined() && z.dim() == 2 && z.size(0) == n, where,
                        ": forward must return logits (N, K) for N = ", n);
    const at::Tensor loss = at::cross_entropy_loss(z, y);
    check_finite(loss, where, "the training loss");  // before the step: the model stays as it was
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    {
      at::NoGradGuard no_grad;
      BULWARK_CHECK(d.grad().defined(), where, ": the loss does not depend on the input");
      delta_.slice(0, 0, n).copy_((d.detach() + step_size_ * d.grad().sign()).clamp(-eps_, eps_));
      out.loss_sum += loss.item<double>();
      out.correct += z.argmax(1).eq(y).sum().item<int64_t>();
    }
    out.replays += 1;
  }
  return out;
}

}  // namespace bulwark::defenses
