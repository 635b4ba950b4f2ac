#pragma once
// The reference Fashion-MNIST model: two 3x3 conv layers with max pooling, two linear layers.
// x: (N, 1, 28, 28) float in [0, 1] -> logits (N, 10).

#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace bulwark::models {

class FashionCNNImpl : public torch::nn::Module {
 public:
  // Weights drawn from a generator seeded with `seed` (torch's default init distribution,
  // U(-1/sqrt(fan_in), 1/sqrt(fan_in))), never from torch's global generator.
  explicit FashionCNNImpl(uint64_t seed = 0);
  at::Tensor forward(const at::Tensor& x);
  // Penultimate features (N, 128), the input of the last linear layer.
  at::Tensor features(const at::Tensor& x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(FashionCNN);

}  // namespace bulwark::models
