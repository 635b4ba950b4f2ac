// OOD metrics against brute force (pairs, thresholds) with ties; KNN and Mahalanobis against
// direct computations; ODIN leaves the model untouched; every detector through its file.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <torch/torch.h>

#include <bulwark/core/error.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/core/random.h>
#include <bulwark/core/tensor_codec.h>
#include <bulwark/metrics/ood_metrics.h>
#include <bulwark/models/fashion_cnn.h>
#include <bulwark/ood/gradnorm.h>
#include <bulwark/ood/knn.h>
#include <bulwark/ood/logit_detectors.h>
#include <bulwark/ood/mahalanobis.h>
#include <bulwark/ood/odin.h>
#include <bulwark/ood/react.h>
#include <bulwark/ood/vim.h>

using namespace bulwark;

namespace {
// Integer-valued scores: plenty of ties.
std::pair<at::Tensor, at::Tensor> tied_scores(uint64_t seed) {
  at::Generator g = make_generator(seed);
  return {at::randint(0, 8, {37}, g).to(at::kDouble), at::randint(3, 12, {23}, g).to(at::kDouble)};
}
}  // namespace

TEST_CASE("AUROC and FPR@TPR match brute force with ties", "[ood]") {
  for (uint64_t seed : {1, 2, 3}) {
    auto [id, ood] = tied_scores(seed);
    double wins = 0;
    for (int64_t i = 0; i < id.numel(); ++i) {
      for (int64_t j = 0; j < ood.numel(); ++j) {
        const double a = id[i].item<double>(), b = ood[j].item<double>();
        wins += b > a ? 1 : (b == a ? 0.5 : 0);
      }
    }
    CHECK(metrics::auroc(id, ood) == Approx(wins / static_cast<double>(id.numel() * ood.numel())).epsilon(1e-14));
    // FPR@TPR, ID positive: the smallest threshold t accepting >= 95% of ID (score <= t).
    std::set<double> ts;
    for (int64_t i = 0; i < id.numel(); ++i) ts.insert(id[i].item<double>());
    for (double tpr : {0.5, 0.95, 1.0}) {
      double expected = -1;
      for (double t : ts) {
        if (id.le(t).to(at::kDouble).mean().item<double>() >= tpr - 1e-12) {
          expected = ood.le(t).to(at::kDouble).mean().item<double>();
          break;
        }
      }
      CHECK(metrics::fpr_at_tpr(id, ood, tpr) == Approx(expected));
      // OOD positive: the largest t flagging >= tpr of OOD (score >= t), ID flagged.
      std::set<double> to;
      for (int64_t j = 0; j < ood.numel(); ++j) to.insert(ood[j].item<double>());
      double flipped = -1;
      for (auto it = to.rbegin(); it != to.rend(); ++it) {
        if (ood.ge(*it).to(at::kDouble).mean().item<double>() >= tpr - 1e-12) {
          flipped = id.ge(*it).to(at::kDouble).mean().item<double>();
          break;
        }
      }
      CHECK(metrics::fpr_at_tpr(id, ood, tpr, /*in_positive=*/false) == Approx(flipped));
    }
    // AUPR-In is AUPR-Out with the roles and the score's sign swapped.
    CHECK(metrics::aupr_in(id, ood) == Approx(metrics::aupr_out(-ood, -id)).epsilon(1e-14));
  }
  CHECK(metrics::auroc(at::zeros({5}), at::ones({3})) == 1.0);
  CHECK(metrics::auroc(at::zeros({5}), at::zeros({3})) == 0.5);
  CHECK_THROWS_AS(metrics::auroc(at::zeros({0}), at::ones({3})), ShapeError);
  CHECK_THROWS_AS(metrics::auroc(at::full({2}, NAN), at::ones({3})), InvalidArgument);
}

TEST_CASE("KNN equals brute force across block boundaries", "[ood]") {
  at::Generator g = make_generator(4);
  const at::Tensor train = at::randn({257, 9}, g), test = at::randn({70, 9}, g);
  for (bool normalize : {true, false}) {
    ood::KNN knn(7, normalize, /*block_elements=*/257 * 6);  // 6 rows per block
    knn.fit(train);
    const at::Tensor a = normalize ? train / train.norm(2, 1, true) : train;
    const at::Tensor b = normalize ? test / test.norm(2, 1, true) : test;
    const at::Tensor expected = std::get<0>(at::cdist(b.to(at::kDouble), a.to(at::kDouble)).topk(7, 1, false)).select(1, 6);
    CHECK(at::allclose(knn.score(test).to(at::kDouble), expected, 1e-5, 1e-5));
  }
  CHECK_THROWS_WITH(ood::KNN(300).fit(train), Catch::Contains("larger than the training set"));
  ood::KNN knn(5);
  CHECK_THROWS_AS(knn.score(test), NotFittedError);
  knn.fit(train);
  CHECK_THROWS_WITH(knn.score(at::randn({3, 8})), Catch::Contains("fitted on D = 9"));
}

