#pragma once
// What the benchmarks share: a seeded FashionCNN in eval mode, a random batch, the plain
// forward+backward every overhead is measured against, and the median of timings.

#include <algorithm>
#include <cstdint>
#include <vector>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include <bulwark/core/random.h>
#include <bulwark/losses/classification.h>
#include <bulwark/models/fashion_cnn.h>

namespace bulwark::bench {

struct FashionBatch {
  explicit FashionBatch(int64_t batch) : net(0) {
    net->eval();
    at::Generator g = make_generator(0);
    x = at::rand({batch, 1, 28, 28}, g);
    y = at::randint(0, 10, {batch}, g);
  }
  // d sum(CE) / dx written directly: the physical cost of one attack step.
  at::Tensor direct_gradient() {
    at::Tensor xg = x.detach().requires_grad_(true);
    at::Tensor l = losses::cross_entropy(net->forward(xg), y).sum();
    return torch::autograd::grad({l}, {xg})[0];
  }
  models::FashionCNN net;
  at::Tensor x, y;
};

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace bulwark::bench
