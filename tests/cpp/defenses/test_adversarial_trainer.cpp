// AdversarialTrainer and Free AT from C++: deterministic under a seed, resuming from a
// checkpoint equals not stopping, Free AT's replay matches a hand-written step, batch sources
// visit every sample once per epoch.
#include <catch2/catch.hpp>

#include <filesystem>

#include <torch/torch.h>

#include <bulwark/core/error.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/core/random.h>
#include <bulwark/data/batches.h>
#include <bulwark/defenses/adversarial_trainer.h>
#include <bulwark/defenses/free_adversarial_training.h>

using namespace bulwark;

namespace {

// Two Gaussian blobs in [0, 1]^(1x4x4), classes 0 and 1.
data::TensorDataset blobs(int64_t n, uint64_t seed) {
  at::Generator g = make_generator(seed);
  const at::Tensor y = at::randint(0, 2, {n}, g);
  const at::Tensor centre = 0.35 + 0.3 * y.to(at::kFloat).view({n, 1, 1, 1});
  const at::Tensor x = (centre + 0.15 * at::randn({n, 1, 4, 4}, g)).clamp(0, 1);
  return {x, y};
}

torch::nn::Sequential small_net(uint64_t seed) {
  GlobalRngGuard keep;
  torch::manual_seed(seed);
  return torch::nn::Sequential(torch::nn::Flatten(), torch::nn::Linear(16, 8), torch::nn::ReLU(),
                               torch::nn::Linear(8, 2));
}

struct Run {
  torch::nn::Sequential net;
  std::unique_ptr<torch::optim::SGD> opt;
  std::unique_ptr<ModuleClassifier> crafter;
  std::unique_ptr<defenses::AdversarialTrainer> trainer;
};

Run make_run(defenses::TrainingMethod method, int64_t epochs) {
  Run r;
  r.net = small_net(3);
  r.opt = std::make_unique<torch::optim::SGD>(r.net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  r.crafter = std::make_unique<ModuleClassifier>(r.net);
  defenses::AdversarialTrainingOptions o;
  o.method = method;
  o.eps = 0.1;
  o.steps = 3;
  o.replays = 2;
  o.epochs = epochs;
  o.seed = 11;
  o.val_steps = 3;
  o.progress = false;
  auto net = r.net;
  r.trainer = std::make_unique<defenses::AdversarialTrainer>(
      *r.crafter, [net](const at::Tensor& x) mutable { return net->forward(x); },
      models::optimizer_hooks(*r.opt, [](double e) { return 0.1 / (1.0 + e); }), o);
  return r;
}

at::Tensor flat_params(torch::nn::Module& m) {
  std::vector<at::Tensor> ps;
  for (const auto& p : m.parameters()) ps.push_back(p.detach().flatten());
  return at::cat(ps);
}

}  // namespace

TEST_CASE("TensorBatches: one pass per epoch, order fixed by the epoch's seed", "[defenses]") {
  const auto d = blobs(10, 1);
  data::TensorBatches b(d, 4);
  CHECK(b.batches() == 3);
  auto pass = [&](uint64_t seed) {
    b.begin_epoch(seed);
    std::vector<at::Tensor> labels;
    std::vector<int64_t> sizes;
    while (auto batch = b.next()) {
      sizes.push_back(batch->inputs.size(0));
      labels.push_back(batch->inputs.flatten(1).select(1, 0));
    }
    CHECK(sizes == std::vector<int64_t>{4, 4, 2});
    return at::cat(labels);
  };
  const at::Tensor a = pass(5), again = pass(5), other = pass(6);
  CHECK(at::equal(a, again));
  CHECK(!at::equal(a, other));
  CHECK(at::equal(std::get<0>(a.sort()), std::get<0>(d.inputs.flatten(1).select(1, 0).sort())));
}

TEST_CASE("Free AT: one replay is an SGD step plus an FGSM step on delta", "[defenses]") {
  auto net = small_net(4);
  const auto d = blobs(6, 2);
  torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.5));
  const defenses::Forward forward = [net](const at::Tensor& x) mutable { return net->forward(x); };
  defenses::FreeAdversarialTraining free(0.1, 1);
  // The reference: gradients of CE at x (delta = 0) w.r.t. the parameters and the input.
  auto ref = small_net(4);
  const at::Tensor x0 = d.inputs.clone().requires_grad_(true);
  const at::Tensor loss = at::cross_entropy_loss(ref->forward(x0), d.labels);
  std::vector<at::Tensor> params = ref->parameters();
  std::vector<at::Tensor> inputs = params;
  inputs.push_back(x0);
  const auto grads = torch::autograd::grad({loss}, inputs);
  const auto r = free.train_batch(forward, models::optimizer_hooks(opt), Bounds{0, 1}, d.inputs, d.labels);
  CHECK(r.replays == 1);
  CHECK(r.loss_sum == Approx(loss.item<double>()).epsilon(1e-6));
  const auto after = net->parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    CHECK(at::allclose(after[i].detach(), params[i].detach() - 0.5 * grads[i], 1e-5, 1e-6));
  }
  CHECK(at::equal(free.delta(), 0.1 * grads.back().sign()));
  // More replays keep delta in the eps-ball; a smaller batch uses the head of delta.
  defenses::FreeAdversarialTraining four(0.1, 4, 0.07);
  four.train_batch(forward, models::optimizer_hooks(opt), Bounds{0, 1}, d.inputs, d.labels);
  CHECK(four.delta().abs().max().item<double>() <= 0.1 + 1e-7);
  const at::Tensor tail = four.delta().slice(0, 3).clone();
  four.train_batch(forward, models::optimizer_hooks(opt), Bounds{0, 1}, d.inputs.slice(0, 0, 3),
                   d.labels.slice(0, 0, 3));
  CHECK(four.delta().size(0) == 6);
  CHECK(at::equal(four.delta().slice(0, 3), tail));
  CHECK_THROWS_AS(defenses::FreeAdversarialTraining(0.1, 0), InvalidArgument);
}