TEST_CASE("Mahalanobis matches the direct quadratic form; singular covariance is regularised", "[ood]") {
  at::Generator g = make_generator(5);
  const at::Tensor y = at::randint(0, 3, {400}, g);
  const at::Tensor f = at::randn({400, 6}, g, at::kDouble) + y.unsqueeze(1).to(at::kDouble);
  ood::Mahalanobis m;
  m.fit(f, y);
  CHECK(m.regularization() == 0);
  const at::Tensor x = at::randn({20, 6}, g, at::kDouble) * 2;
  // Direct: per class the (x - mu) P (x - mu)' with P the inverse of the pooled covariance.
  at::Tensor mu = at::stack({f.index({y == 0}).mean(0), f.index({y == 1}).mean(0), f.index({y == 2}).mean(0)});
  const at::Tensor c = f - mu.index_select(0, y);
  const at::Tensor p = at::inverse(c.t().mm(c) / 400.0);
  at::Tensor best = at::full({20}, INFINITY, at::kDouble);
  for (int64_t k = 0; k < 3; ++k) {
    const at::Tensor d = x - mu[k];
    best = at::minimum(best, (d.mm(p) * d).sum(1));
  }
  CHECK(at::allclose(m.score(x), best, 1e-9, 1e-9));
  // A dead unit (constant feature) makes the covariance singular.
  ood::Mahalanobis singular;
  singular.fit(at::cat({f, at::zeros({400, 1}, at::kDouble)}, 1), y);
  CHECK(singular.regularization() > 0);
  CHECK(singular.score(at::zeros({2, 7}, at::kDouble)).isfinite().all().item<bool>());
  CHECK_THROWS_WITH(ood::Mahalanobis().fit(f, y * 2), Catch::Contains("needs at least one training sample"));
  CHECK_THROWS_AS(m.score(at::full({2, 6}, NAN)), InvalidArgument);
}

TEST_CASE("ODIN: eps = 0 is MSP at temperature T; the model is untouched", "[ood]") {
  models::FashionCNN net(3);
  net->train();
  ModuleClassifier clf(net);
  at::Generator g = make_generator(6);
  const at::Tensor x = at::rand({8, 1, 28, 28}, g);
  const std::vector<at::Tensor> before = [&] {
    std::vector<at::Tensor> v;
    for (const auto& p : net->parameters()) v.push_back(p.detach().clone());
    return v;
  }();
  const at::Tensor z = [&] {
    at::NoGradGuard ng;
    return clf.logits(x);
  }();
  const at::Tensor plain = ood::ODIN(10, 0).score(clf, x);
  CHECK(at::allclose(plain, -std::get<0>(at::softmax(z / 10, 1).max(1)), 1e-6, 1e-6));
  // The perturbation raises the top softmax score (lowers the outlier score) of most inputs.
  const at::Tensor perturbed = ood::ODIN(10, 0.01).score(clf, x);
  CHECK(perturbed.lt(plain).to(at::kFloat).mean().item<double>() >= 0.75);
  CHECK(net->is_training());
  size_t i = 0;
  for (const auto& p : net->parameters()) {
    CHECK(at::equal(p, before[i++]));
    CHECK(!p.grad().defined());
  }
}

