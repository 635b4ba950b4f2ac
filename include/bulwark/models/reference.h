#pragma once
// The reference models, trained on their data set by a fixed recipe, or loaded from the model
// cache when that recipe was trained before.

#include <cstdint>
#include <string>

#include <memory>

#include <bulwark/models/fashion_cnn.h>
#include <bulwark/models/text_models.h>
#include <bulwark/models/training.h>
#include <bulwark/text/tokenizer.h>
#include <bulwark/text/vocabulary.h>

namespace bulwark::models {

// FashionCNN on the first train_samples of the 60,000 Fashion-MNIST training images: Adam,
// cross-entropy, in bulwark's training loop (models::train). make demo's standard model is this
// recipe, so it and bw.models.fashion_cnn() share one cached model.
struct FashionCNNRecipe {
  // epochs, batch size, Adam learning rate; the seed also draws the initial weights.
  TrainOptions training{/*epochs=*/4, /*batch_size=*/128, /*lr=*/1e-3, /*seed=*/0,
                        /*progress=*/true, /*on_batch=*/{}};
  int64_t train_samples = 60000;  // the first n training images
  bool use_cache = true;      // load/store in the model cache
  std::string cache_dir;      // empty: bulwark::cache_dir()
  std::string data_dir;       // empty: bulwark::data::fashion_mnist_dir()
};

// The cache key: everything that determines the weights, e.g.
// "fashion_cnn-fashion_mnist-standard-n60000-e4-b128-lr0.001-s0-v0.1". `method` names how a model
// of this recipe's data, optimizer and seed was trained: "standard" (this recipe), or an
// adversarial method with its settings (the runner's "fast-eps0.1-k10"), so every FashionCNN in
// the cache is named by one scheme.
std::string cache_key(const FashionCNNRecipe& recipe, const std::string& method = "standard");

// A FashionCNN trained by `recipe` (in train mode off: eval()). `from_cache`, if given, tells
// whether the weights came from the cache; `history`, if given, receives the training history
// (the cached run's when loaded).
FashionCNN trained_fashion_cnn(const FashionCNNRecipe& recipe = {}, bool* from_cache = nullptr,
                               TrainHistory* history = nullptr);

// A spam filter on the SpamAssassin training split (deduplicated, split seed 0): the vocabulary
// is built from the training texts, texts are cut to max_len tokens, Adam, cross-entropy.
struct SpamClassifierRecipe {
  std::string arch = "bag";   // "bag" (EmbeddingBagClassifier) or "cnn" (TextCNN)
  TrainOptions training{/*epochs=*/5, /*batch_size=*/32, /*lr=*/2e-3, /*seed=*/0,
                        /*progress=*/true, /*on_batch=*/{}};
  int64_t dim = 64;
  int64_t max_len = 256;
  int64_t min_freq = 2;
  int64_t max_vocab = 20000;
  bool use_cache = true;
  std::string cache_dir;
  std::string data_dir;        // empty: bulwark::data::spam_assassin_dir()
};

struct SpamClassifier {
  std::shared_ptr<TextModel> model;  // eval mode; label 1 = spam
  text::Tokenizer tokenizer;
  text::Vocabulary vocabulary;
  int64_t max_len = 256;
};

std::string cache_key(const SpamClassifierRecipe& recipe);
// The vocabulary is rebuilt from the data (deterministic); only the weights are cached.
SpamClassifier trained_spam_classifier(const SpamClassifierRecipe& recipe = {},
                                       bool* from_cache = nullptr, TrainHistory* history = nullptr);

}  // namespace bulwark::models