TEST_CASE("AdversarialTrainer: deterministic, and resuming equals not stopping", "[defenses]") {
  const auto train = blobs(96, 3), val = blobs(32, 4);
  const auto path = (std::filesystem::temp_directory_path() / "bulwark_test_trainer.pt").string();
  for (auto method : {defenses::TrainingMethod::PGD, defenses::TrainingMethod::Free, defenses::TrainingMethod::TRADES,
                      defenses::TrainingMethod::Fast, defenses::TrainingMethod::MART,
                      defenses::TrainingMethod::Standard}) {
    INFO(defenses::to_string(method));
    data::TensorBatches tb(train, 16), vb(val, 16, false);
    Run straight = make_run(method, 2), again = make_run(method, 2);
    straight.trainer->fit(tb, &vb);
    again.trainer->fit(tb, &vb);
    CHECK(at::equal(flat_params(*straight.net), flat_params(*again.net)));
    REQUIRE(straight.trainer->history().size() == 2);
    const auto& h = straight.trainer->history()[1];
    CHECK(h.epoch == 2);
    CHECK(h.lr == Approx(0.1 / (2.0 + 5.0 / 6)));  // set before the last of 6 batches of epoch 2
    CHECK(h.robust_accuracy <= h.clean_accuracy);
    CHECK(h.train_loss == again.trainer->history()[1].train_loss);

    Run first = make_run(method, 1);
    first.trainer->fit(tb, &vb);
    defenses::save_checkpoint(path, *first.net, *first.opt, *first.trainer);
    Run resumed = make_run(method, 2);
    defenses::load_checkpoint(path, *resumed.net, *resumed.opt, *resumed.trainer);
    CHECK(resumed.trainer->epoch() == 1);
    resumed.trainer->fit(tb, &vb);
    CHECK(at::equal(flat_params(*straight.net), flat_params(*resumed.net)));
    CHECK(resumed.trainer->history()[1].train_loss == h.train_loss);
    CHECK(resumed.trainer->history()[1].robust_accuracy == h.robust_accuracy);
  }
  // A checkpoint of another method is refused by name.
  Run pgd = make_run(defenses::TrainingMethod::PGD, 1);
  CHECK_THROWS_AS(defenses::load_checkpoint(path, *pgd.net, *pgd.opt, *pgd.trainer), FormatError);
  std::filesystem::remove(path);
}

TEST_CASE("AdversarialTrainer: argument errors", "[defenses]") {
  CHECK_THROWS_AS(defenses::parse_training_method("madry", "t"), InvalidArgument);
  CHECK(defenses::parse_training_method("trades", "t") == defenses::TrainingMethod::TRADES);
  auto net = small_net(1);
  ModuleClassifier crafter(net);
  torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.1));
  defenses::AdversarialTrainingOptions o;
  o.method = defenses::TrainingMethod::Fast;
  o.norm = ops::Norm::L2;
  const defenses::Forward f = [net](const at::Tensor& x) mutable { return net->forward(x); };
  CHECK_THROWS_AS(defenses::AdversarialTrainer(crafter, f, models::optimizer_hooks(opt), o), InvalidArgument);
  o.norm = ops::Norm::Linf;
  o.eps = 0;
  CHECK_THROWS_AS(defenses::AdversarialTrainer(crafter, f, models::optimizer_hooks(opt), o), InvalidArgument);
}
