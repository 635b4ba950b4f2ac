#pragma once
// The reference models, trained on their data set by a fixed recipe, or loaded from the model
// cache when that recipe was trained before.

#include <cstdint>
#include <functional>
#include <string>

#include <bulwark/models/fashion_cnn.h>
#include <bulwark/models/training.h>

namespace bulwark::models {

// FashionCNN on the 60,000 Fashion-MNIST training images: Adam, cross-entropy.
struct FashionCNNRecipe {
  int64_t epochs = 4;
  int64_t batch_size = 128;
  double lr = 1e-3;
  uint64_t seed = 0;          // initial weights and shuffling
  bool progress = true;       // one-line progress on stderr
  bool use_cache = true;      // load/store in the model cache
  std::string cache_dir;      // empty: bulwark::cache_dir()
  std::string data_dir;       // empty: bulwark::data::fashion_mnist_dir()
  std::function<void(const TrainProgress&)> on_batch;
};

// The cache key: everything that determines the weights, e.g.
// "fashion_cnn-fashion_mnist-e4-b128-lr0.001-s0-v0.1".
std::string cache_key(const FashionCNNRecipe& recipe);

// A FashionCNN trained by `recipe` (in train mode off: eval()). `from_cache`, if given, tells
// whether the weights came from the cache.
FashionCNN trained_fashion_cnn(const FashionCNNRecipe& recipe = {}, bool* from_cache = nullptr);

}  // namespace bulwark::models
