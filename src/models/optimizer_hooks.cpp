#include <bulwark/models/optimizer_hooks.h>

#include <cmath>

#include <torch/optim/optimizer.h>

#include <bulwark/core/error.h>

namespace bulwark::models {

OptimizerHooks optimizer_hooks(torch::optim::Optimizer& optimizer, std::function<double(double)> lr_schedule) {
  OptimizerHooks h;
  h.zero_grad = [&optimizer] { optimizer.zero_grad(); };
  h.step = [&optimizer] { optimizer.step(); };
  if (lr_schedule) {
    h.schedule = [&optimizer, lr_schedule](double epochs_done) {
      const double lr = lr_schedule(epochs_done);
      BULWARK_CHECK(std::isfinite(lr) && lr >= 0, "optimizer_hooks: lr_schedule(", epochs_done,
                    ") must be a finite rate >= 0, got ", lr);
      for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
    };
  }
  h.lr = [&optimizer] {
    const auto& groups = optimizer.param_groups();
    return groups.empty() ? std::nan("") : groups.front().options().get_lr();
  };
  return h;
}

}  // namespace bulwark::models
