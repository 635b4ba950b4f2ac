#pragma once
// Standard (non-adversarial) supervised training and accuracy, deterministic under a seed: the
// training loop of training_loop.h with Adam, the clean cross-entropy step and the minibatches of
// an in-memory data set (data::TensorBatches), so a model trained here equals one trained by
// defenses::AdversarialTrainer with method "standard" and the same settings.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/module.h>

#include <bulwark/core/classifier.h>
#include <bulwark/data/dataset.h>
#include <bulwark/models/training_loop.h>

namespace bulwark::models {

struct TrainOptions {
  int64_t epochs = 3;
  int64_t batch_size = 128;
  double lr = 1e-3;        // Adam
  uint64_t seed = 0;       // the shuffling order (per epoch: derive_seed(seed, epoch))
  bool progress = true;    // a one-line progress bar on stderr
  std::function<void(const TrainProgress&)> on_batch;  // called after every batch, if set
};

// One record per epoch.
using TrainHistory = std::vector<EpochRecord>;

// Cross-entropy training with Adam (autograd on, also when the caller is under no_grad), the
// module in train mode while it runs. `forward` maps inputs to logits with `module`'s parameters.
TrainHistory train(torch::nn::Module& module,
                   const std::function<at::Tensor(const at::Tensor&)>& forward,
                   const data::TensorDataset& data, const TrainOptions& options = {});
// The checks `train` makes on its options (epochs, batch_size >= 1, lr > 0), errors naming `where`:
// callers that do work before training (load data, build a vocabulary) check first.
void check_options(const TrainOptions& options, const std::string& where);

// Fraction of `data` that `model` classifies correctly, in batches without autograd.
double accuracy(Classifier& model, const data::TensorDataset& data, int64_t batch_size = 1000);

}  // namespace bulwark::models
