#pragma once
// The optimizer as a training loop sees it: clear gradients, take a step, set the learning rate.
// LibTorch optimizers get these from optimizer_hooks(); bindings wrap a Python optimizer and
// scheduler the same way.

#include <functional>

namespace torch::optim {
class Optimizer;
}

namespace bulwark::models {

struct OptimizerHooks {
  std::function<void()> zero_grad;  // required
  std::function<void()> step;       // required
  // Called before every minibatch with the training progress in epochs (epoch + batch / batches,
  // 0-based), e.g. to set a learning rate schedule. Optional.
  std::function<void(double epochs_done)> schedule;
  // Called after every epoch (e.g. an epoch-wise scheduler). Optional.
  std::function<void()> end_epoch;
  // The current learning rate, for the history. Optional.
  std::function<double()> lr;
};

// Hooks for a LibTorch optimizer; `lr_schedule` (optional) maps the progress in epochs to the
// learning rate of every parameter group, set before each minibatch (stateless, so a resumed run
// gets the same rates).
OptimizerHooks optimizer_hooks(torch::optim::Optimizer& optimizer,
                               std::function<double(double epochs_done)> lr_schedule = {});

}  // namespace bulwark::models
