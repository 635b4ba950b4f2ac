// bulwark-demo: the short end-to-end run of `make demo` until the experiment runner lands.
// Trains the reference FashionCNN on Fashion-MNIST (or loads it from the model cache), then attacks the test set with FGSM and
// prints clean vs adversarial accuracy.
#include <cstdio>

#include <ATen/ATen.h>

#include <bulwark/attacks/fgsm.h>
#include <bulwark/core/error.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/core/runtime.h>
#include <bulwark/data/fashion_mnist.h>
#include <bulwark/models/fashion_cnn.h>
#include <bulwark/models/reference.h>
#include <bulwark/models/training.h>

#include "cli.h"

namespace po = boost::program_options;
using namespace bulwark;
using cli::seconds_since;

int main(int argc, char** argv) {
  int64_t epochs = 4, test_samples = 10000, batch_size = 128;
  int64_t attack_batch = 250;
  double lr = 1e-3;
  std::vector<double> eps_list;
  uint64_t seed = 0;
  po::options_description opts("bulwark-demo: train FashionCNN, attack it with FGSM");
  opts.add_options()
      ("help,h", "show this help")
      ("epochs", po::value(&epochs)->default_value(epochs), "training epochs")
      ("test-samples", po::value(&test_samples)->default_value(test_samples),
       "test images evaluated (the first N of the 10,000)")
      ("batch-size", po::value(&batch_size)->default_value(batch_size), "training batch size")
      ("attack-batch", po::value(&attack_batch)->default_value(attack_batch),
       "attack batch size (keep activations under glibc's 32 MiB mmap ceiling)")
      ("lr", po::value(&lr)->default_value(lr), "Adam learning rate")
      ("eps", po::value(&eps_list)->multitoken()->default_value({0.05, 0.1}, "0.05 0.1"),
       "FGSM L-infinity radii, in pixel units of [0, 1]")
      ("seed", po::value(&seed)->default_value(seed), "weights and shuffling seed")
      ("no-cache", "train even if the model cache holds this recipe (and do not store it)");
  return cli::run(argc, argv, opts, [&](const po::variables_map& vm) {
    BULWARK_CHECK(test_samples >= 1 && attack_batch >= 1,
                  "bulwark-demo: --test-samples and --attack-batch must be >= 1");

    std::printf("bulwark %s: %d threads\n", version().c_str(), at::get_num_threads());
    const auto test_set = data::fashion_mnist("test").slice(0, test_samples);

    models::FashionCNNRecipe recipe;
    recipe.training.epochs = epochs;
    recipe.training.batch_size = batch_size;
    recipe.training.lr = lr;
    recipe.training.seed = seed;
    recipe.use_cache = vm.count("no-cache") == 0;
    const auto t0 = std::chrono::steady_clock::now();
    bool cached = false;
    models::FashionCNN net = models::trained_fashion_cnn(recipe, &cached);
    const double train_s = seconds_since(t0);

    ModuleClassifier model(net);
    const double clean = models::accuracy(model, test_set);
    std::printf("FashionCNN %s in %.1f s (%s)\n\n%-28s %10s %8s\n",
                cached ? "loaded from the model cache" : "trained on 60,000 images", train_s,
                models::cache_key(recipe).c_str(), "attack", "accuracy", "time");
    std::printf("%-28s %9.2f%% %8s\n", "none (clean)", 100 * clean, "-");
    for (double eps : eps_list) {
      attacks::FGSMOptions fo;
      fo.eps = eps;
      attacks::FGSM fgsm(fo);
      const auto t1 = std::chrono::steady_clock::now();
      int64_t correct = 0;
      for (int64_t start = 0; start < test_set.size(); start += attack_batch) {
        const auto part = test_set.slice(start, attack_batch);
        const auto r = fgsm.run(model, part.inputs, part.labels);
        correct += r.success.logical_not().sum().item<int64_t>();
      }
      char name[64];
      std::snprintf(name, sizeof name, "FGSM eps=%.3g", eps);
      std::printf("%-28s %9.2f%% %7.1fs\n", name,
                  100.0 * static_cast<double>(correct) / static_cast<double>(test_set.size()),
                  seconds_since(t1));
    }
    return 0;
  });
}
