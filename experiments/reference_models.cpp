// bulwark-reference-models: trains (or loads from the model cache) the reference models and
// reports their test accuracy and training time: the numbers in docs/benchmarks.md.
#include <cstdio>
#include <string>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/core/runtime.h>
#include <bulwark/data/fashion_mnist.h>
#include <bulwark/data/spam_assassin.h>
#include <bulwark/models/reference.h>
#include <bulwark/text/encode.h>

#include "cli.h"

namespace po = boost::program_options;
using namespace bulwark;
using cli::seconds_since;

namespace {
void report(const std::string& name, const std::string& key, bool cached, double seconds,
            double accuracy) {
  std::printf("%-12s %-70s %-8s %7.1f s  test accuracy %.2f%%\n", name.c_str(), key.c_str(),
              cached ? "cached" : "trained", seconds, 100 * accuracy);
}
}  // namespace

int main(int argc, char** argv) {
  std::string which = "all";
  uint64_t seed = 0;
  po::options_description opts("bulwark-reference-models: train or load the reference models");
  opts.add_options()("help,h", "show this help")(
      "model", po::value(&which)->default_value(which),
      "fashion_cnn, spam_bag, spam_cnn or all")("seed", po::value(&seed)->default_value(seed),
                                                  "weights and shuffling seed")(
      "no-cache", "train even if the model cache holds the recipe (and do not store it)");
  return cli::run(argc, argv, opts, [&](const po::variables_map& vm) {
    BULWARK_CHECK(which == "all" || which == "fashion_cnn" || which == "spam_bag" ||
                      which == "spam_cnn",
                  "bulwark-reference-models: --model must be fashion_cnn, spam_bag, spam_cnn or "
                  "all, got '", which, "'");
    const bool use_cache = vm.count("no-cache") == 0;
    std::printf("bulwark %s, %d threads\n", version().c_str(), at::get_num_threads());
    at::NoGradGuard no_grad_for_evaluation;  // training turns autograd on for itself

    if (which == "all" || which == "fashion_cnn") {
      models::FashionCNNRecipe r;
      r.training.seed = seed;
      r.use_cache = use_cache;
      bool cached = false;
      const auto t0 = std::chrono::steady_clock::now();
      auto net = models::trained_fashion_cnn(r, &cached);
      const double s = seconds_since(t0);
      const auto test = data::fashion_mnist("test");
      ModuleClassifier model(net);
      report("fashion_cnn", models::cache_key(r), cached, s, models::accuracy(model, test));
    }
    for (const std::string arch : {"bag", "cnn"}) {
      if (which != "all" && which != "spam_" + arch) continue;
      models::SpamClassifierRecipe r;
      r.arch = arch;
      r.training.seed = seed;
      r.use_cache = use_cache;
      bool cached = false;
      const auto t0 = std::chrono::steady_clock::now();
      const auto spam = models::trained_spam_classifier(r, &cached);
      const double s = seconds_since(t0);
      data::SpamAssassinOptions o;
      o.split = "test";
      const auto test = data::spam_assassin(o);
      const at::Tensor ids = text::encode_texts(spam.tokenizer, spam.vocabulary, test.texts, r.max_len);
      const double acc =
          spam.model->forward(ids).argmax(1).eq(test.labels).to(at::kDouble).mean().item<double>();
      report("spam_" + arch, models::cache_key(r), cached, s, acc);
    }
    return 0;
  });
}
