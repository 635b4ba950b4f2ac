#include <bulwark/models/training.h>

#include <cstdio>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/optim/adam.h>

#include <bulwark/core/error.h>
#include <bulwark/core/progress.h>
#include <bulwark/core/random.h>
#include <bulwark/losses/classification.h>

namespace bulwark::models {

TrainHistory train(torch::nn::Module& module,
                   const std::function<at::Tensor(const at::Tensor&)>& forward,
                   const data::TensorDataset& data, const TrainOptions& options) {
  BULWARK_CHECK(options.epochs >= 1, "train: epochs must be >= 1, got ", options.epochs);
  BULWARK_CHECK(options.batch_size >= 1, "train: batch_size must be >= 1, got ", options.batch_size);
  BULWARK_CHECK(options.lr > 0, "train: lr must be > 0, got ", options.lr);
  const int64_t n = data.size();
  BULWARK_CHECK(n >= 1, "train: the data set is empty");
  losses::check_labels(data.labels, n, -1, "train", "data.labels");

  torch::autograd::AutoGradMode grad_on(true);  // also when called under no_grad
  torch::optim::Adam optimizer(module.parameters(), torch::optim::AdamOptions(options.lr));
  at::Generator gen = make_generator(options.seed);
  const bool was_training = module.is_training();
  module.train(true);
  TrainHistory history;
  const int64_t batches = (n + options.batch_size - 1) / options.batch_size;
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    Progress bar(detail::str("epoch ", epoch + 1, "/", options.epochs), batches, options.progress);
    const at::Tensor order = at::randperm(n, gen, at::TensorOptions(at::kLong));
    double total = 0;
    int64_t seen = 0;
    for (int64_t b = 0; b < batches; ++b) {
      const at::Tensor idx = order.slice(0, b * options.batch_size, (b + 1) * options.batch_size);
      const at::Tensor x = data.inputs.index_select(0, idx);
      const at::Tensor y = data.labels.index_select(0, idx);
      optimizer.zero_grad();
      const at::Tensor loss = losses::cross_entropy(forward(x), y).mean();
      loss.backward();
      optimizer.step();
      total += loss.item<double>() * static_cast<double>(idx.size(0));
      seen += idx.size(0);
      bar.update(b + 1, detail::str("loss ", total / static_cast<double>(seen)));
      if (options.on_batch) {
        options.on_batch({epoch, options.epochs, b + 1, batches, total / static_cast<double>(seen)});
      }
    }
    history.push_back(total / static_cast<double>(n));
    bar.finish(detail::str("loss ", history.back()));
  }
  module.train(was_training);
  return history;
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
