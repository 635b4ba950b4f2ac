// PGD: invariants for every norm, determinism, restarts never weaker.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <bulwark/attacks/fgsm.h>
#include <bulwark/attacks/pgd.h>
#include <bulwark/core/error.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/core/random.h>

using namespace bulwark;

namespace {
torch::nn::Sequential small_net() {
  torch::manual_seed(0);
  return torch::nn::Sequential(torch::nn::Flatten(), torch::nn::Linear(48, 32), torch::nn::ReLU(),
                               torch::nn::Linear(32, 5));
}
}  // namespace

TEST_CASE("PGD stays in the ball and the box for every norm; seeded", "[pgd]") {
  auto net = small_net();
  ModuleClassifier model(net);
  at::Generator g = make_generator(4);
  const at::Tensor x = at::rand({32, 3, 4, 4}, g);
  const at::Tensor y = at::randint(0, 5, {32}, g);
  for (auto [norm, eps] : {std::pair{ops::Norm::Linf, 0.05}, {ops::Norm::L2, 0.5}, {ops::Norm::L1, 3.0}}) {
    attacks::PGDOptions o;
    o.norm = norm;
    o.eps = eps;
    o.steps = 7;
    o.restarts = 2;
    o.seed = 1;
    attacks::PGD pgd(o);
    const auto r = pgd.run(model, x, y);
    CHECK(r.x_adv.min().item<double>() >= 0);
    CHECK(r.x_adv.max().item<double>() <= 1);
    CHECK((r.norm <= eps * (1 + 1e-6) + 1e-6).all().item<bool>());
    CHECK(r.queries.backward_calls == 14);
    CHECK(r.queries.forward_calls == 14 + 2 + 1);  // steps, a final check per restart, run()
    CHECK(at::equal(pgd(model, x, y), r.x_adv));
    o.seed = 2;
    CHECK_FALSE(at::equal(attacks::PGD(o)(model, x, y), r.x_adv));
  }
}

TEST_CASE("PGD: more restarts never lose a success; targeted moves toward the target", "[pgd]") {
  auto net = small_net();
  ModuleClassifier model(net);
  at::Generator g = make_generator(5);
  const at::Tensor x = at::rand({64, 48}, g);
  const at::Tensor y = model.predict(x);
  attacks::PGDOptions o;
  o.eps = 0.03;
  o.steps = 5;
  const auto one = attacks::PGD(o).run(model, x, y);
  o.restarts = 3;
  const auto three = attacks::PGD(o).run(model, x, y);
  // The first restart of `three` is the run of `one` (same seed): successes can only grow.
  CHECK((three.success | one.success.logical_not()).all().item<bool>());

  o.restarts = 1;
  o.eps = 1.0;
  o.steps = 30;
  o.targeted = true;
  const at::Tensor target = (y + 1).remainder(5);
  const auto hit = attacks::PGD(o).run(model, x, target);
  CHECK(hit.success.to(at::kFloat).mean().item<double>() > 0.9);
}

TEST_CASE("PGD rejects bad arguments", "[pgd]") {
  attacks::PGDOptions o;
  o.steps = 0;
  CHECK_THROWS_AS(attacks::PGD(o), InvalidArgument);
  o.steps = 3;
  o.restarts = 0;
  CHECK_THROWS_AS(attacks::PGD(o), InvalidArgument);
  o.restarts = 1;
  o.l1_sparsity = 1.0;
  CHECK_THROWS_AS(attacks::PGD(o), InvalidArgument);
  o.l1_sparsity = 0.9;
  o.eps = -1;
  CHECK_THROWS_AS(attacks::PGD(o), InvalidArgument);
}
