// The training checkpoint (models/training_checkpoint.h): SGD, Adam and AdamW state round-trips
// so that the next step after a reload equals the next step without one; malformed files are
// FormatErrors naming the field. (The cross-language resume is tests/python/models/test_training_checkpoint.py.)
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <torch/torch.h>

#include <bulwark/core/error.h>
#include <bulwark/core/random.h>
#include <bulwark/models/training_checkpoint.h>

using namespace bulwark;
namespace fs = std::filesystem;

namespace {

torch::nn::Sequential net(uint64_t seed) {
  GlobalRngGuard keep;
  torch::manual_seed(seed);
  return torch::nn::Sequential(torch::nn::Linear(4, 3), torch::nn::ReLU(), torch::nn::Linear(3, 2));
}

void step(torch::nn::Sequential& m, torch::optim::Optimizer& opt, int64_t k) {
  at::Generator g = make_generator(static_cast<uint64_t>(k));
  const at::Tensor x = at::randn({8, 4}, g);
  opt.zero_grad();
  m->forward(x).pow(2).mean().backward();
  opt.step();
}

bool same(torch::nn::Module& a, torch::nn::Module& b) {
  const auto pa = a.parameters(), pb = b.parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    if (!at::equal(pa[i], pb[i])) return false;
  }
  return true;
}

fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("bulwark-test-training-checkpoint-" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// Trains a few steps, saves, reloads into a fresh net and optimizer, then steps both once more.
template <typename Optimizer, typename Options>
void round_trip(const Options& options, const std::string& kind) {
  const fs::path path = scratch(kind) / "c.pt";
  auto a = net(1);
  Optimizer opt_a(a->parameters(), options);
  for (int k = 0; k < 3; ++k) step(a, opt_a, k);
  models::TrainingCheckpoint c;
  c.model = models::module_state(*a);
  c.optimizer = models::optimizer_state(opt_a);
  c.trainer.method = "standard";
  c.trainer.seed = 18446744073709551615ULL;  // the largest seed survives JSON
  c.trainer.history.resize(2);
  c.trainer.history[0].epoch = 1;
  c.trainer.history[1].epoch = 2;
  c.trainer.history[1].train_loss = 0.25;
  models::write_training_checkpoint(path.string(), c);

  const models::TrainingCheckpoint r = models::read_training_checkpoint(path.string());
  CHECK(r.optimizer.kind == kind);
  CHECK(r.trainer.seed == c.trainer.seed);
  REQUIRE(r.trainer.history.size() == 2);
  CHECK(r.trainer.history[1].train_loss == 0.25);
  CHECK(std::isnan(r.trainer.history[1].clean_accuracy));  // NaN survives as "nan"
  auto b = net(2);
  Optimizer opt_b(b->parameters(), Options(1.0));  // settings come from the file
  models::load_module_state(*b, r.model, "test");
  models::load_optimizer_state(opt_b, r.optimizer, "test");
  CHECK(same(*a, *b));
  step(a, opt_a, 3);
  step(b, opt_b, 3);
  CHECK(same(*a, *b));
  // The state of another optimizer kind is refused.
  torch::optim::SGD other(b->parameters(), torch::optim::SGDOptions(0.1));
  if (kind != "sgd") CHECK_THROWS_AS(models::load_optimizer_state(other, r.optimizer, "test"), FormatError);
}

}  // namespace

TEST_CASE("SGD, Adam and AdamW state round-trips: the next step equals the step without a reload",
          "[models][checkpoint]") {
  round_trip<torch::optim::SGD>(torch::optim::SGDOptions(0.1).momentum(0.9).nesterov(true), "sgd");
  round_trip<torch::optim::Adam>(torch::optim::AdamOptions(0.01).betas({0.8, 0.99}), "adam");
  round_trip<torch::optim::Adam>(torch::optim::AdamOptions(0.01).amsgrad(true), "adam");
  round_trip<torch::optim::AdamW>(torch::optim::AdamWOptions(0.01).weight_decay(0.1), "adamw");
}

TEST_CASE("a malformed training checkpoint is a FormatError naming the field", "[models][checkpoint]") {
  const fs::path dir = scratch("bad");
  auto a = net(1);
  torch::optim::SGD opt(a->parameters(), torch::optim::SGDOptions(0.1).momentum(0.5));
  step(a, opt, 0);
  models::TrainingCheckpoint good;
  good.model = models::module_state(*a);
  good.optimizer = models::optimizer_state(opt);
  good.trainer.method = "pgd";
  const auto fails = [&](models::TrainingCheckpoint c, const std::string& what) {
    const std::string path = (dir / "c.pt").string();
    models::write_training_checkpoint(path, c);
    CHECK_THROWS_WITH(models::read_training_checkpoint(path), Catch::Contains(what));
  };
  auto c = good;
  c.optimizer.group_params[0][0] = 99;  // a parameter index past the state
  fails(c, "optimizer.groups[0].params must lie in [0, 3]");
  c = good;
  c.optimizer.group_params[0][1] = 0;  // one parameter twice
  fails(c, "parameter 0 is in two groups");
  c = good;
  c.trainer.history.resize(1);
  c.trainer.history[0].epoch = 2;
  fails(c, "trainer.history[0] must be epoch 1");

  std::ofstream(dir / "junk.pt") << "not a checkpoint";
  CHECK_THROWS_AS(models::read_training_checkpoint((dir / "junk.pt").string()), FormatError);
  CHECK_THROWS_AS(models::read_training_checkpoint((dir / "missing.pt").string()), FileError);
  // A model checkpoint (models::save_checkpoint) is not a training checkpoint.
  torch::serialize::OutputArchive plain;
  a->save(plain);
  plain.save_to((dir / "model.pt").string());
  CHECK_THROWS_WITH(models::read_training_checkpoint((dir / "model.pt").string()),
                    Catch::Contains("not a bulwark training checkpoint"));
  // A module whose shapes differ.
  const models::TrainingCheckpoint r = [&] {
    models::write_training_checkpoint((dir / "c.pt").string(), good);
    return models::read_training_checkpoint((dir / "c.pt").string());
  }();
  torch::nn::Sequential wider(torch::nn::Linear(4, 5), torch::nn::ReLU(), torch::nn::Linear(5, 2));
  CHECK_THROWS_AS(models::load_module_state(*wider, r.model, "test"), FormatError);
}
