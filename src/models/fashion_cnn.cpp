#include <bulwark/models/fashion_cnn.h>

#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/random.h>

namespace bulwark::models {

FashionCNNImpl::FashionCNNImpl(uint64_t seed) {
  GlobalRngGuard keep_global_rng;  // the layer constructors draw from it; we reinitialise below
  conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 3).padding(1)));
  conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3).padding(1)));
  fc1 = register_module("fc1", torch::nn::Linear(64 * 7 * 7, 128));
  fc2 = register_module("fc2", torch::nn::Linear(128, 10));
  at::Generator gen = make_generator(seed);
  at::NoGradGuard no_grad;
  for (auto* layer : std::initializer_list<torch::nn::Module*>{conv1.get(), conv2.get(), fc1.get(),
                                                               fc2.get()}) {
    at::Tensor w = layer->named_parameters(false)["weight"];
    at::Tensor b = layer->named_parameters(false)["bias"];
    const double bound = 1.0 / std::sqrt(static_cast<double>(w[0].numel()));
    w.uniform_(-bound, bound, gen);
    b.uniform_(-bound, bound, gen);
  }
}

at::Tensor FashionCNNImpl::features(const at::Tensor& x) {
  at::Tensor h = at::max_pool2d(at::relu(conv1->forward(x)), 2);
  h = at::max_pool2d(at::relu(conv2->forward(h)), 2);
  return at::relu(fc1->forward(h.flatten(1)));
}

at::Tensor FashionCNNImpl::forward(const at::Tensor& x) { return fc2->forward(features(x)); }

}  // namespace bulwark::models
