#include <bulwark/models/training.h>

#include <cmath>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/optim/adam.h>

#include <bulwark/core/error.h>
#include <bulwark/data/batches.h>
#include <bulwark/losses/classification.h>

namespace bulwark::models {

void check_options(const TrainOptions& options, const std::string& where) {
  BULWARK_CHECK(options.epochs >= 1, where, ": epochs must be >= 1, got ", options.epochs);
  BULWARK_CHECK(options.batch_size >= 1, where, ": batch_size must be >= 1, got ", options.batch_size);
  BULWARK_CHECK(std::isfinite(options.lr) && options.lr > 0, where, ": lr must be > 0, got ", options.lr);
}

TrainHistory train(torch::nn::Module& module,
                   const std::function<at::Tensor(const at::Tensor&)>& forward,
                   const data::TensorDataset& data, const TrainOptions& options) {
  check_options(options, "train");
  const int64_t n = data.size();
  BULWARK_CHECK(n >= 1, "train: the data set is empty");
  losses::check_labels(data.labels, n, -1, "train", "data.labels");

  torch::optim::Adam optimizer(module.parameters(), torch::optim::AdamOptions(options.lr));
  TrainingLoopOptions o;
  o.epochs = options.epochs;
  o.seed = options.seed;
  o.progress = options.progress;
  o.on_batch = options.on_batch;
  TrainingLoop loop(optimizer_hooks(optimizer), o);
  data::TensorBatches batches(data, options.batch_size);
  const OptimizerHooks& hooks = loop.optimizer();
  const bool was_training = module.is_training();
  module.train(true);
  try {
    while (loop.epoch() < loop.epochs()) {
      loop.run_epoch(batches, [&](const at::Tensor& x, const at::Tensor& y, uint64_t) {
        return standard_step(forward, hooks, x, y);
      });
    }
  } catch (...) {
    module.train(was_training);
    throw;
  }
  module.train(was_training);
  return loop.history();
}

double accuracy(Classifier& model, const data::TensorDataset& data, int64_t batch_size) {
  BULWARK_CHECK(batch_size >= 1, "accuracy: batch_size must be >= 1, got ", batch_size);
  const int64_t n = data.size();
  BULWARK_CHECK(n >= 1, "accuracy: the data set is empty");
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += batch_size) {
    const auto part = data.slice(start, batch_size);
    correct += model.predict(part.inputs).eq(part.labels).sum().item<int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace bulwark::models
