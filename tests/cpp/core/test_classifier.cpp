// The classifier abstraction: gradients, query counts, the model left as it was, errors.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <thread>
#include <vector>

#include <torch/torch.h>

#include <bulwark/attacks/pgd.h>
#include <bulwark/core/error.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/core/random.h>
#include <bulwark/core/torchscript_classifier.h>
#include <bulwark/losses/classification.h>

using namespace bulwark;

namespace {
struct NetImpl : torch::nn::Module {
  NetImpl() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 4, 3)));
    bn = register_module("bn", torch::nn::BatchNorm2d(4));
    drop = register_module("drop", torch::nn::Dropout(0.5));
    fc = register_module("fc", torch::nn::Linear(4 * 4 * 4, 3));
  }
  at::Tensor forward(const at::Tensor& x) {
    return fc(drop(torch::relu(bn(conv(x)))).flatten(1));
  }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Dropout drop{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(Net);

at::Tensor inputs(int64_t n, uint64_t seed) {
  at::Generator g = make_generator(seed);
  return at::rand({n, 1, 6, 6}, g);
}
}  // namespace

TEST_CASE("ModuleClassifier gradient equals autograd on the module in eval mode", "[classifier]") {
  torch::manual_seed(0);
  Net net;
  ModuleClassifier model(net);
  const at::Tensor x = inputs(5, 1);
  const at::Tensor y = at::tensor({0, 1, 2, 0, 1}, at::kLong);
  const auto r = model.logits_and_grad(x, losses::against(losses::Loss::CrossEntropy, y));

  net->eval();
  const at::Tensor xr = x.clone().requires_grad_(true);
  const at::Tensor loss = torch::nn::functional::cross_entropy(net->forward(xr), y,
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  loss.backward();
  CHECK(at::allclose(r.grad, xr.grad(), 1e-5, 1e-6));
  CHECK(r.loss.sum().item<double>() == Approx(loss.item<double>()).epsilon(1e-5));
}

TEST_CASE("using a classifier leaves the model untouched", "[classifier]") {
  torch::manual_seed(0);
  Net net;
  net->train();
  net->drop->eval();  // a mixed tree: each module must get its own mode back
  net->fc->weight.set_requires_grad(false);
  net->conv->weight.mutable_grad() = at::full_like(net->conv->weight, 0.5);
  std::vector<at::Tensor> before;
  for (const auto& p : net->parameters()) before.push_back(p.detach().clone());
  const at::Tensor mean_before = net->bn->running_mean.clone();

  ModuleClassifier model(net);
  const at::Tensor x = inputs(8, 2);
  const at::Tensor y = at::zeros({8}, at::kLong);
  for (int i = 0; i < 100; ++i) {
    model.logits(x);
    model.logits_and_grad(x, losses::against(losses::Loss::Margin, y));
  }
  const auto params = net->parameters();
  for (size_t i = 0; i < params.size(); ++i) CHECK(at::equal(params[i], before[i]));
  CHECK(at::equal(net->bn->running_mean, mean_before));  // eval mode: no statistics update
  CHECK(net->is_training());
  CHECK(net->conv->is_training());
  CHECK(net->bn->is_training());
  CHECK_FALSE(net->drop->is_training());
  CHECK_FALSE(net->fc->weight.requires_grad());
  CHECK(net->conv->weight.requires_grad());
  CHECK(at::equal(net->conv->weight.grad(), at::full_like(net->conv->weight, 0.5)));
  CHECK_FALSE(net->fc->bias.grad().defined());
  CHECK_FALSE(net->conv->bias.grad().defined());

  const QueryCounts q = model.queries();
  CHECK(q.forward_calls == 200);
  CHECK(q.forward_samples == 1600);
  CHECK(q.backward_calls == 100);
  CHECK(q.backward_samples == 800);
  model.reset_queries();
  CHECK(model.queries().forward_calls == 0);
}

TEST_CASE("the classifier rejects bad inputs and bad models with clear errors", "[classifier]") {
  Net net;
  ModuleClassifier model(net);
  CHECK_THROWS_AS(model.logits(at::ones({2, 1, 6, 6}, at::kLong)), TypeError);
  CHECK_THROWS_AS(model.logits(at::ones({2, 1, 6, 6}, at::kDouble)), TypeError);
  CHECK_THROWS_AS(model.logits(at::ones({36})), ShapeError);
  CHECK_THROWS_AS(model.logits(at::ones({0, 1, 6, 6})), ShapeError);
  CHECK_THROWS_WITH(model.logits(at::full({2, 1, 6, 6}, 2.0)),
                    Catch::Contains("bounds (0, 1)") && Catch::Contains("Classifier.logits"));
  at::Tensor nan = at::zeros({2, 1, 6, 6});
  nan[1][0][2][2] = std::nan("");
  CHECK_THROWS_WITH(model.logits(nan), Catch::Contains("NaN"));

  ClassifierOptions shaped;
  shaped.input_shape = {1, 6, 6};
  shaped.num_classes = 4;  // wrong: the net returns 3
  ModuleClassifier strict(net, shaped);
  CHECK_THROWS_AS(strict.logits(at::zeros({2, 1, 5, 7})), ShapeError);
  CHECK_THROWS_WITH(strict.logits(at::zeros({2, 1, 6, 6})), Catch::Contains("num_classes = 4"));

  auto bad = std::make_shared<torch::nn::Module>();
  ModuleClassifier wrong_shape(bad, [](const at::Tensor& x) { return x.flatten(); });
  CHECK_THROWS_AS(wrong_shape.logits(at::zeros({2, 3})), ShapeError);
  ClassifierOptions b;
  b.bounds = {1.0, 0.0};
  CHECK_THROWS_AS(ModuleClassifier(net, b), InvalidArgument);
  CHECK_THROWS_AS(model.num_classes(), NotFittedError);
}

TEST_CASE("non-finite logits raise NonFiniteError naming the samples, in every call", "[classifier]") {
  auto holder = std::make_shared<torch::nn::Module>();
  // Logits NaN (or inf) for the samples whose first pixel is above 0.5.
  const double inf = std::numeric_limits<double>::infinity();
  for (const double value : {std::nan(""), inf, -inf}) {
    ModuleClassifier model(holder, [value](const at::Tensor& x) {
      const at::Tensor z = x.flatten(1).narrow(1, 0, 3) * 2;
      return at::where(x.flatten(1).narrow(1, 0, 1) > 0.5, at::full_like(z, value), z);
    });
    at::Tensor x = at::zeros({6, 1, 6, 6});
    x[2][0][0][0] = 0.9;
    x[5][0][0][0] = 0.7;
    const auto ce = [](const at::Tensor& z) { return z.sum(1); };
    for (const auto& call : std::vector<std::function<void()>>{
             [&] { model.logits(x); }, [&] { model.predict(x); }, [&] { model.logits_and_grad(x, ce); },
             [&] { model.logits_and_jacobian(x); }}) {
      CHECK_THROWS_AS(call(), NonFiniteError);
      CHECK_THROWS_WITH(call(), Catch::Contains("the model's logits contain NaN or +-inf in 2 of 6 samples (first: 2, 5)"));
    }
    CHECK_NOTHROW(model.logits(at::zeros({6, 1, 6, 6})));
  }
}

TEST_CASE("TorchScriptClassifier: clear errors for missing and corrupt files", "[classifier]") {
  CHECK_THROWS_AS(TorchScriptClassifier("/nonexistent/model.pt"), FileError);
  const auto path = std::filesystem::temp_directory_path() / "bulwark_not_a_model.pt";
  std::ofstream(path) << "this is not a zip archive";
  CHECK_THROWS_WITH(TorchScriptClassifier(path.string()), Catch::Contains("cannot load"));
  std::filesystem::remove(path);
}

TEST_CASE("QueryMeter: a result counts its own thread's queries; the totals count all", "[classifier]") {
  torch::manual_seed(0);
  Net net;
  net->eval();  // eval mode throughout: the threads' calls leave the modes as they are
  ModuleClassifier model(net);
  const at::Tensor x = inputs(8, 1);
  const at::Tensor y = at::randint(0, 3, {8}, make_generator(2));
  attacks::PGDOptions o;
  o.eps = 0.1;
  o.steps = 5;
  o.seed = 0;
  const attacks::AttackResult alone = attacks::PGD(o).run(model, x, y);
  CHECK(alone.queries.backward_calls == 5);
  const QueryCounts before = model.queries();
  std::vector<attacks::AttackResult> results(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = attacks::PGD(o).run(model, x, y); });
  }
  for (auto& t : threads) t.join();
  for (const attacks::AttackResult& r : results) {
    CHECK(r.queries == alone.queries);
    CHECK(at::equal(r.x_adv, alone.x_adv));
  }
  const QueryCounts after = model.queries();
  CHECK(after.forward_calls - before.forward_calls == 4 * alone.queries.forward_calls);
  CHECK(after.backward_samples - before.backward_samples == 4 * alone.queries.backward_samples);
  // Meters nest: an outer meter sees the calls an inner one sees.
  QueryMeter outer;
  {
    QueryMeter inner;
    model.predict(x);
    CHECK(inner.counts().forward_calls == 1);
  }
  model.predict(x);
  CHECK(outer.counts().forward_calls == 2);
  CHECK(outer.counts().forward_samples == 16);
}
