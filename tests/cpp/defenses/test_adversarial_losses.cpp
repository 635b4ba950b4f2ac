// The adversarial-training losses from C++ (a LibTorch training step): the loss reaches the
// parameters, crafting leaves the model alone, TRADES with beta = 0 is the clean loss.
#include <catch2/catch.hpp>

#include <torch/torch.h>

#include <bulwark/core/module_classifier.h>
#include <bulwark/core/random.h>
#include <bulwark/defenses/adversarial_losses.h>
#include <bulwark/models/fashion_cnn.h>

using namespace bulwark;

TEST_CASE("Adversarial-training losses in a LibTorch step", "[defenses]") {
  models::FashionCNN net(1);
  net->train();
  ClassifierOptions crafting;
  crafting.eval_mode = true;  // craft with the module in eval mode
  ModuleClassifier crafter(net, crafting);
  const defenses::Forward forward = [&](const at::Tensor& x) { return net->forward(x); };
  at::Generator g = make_generator(2);
  const at::Tensor x = at::rand({6, 1, 28, 28}, g);
  const at::Tensor y = at::randint(0, 10, {6}, g);
  attacks::PGDOptions pgd;
  pgd.eps = 0.1;
  pgd.steps = 3;
  pgd.seed = 4;
  const auto clean = at::cross_entropy_loss(net->forward(x), y);
  const defenses::AdversarialLoss at = defenses::pgd_at_loss(crafter, forward, x, y, pgd);
  CHECK(at.loss.item<double>() > clean.item<double>());
  CHECK((at.x_adv - x).abs().max().item<double>() <= 0.1 + 1e-6);
  for (const auto& p : net->parameters()) CHECK(!p.grad().defined());
  CHECK(net->is_training());
  at.loss.backward();
  for (const auto& p : net->parameters()) CHECK(p.grad().defined());

  defenses::TradesOptions t;
  t.eps = 0.1;
  t.steps = 3;
  t.beta = 0;
  t.seed = 5;
  net->eval();  // deterministic forwards for the comparison (no dropout in FashionCNN anyway)
  const auto trades = defenses::trades_loss(crafter, forward, x, y, t);
  CHECK(trades.loss.item<double>() == Approx(at::cross_entropy_loss(net->forward(x), y).item<double>()).epsilon(1e-6));
  const auto mart = defenses::mart_loss(crafter, forward, x, y, pgd, 6.0);
  CHECK(std::isfinite(mart.loss.item<double>()));
  const auto fast = defenses::fast_at_loss(crafter, forward, x, y, 0.1, std::nullopt, 6);
  CHECK((fast.x_adv - x).abs().max().item<double>() <= 0.1 + 1e-6);
}
