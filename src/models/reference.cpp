#include <bulwark/models/reference.h>

#include <bulwark/core/error.h>
#include <bulwark/data/fashion_mnist.h>
#include <bulwark/data/spam_assassin.h>
#include <bulwark/text/encode.h>
#include <bulwark/models/checkpoint.h>
#include <bulwark/version.h>

namespace bulwark::models {

std::string cache_key(const FashionCNNRecipe& r) {
  // Major.minor only: a patch release does not change how reference models are trained.
  return detail::str("fashion_cnn-fashion_mnist-e", r.epochs, "-b", r.batch_size, "-lr", r.lr,
                     "-s", r.seed, "-v", BULWARK_VERSION_MAJOR, ".", BULWARK_VERSION_MINOR);
}

FashionCNN trained_fashion_cnn(const FashionCNNRecipe& r, bool* from_cache) {
  FashionCNN net(r.seed);
  auto train_it = [&] {
    TrainOptions o;
    o.epochs = r.epochs;
    o.batch_size = r.batch_size;
    o.lr = r.lr;
    o.seed = r.seed;
    o.progress = r.progress;
    o.on_batch = r.on_batch;
    train(*net, [&](const at::Tensor& x) { return net->forward(x); },
          data::fashion_mnist("train", r.data_dir), o);
  };
  bool cached = false;
  if (r.use_cache) {
    cached = load_or_train(*net, cache_key(r), train_it, r.cache_dir);
  } else {
    train_it();
  }
  if (from_cache != nullptr) *from_cache = cached;
  net->eval();
  return net;
}

std::string cache_key(const SpamClassifierRecipe& r) {
  return detail::str("spam_", r.arch, "-spam_assassin-e", r.epochs, "-b", r.batch_size, "-lr", r.lr,
                     "-d", r.dim, "-len", r.max_len, "-mf", r.min_freq, "-mv", r.max_vocab, "-s",
                     r.seed, "-v", BULWARK_VERSION_MAJOR, ".", BULWARK_VERSION_MINOR);
}

SpamClassifier trained_spam_classifier(const SpamClassifierRecipe& r, bool* from_cache) {
  BULWARK_CHECK(r.arch == "bag" || r.arch == "cnn",
                "trained_spam_classifier: arch must be 'bag' or 'cnn', got '", r.arch, "'");
  BULWARK_CHECK(r.max_len >= 1, "trained_spam_classifier: max_len must be >= 1, got ", r.max_len);
  data::SpamAssassinOptions data_opts;
  data_opts.split = "train";
  data_opts.dir = r.data_dir;
  const auto train_set = data::spam_assassin(data_opts);
  SpamClassifier out;
  out.max_len = r.max_len;
  const auto tokens = text::tokenize_all(out.tokenizer, train_set.texts);
  out.vocabulary = text::Vocabulary::build(tokens, r.min_freq, r.max_vocab);
  const int64_t v = out.vocabulary.size();
  if (r.arch == "bag") {
    out.model = std::make_shared<EmbeddingBagClassifier>(v, r.dim, 2, r.seed);
  } else {
    out.model = std::make_shared<TextCNN>(v, r.dim, 64, 2, r.seed);
  }
  auto train_it = [&] {
    TrainOptions o;
    o.epochs = r.epochs;
    o.batch_size = r.batch_size;
    o.lr = r.lr;
    o.seed = r.seed;
    o.progress = r.progress;
    o.on_batch = r.on_batch;
    const data::TensorDataset ds{out.vocabulary.encode_batch(tokens, r.max_len), train_set.labels};
    TextModel& m = *out.model;
    train(m, [&](const at::Tensor& ids) { return m.forward(ids); }, ds, o);
  };
  bool cached = false;
  if (r.use_cache) {
    cached = load_or_train(*out.model, cache_key(r), train_it, r.cache_dir);
  } else {
    train_it();
  }
  if (from_cache != nullptr) *from_cache = cached;
  out.model->eval();
  return out;
}

}  // namespace bulwark::models
