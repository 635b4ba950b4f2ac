// FGSM: the closed form, invariants and determinism.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <bulwark/attacks/fgsm.h>
#include <bulwark/core/error.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/core/random.h>

using namespace bulwark;

namespace {
torch::nn::Sequential make_net() {
  torch::manual_seed(0);
  return torch::nn::Sequential(torch::nn::Flatten(), torch::nn::Linear(12, 16), torch::nn::ReLU(),
                               torch::nn::Linear(16, 4));
}
}  // namespace

TEST_CASE("FGSM equals clip(x + eps * sign(grad))", "[fgsm]") {
  auto net = make_net();
  ModuleClassifier model(net);
  at::Generator g = make_generator(1);
  const at::Tensor x = at::rand({32, 3, 4}, g);
  const at::Tensor y = at::randint(0, 4, {32}, g);
  attacks::FGSMOptions o;
  o.eps = 0.05;
  const at::Tensor x_adv = attacks::FGSM(o)(model, x, y);

  const at::Tensor xr = x.clone().requires_grad_(true);
  torch::nn::functional::cross_entropy(net->forward(xr), y,
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)).backward();
  const at::Tensor want = at::clamp(x + 0.05 * xr.grad().sign(), 0, 1);
  CHECK(at::allclose(x_adv, want, 0, 1e-7));
}

TEST_CASE("FGSM stays in the ball and the box, keeps dtype, is seeded", "[fgsm]") {
  auto net = make_net();
  ModuleClassifier model(net);
  at::Generator g = make_generator(2);
  const at::Tensor x = at::rand({16, 12}, g);
  const at::Tensor y = at::randint(0, 4, {16}, g);
  for (auto norm : {ops::Norm::Linf, ops::Norm::L2}) {
    for (bool rs : {false, true}) {
      attacks::FGSMOptions o;
      o.eps = 0.3;
      o.norm = norm;
      o.random_start = rs;
      o.seed = 9;
      attacks::FGSM atk(o);
      const auto r = atk.run(model, x, y);
      CHECK(r.x_adv.scalar_type() == x.scalar_type());
      CHECK(r.x_adv.sizes() == x.sizes());
      CHECK(r.x_adv.min().item<double>() >= 0);
      CHECK(r.x_adv.max().item<double>() <= 1);
      CHECK((r.norm <= 0.3 + 1e-6).all().item<bool>());
      CHECK(r.queries.backward_calls == 1);
      CHECK(r.queries.forward_calls == 2);
      CHECK(at::equal(atk(model, x, y), r.x_adv));  // same seed, same bytes
      if (rs) {
        o.seed = 10;
        CHECK_FALSE(at::equal(attacks::FGSM(o)(model, x, y), r.x_adv));
      }
    }
  }
}

TEST_CASE("FGSM rejects bad arguments", "[fgsm]") {
  auto net = make_net();
  ModuleClassifier model(net);
  attacks::FGSMOptions o;
  o.eps = -0.1;
  CHECK_THROWS_AS(attacks::FGSM(o), InvalidArgument);
  o.eps = 0.1;
  o.norm = ops::Norm::L1;
  CHECK_THROWS_AS(attacks::FGSM(o), InvalidArgument);
  attacks::FGSM atk;
  const at::Tensor x = at::rand({4, 12});
  CHECK_THROWS_AS(atk(model, x, at::zeros({3}, at::kLong)), ShapeError);
  CHECK_THROWS_AS(atk(model, x, at::zeros({4})), TypeError);
  model.logits(x);  // K becomes known
  CHECK_THROWS_WITH(atk(model, x, at::full({4}, 7, at::kLong)), Catch::Contains("num_classes = 4"));
}
