#pragma once
// Standard (non-adversarial) supervised training and accuracy, deterministic under a seed.

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <torch/nn/module.h>

#include <bulwark/core/classifier.h>
#include <bulwark/data/dataset.h>

namespace bulwark::models {

// Where training is, for progress callbacks (e.g. a Python progress bar).
struct TrainProgress {
  int64_t epoch;    // 0-based
  int64_t epochs;
  int64_t batch;    // 1-based, batches done in this epoch
  int64_t batches;  // per epoch
  double loss;      // mean loss of this epoch so far
};

struct TrainOptions {
  int64_t epochs = 3;
  int64_t batch_size = 128;
  double lr = 1e-3;        // Adam
  uint64_t seed = 0;       // the shuffling order
  bool progress = true;    // a one-line progress bar on stderr
  std::function<void(const TrainProgress&)> on_batch;  // called after every batch, if set
};

// Mean training loss of each epoch.
using TrainHistory = std::vector<double>;

// Cross-entropy training with Adam (autograd on, also when the caller is under no_grad). `forward` maps inputs to logits with `module`'s parameters.
TrainHistory train(torch::nn::Module& module,
                   const std::function<at::Tensor(const at::Tensor&)>& forward,
                   const data::TensorDataset& data, const TrainOptions& options = {});

// Fraction of `data` that `model` classifies correctly, in batches without autograd.
double accuracy(Classifier& model, const data::TensorDataset& data, int64_t batch_size = 1000);

}  // namespace bulwark::models
