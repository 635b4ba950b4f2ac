#include <bulwark/models/reference.h>

#include <bulwark/core/error.h>
#include <bulwark/data/fashion_mnist.h>
#include <bulwark/data/spam_assassin.h>
#include <bulwark/text/encode.h>
#include <bulwark/models/checkpoint.h>
#include <bulwark/version.h>

namespace bulwark::models {

namespace {
// "e4-b128-lr0.001-s0": the training settings that determine the weights.
std::string training_key(const TrainOptions& t) {
  return detail::str("e", t.epochs, "-b", t.batch_size, "-lr", t.lr, "-s", t.seed);
}
// Major.minor only: a patch release does not change how reference models are trained.
std::string version_key() {
  return detail::str("v", BULWARK_VERSION_MAJOR, ".", BULWARK_VERSION_MINOR);
}

// Trains `module` with `train_it`, through the model cache when use_cache; leaves it in eval mode.
void fit(torch::nn::Module& module, const std::string& key, bool use_cache, const std::string& cache_dir,
         const std::function<TrainHistory()>& train_it, bool* from_cache, TrainHistory* history) {
  TrainHistory h;
  const bool cached = use_cache ? load_or_train(module, key, train_it, h, cache_dir) : (h = train_it(), false);
  if (from_cache != nullptr) *from_cache = cached;
  if (history != nullptr) *history = std::move(h);
  module.eval();
}
}  // namespace

std::string cache_key(const FashionCNNRecipe& r, const std::string& method) {
  return detail::str("fashion_cnn-fashion_mnist-", method, "-n", r.train_samples, "-", training_key(r.training), "-",
                     version_key());
}

FashionCNN trained_fashion_cnn(const FashionCNNRecipe& r, bool* from_cache, TrainHistory* history) {
  check_options(r.training, "trained_fashion_cnn");
  BULWARK_CHECK(r.train_samples >= 1, "trained_fashion_cnn: train_samples must be >= 1, got ", r.train_samples);
  FashionCNN net(r.training.seed);
  fit(*net, cache_key(r), r.use_cache, r.cache_dir, [&] {
    return train(*net, [&](const at::Tensor& x) { return net->forward(x); },
                 data::fashion_mnist("train", r.data_dir).slice(0, r.train_samples), r.training);
  }, from_cache, history);
  return net;
}

std::string cache_key(const SpamClassifierRecipe& r) {
  return detail::str("spam_", r.arch, "-spam_assassin-", training_key(r.training), "-d", r.dim,
                     "-len", r.max_len, "-mf", r.min_freq, "-mv", r.max_vocab, "-", version_key());
}

SpamClassifier trained_spam_classifier(const SpamClassifierRecipe& r, bool* from_cache, TrainHistory* history) {
  BULWARK_CHECK(r.arch == "bag" || r.arch == "cnn",
                "trained_spam_classifier: arch must be 'bag' or 'cnn', got '", r.arch, "'");
  check_options(r.training, "trained_spam_classifier");
  BULWARK_CHECK(r.dim >= 1, "trained_spam_classifier: dim must be >= 1, got ", r.dim);
  BULWARK_CHECK(r.max_len >= 1, "trained_spam_classifier: max_len must be >= 1, got ", r.max_len);
  BULWARK_CHECK(r.min_freq >= 1, "trained_spam_classifier: min_freq must be >= 1, got ", r.min_freq);
  BULWARK_CHECK(r.max_vocab == -1 || r.max_vocab >= 2,
                "trained_spam_classifier: max_vocab must be -1 (no limit) or >= 2, got ", r.max_vocab);
  data::SpamAssassinOptions data_opts;
  data_opts.split = "train";
  data_opts.dir = r.data_dir;
  const auto train_set = data::spam_assassin(data_opts);
  SpamClassifier out;
  out.max_len = r.max_len;
  const auto tokens = text::tokenize_all(out.tokenizer, train_set.texts);
  out.vocabulary = text::Vocabulary::build(tokens, r.min_freq, r.max_vocab);
  const int64_t v = out.vocabulary.size();
  const uint64_t seed = r.training.seed;
  if (r.arch == "bag") {
    out.model = std::make_shared<EmbeddingBagClassifier>(v, r.dim, 2, seed);
  } else {
    out.model = std::make_shared<TextCNN>(v, r.dim, 64, 2, seed);
  }
  TextModel& m = *out.model;
  fit(m, cache_key(r), r.use_cache, r.cache_dir, [&] {
    const data::TensorDataset ds{out.vocabulary.encode_batch(tokens, r.max_len), train_set.labels};
    return train(m, [&](const at::Tensor& ids) { return m.forward(ids); }, ds, r.training);
  }, from_cache, history);
  return out;
}

}  // namespace bulwark::models