TEST_CASE("Every detector round-trips through its file; tensors through the codec", "[ood]") {
  at::Generator g = make_generator(7);
  const at::Tensor t = at::randn({3, 5}, g);
  CHECK(at::equal(decode_tensor(encode_tensor(t), "t"), t));
  CHECK(at::equal(decode_tensor(encode_tensor(at::arange(7)), "t"), at::arange(7)));
  CHECK_THROWS_AS(decode_tensor("float32;3,5;AAAA", "t"), FormatError);

  const at::Tensor y = at::randint(0, 4, {300}, g);
  const at::Tensor f = at::relu(at::randn({300, 12}, g) + y.unsqueeze(1).to(at::kFloat));
  const at::Tensor w = at::randn({4, 12}, g), b = at::randn({4}, g);
  const at::Tensor x = at::relu(at::randn({10, 12}, g));
  const std::string path = (std::filesystem::temp_directory_path() / "bulwark_detector.json").string();
  std::vector<std::unique_ptr<ood::FeatureDetector>> fitted;
  fitted.push_back(std::make_unique<ood::Mahalanobis>());
  fitted.push_back(std::make_unique<ood::KNN>(5));
  fitted.push_back(std::make_unique<ood::ViM>(w, b, 6));
  fitted.push_back(std::make_unique<ood::ReAct>(w, b, 85));
  fitted.push_back(std::make_unique<ood::GradNorm>(w, b, 2.0));
  for (auto& d : fitted) {
    INFO(d->kind());
    d->fit(f, y);
    d->save(path);
    const auto loaded = ood::load_detector(path);
    CHECK(loaded->kind() == d->kind());
    CHECK(at::equal(dynamic_cast<ood::FeatureDetector&>(*loaded).score(x), d->score(x)));
  }
  ood::Energy(2.5).save(path);
  CHECK(ood::Energy::load(path).temperature() == 2.5);
  CHECK_THROWS_WITH(ood::KNN::load(path), Catch::Contains("holds a Energy, not a KNN"));
  CHECK_THROWS_AS(ood::KNN(3).save(path), NotFittedError);

  // A received file is input: a KNN file whose k is 1e19 (beyond int64) is a FormatError, not a
  // negative k and a crash in score() (issue 24, item 11).
  ood::KNN knn(5);
  knn.fit(f, y);
  knn.save(path);
  std::string text;
  {
    std::ifstream in(path);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t at = text.find("\"k\": 5");
  REQUIRE(at != std::string::npos);
  for (const char* k : {"1e19", "-3", "2.5", "1000000"}) {
    std::string bad = text;
    bad.replace(at, 7, std::string("\"k\": ") + k);
    std::ofstream(path, std::ios::trunc) << bad;
    INFO(k);
    CHECK_THROWS_AS(ood::load_detector(path), FormatError);
  }
}

TEST_CASE("Every detector checks its input once, in the family's public call", "[ood]") {
  // The non-virtual interface: LogitDetector::score and FeatureDetector::fit/score check shape,
  // finiteness, the D of the fit and being fitted, naming the detector; no subclass repeats it.
  at::Generator g = make_generator(3);
  const at::Tensor f = at::randn({60, 6}, g, at::kDouble);
  const at::Tensor y = at::arange(60, at::kLong).remainder(3);
  const at::Tensor w = at::randn({3, 6}, g, at::kDouble), b = at::zeros({3}, at::kDouble);
  at::Tensor nan = f.clone();
  nan[0][0] = std::nan("");

  std::vector<std::shared_ptr<ood::FeatureDetector>> features = {
      std::make_shared<ood::Mahalanobis>(), std::make_shared<ood::KNN>(5), std::make_shared<ood::ViM>(w, b, 2),
      std::make_shared<ood::ReAct>(w, b), std::make_shared<ood::GradNorm>(w, b)};
  for (auto& d : features) {
    INFO(d->kind());
    if (d->kind() != "GradNorm") CHECK_THROWS_AS(d->score(f), NotFittedError);  // GradNorm: fitted when made
    CHECK_THROWS_WITH(d->fit(nan, y), Catch::Contains(d->kind() + ".fit: features"));
    d->fit(f, y);
    CHECK(d->dim() == 6);
    CHECK_THROWS_WITH(d->score(f.narrow(1, 0, 5)), Catch::Contains(d->kind() + ".score: features have D = 5"));
    CHECK_THROWS_WITH(d->score(nan), Catch::Contains(d->kind() + ".score: features"));
    const at::Tensor s = d->score(f.requires_grad_(true));
    f.requires_grad_(false);
    CHECK(s.sizes() == at::IntArrayRef{60});
    CHECK_FALSE(s.requires_grad());
  }
  std::vector<std::shared_ptr<ood::LogitDetector>> logits = {std::make_shared<ood::MSP>(), std::make_shared<ood::MaxLogit>(),
                                                             std::make_shared<ood::Energy>(), std::make_shared<ood::Entropy>()};
  for (auto& d : logits) {
    INFO(d->kind());
    CHECK_THROWS_WITH(d->score(nan), Catch::Contains(d->kind() + ".score: logits"));
    CHECK_THROWS_WITH(d->score(f.narrow(1, 0, 1)), Catch::Contains(d->kind() + ".score: logits need K >= 2"));
    const at::Tensor s = d->score(f.clone().requires_grad_(true));
    CHECK_FALSE(s.requires_grad());
  }
}
