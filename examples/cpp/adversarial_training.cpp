// Adversarial training of the reference FashionCNN from C++ (LibTorch), two ways:
//   the default: your own training loop, one bulwark loss call per minibatch;
//   --trainer:   bulwark::defenses::AdversarialTrainer runs the loop (validation each epoch,
//                checkpoint + resume with --checkpoint).
// Then clean and PGD-20 accuracy on the first --test-samples test images.
//
//   build/examples/cpp/bulwark-adversarial-training --method trades --epochs 2
#include <cstdio>
#include <filesystem>

#include <torch/torch.h>

#include <bulwark/attacks/pgd.h>
#include <bulwark/core/error.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/core/random.h>
#include <bulwark/data/batches.h>
#include <bulwark/data/fashion_mnist.h>
#include <bulwark/defenses/adversarial_losses.h>
#include <bulwark/defenses/adversarial_trainer.h>
#include <bulwark/models/fashion_cnn.h>

#include "../../experiments/cli.h"

namespace po = boost::program_options;
using namespace bulwark;

namespace {

// The loss of one minibatch, by method: every call crafts x' with `crafter` (eval mode) and
// returns a loss whose graph reaches the parameters through `forward` (train mode).
at::Tensor adversarial_loss(const std::string& method, Classifier& crafter, const defenses::Forward& forward,
                            const at::Tensor& x, const at::Tensor& y, double eps, int64_t steps, uint64_t seed) {
  attacks::PGDOptions pgd;
  pgd.eps = eps;
  pgd.steps = steps;
  pgd.seed = seed;
  if (method == "pgd") return defenses::pgd_at_loss(crafter, forward, x, y, pgd).loss;
  if (method == "mart") return defenses::mart_loss(crafter, forward, x, y, pgd).loss;
  if (method == "fast") return defenses::fast_at_loss(crafter, forward, x, y, eps, std::nullopt, seed).loss;
  if (method == "trades") {
    defenses::TradesOptions t;
    t.eps = eps;
    t.steps = steps;
    t.seed = seed;
    return defenses::trades_loss(crafter, forward, x, y, t).loss;
  }
  throw InvalidArgument("--method must be pgd, trades, mart or fast (free and standard: with --trainer), got '" +
                        method + "'");
}

}  // namespace

int main(int argc, char** argv) {
  std::string method = "pgd", checkpoint;
  int64_t epochs = 1, steps = 7, batch_size = 128, train_samples = 60000, test_samples = 1000;
  double eps = 0.1, lr = 1e-3;
  uint64_t seed = 0;
  po::options_description opts("bulwark-adversarial-training: adversarial training of FashionCNN in LibTorch");
  opts.add_options()
      ("help,h", "show this help")
      ("method", po::value(&method)->default_value(method), "pgd, trades, mart, fast (+ free, standard with --trainer)")
      ("epochs", po::value(&epochs)->default_value(epochs), "training epochs")
      ("eps", po::value(&eps)->default_value(eps), "L-inf radius")
      ("steps", po::value(&steps)->default_value(steps), "attack steps while training")
      ("batch-size", po::value(&batch_size)->default_value(batch_size), "minibatch size")
      ("lr", po::value(&lr)->default_value(lr), "Adam learning rate")
      ("train-samples", po::value(&train_samples)->default_value(train_samples), "training images used")
      ("test-samples", po::value(&test_samples)->default_value(test_samples), "test images evaluated")
      ("seed", po::value(&seed)->default_value(seed), "weights, shuffling and attack seed")
      ("trainer", "run bulwark::defenses::AdversarialTrainer instead of the hand-written loop")
      ("checkpoint", po::value(&checkpoint), "with --trainer: checkpoint file, resumed from when it exists");
  return cli::run(argc, argv, opts, [&](const po::variables_map& vm) {
    BULWARK_CHECK(epochs >= 1 && batch_size >= 1 && train_samples >= 1 && test_samples >= 1,
                  "--epochs, --batch-size, --train-samples and --test-samples must be >= 1");
    const auto train_set = data::fashion_mnist("train").slice(0, train_samples);
    const auto test_set = data::fashion_mnist("test").slice(0, test_samples);
    models::FashionCNN net(seed);
    torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(lr));
    ModuleClassifier crafter(net);  // eval mode while crafting (the default)
    const defenses::Forward forward = [&net](const at::Tensor& x) { return net->forward(x); };
    net->train();
    const auto t0 = std::chrono::steady_clock::now();

    if (vm.count("trainer")) {
      defenses::AdversarialTrainingOptions o;
      o.method = defenses::parse_training_method(method, "--method");
      o.eps = eps;
      o.steps = steps;
      o.epochs = epochs;
      o.seed = seed;
      defenses::AdversarialTrainer trainer(crafter, forward, models::optimizer_hooks(opt), o);
      if (!checkpoint.empty() && std::filesystem::exists(checkpoint)) {
        defenses::load_checkpoint(checkpoint, *net, opt, trainer);
        std::printf("resumed from %s after epoch %lld\n", checkpoint.c_str(), static_cast<long long>(trainer.epoch()));
      }
      data::TensorBatches train(train_set, batch_size), val(test_set, 500, false);
      trainer.fit(train, &val, [&](const models::EpochRecord& r) {
        std::printf("epoch %lld: loss %.4f, train acc %.4f, val clean %.4f, PGD-%lld %.4f (%.1f s)\n",
                    static_cast<long long>(r.epoch), r.train_loss, r.train_accuracy, r.clean_accuracy,
                    static_cast<long long>(o.val_steps), r.robust_accuracy, r.seconds);
        if (!checkpoint.empty()) defenses::save_checkpoint(checkpoint, *net, opt, trainer);
      });
    } else {
      // The hand-written loop: shuffle, one loss call per minibatch, backward, step.
      at::Generator gen = make_generator(seed);
      const int64_t n = train_set.size();
      int64_t step = 0;
      for (int64_t epoch = 0; epoch < epochs; ++epoch) {
        const at::Tensor order = at::randperm(n, gen, at::TensorOptions(at::kLong));
        double total = 0;
        for (int64_t start = 0; start < n; start += batch_size) {
          const at::Tensor idx = order.slice(0, start, start + batch_size);
          const at::Tensor x = train_set.inputs.index_select(0, idx), y = train_set.labels.index_select(0, idx);
          const at::Tensor loss =
              adversarial_loss(method, crafter, forward, x, y, eps, steps, derive_seed(seed, static_cast<uint64_t>(step++)));
          opt.zero_grad();
          loss.backward();
          opt.step();
          total += loss.item<double>() * static_cast<double>(idx.size(0));
        }
        std::printf("epoch %lld: %s loss %.4f\n", static_cast<long long>(epoch + 1), method.c_str(),
                    total / static_cast<double>(n));
      }
    }
    const double train_s = cli::seconds_since(t0);
    net->eval();
    attacks::PGDOptions pgd;
    pgd.eps = eps;
    pgd.steps = 20;
    pgd.seed = seed;
    const at::Tensor x = test_set.inputs, y = test_set.labels;
    const at::Tensor clean = crafter.predict(x).eq(y);
    const at::Tensor robust = clean.logical_and(crafter.predict(attacks::PGD(pgd)(crafter, x, y)).eq(y));
    std::printf("%s, %lld epochs in %.1f s: clean %.4f, PGD-20 (eps %.3g) %.4f on %lld test images\n", method.c_str(),
                static_cast<long long>(epochs), train_s, clean.to(at::kDouble).mean().item<double>(), eps,
                robust.to(at::kDouble).mean().item<double>(), static_cast<long long>(test_samples));
    return 0;
  });
}
