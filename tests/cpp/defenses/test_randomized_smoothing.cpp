// Exact binomial bounds against closed forms; randomized smoothing on a linear classifier,
// whose smoothed probability is known exactly: P(f(x + e) = c) = Phi(d / sigma), d the distance
// to the decision boundary, so the certified radius must stay below d and approach it.
#include <catch2/catch.hpp>

#include <cmath>

#include <torch/torch.h>

#include <bulwark/core/error.h>
#include <bulwark/core/module_classifier.h>
#include <bulwark/defenses/randomized_smoothing.h>
#include <bulwark/metrics/binomial.h>

using namespace bulwark;

TEST_CASE("Clopper-Pearson bounds and the binomial test against closed forms", "[smoothing]") {
  for (int64_t n : {1, 10, 1000}) {
    // k = n: the lower bound solves p^n = alpha; k = 0: the upper bound solves (1 - p)^n = alpha.
    CHECK(metrics::clopper_pearson_lower(n, n, 0.05) == Approx(std::pow(0.05, 1.0 / n)).epsilon(1e-12));
    CHECK(metrics::clopper_pearson_upper(0, n, 0.05) == Approx(1 - std::pow(0.05, 1.0 / n)).epsilon(1e-12));
    CHECK(metrics::binomial_test_half(0, n) == Approx(std::min(1.0, 2 * std::pow(0.5, n))).epsilon(1e-12));
  }
  for (int64_t k : {3, 50, 97}) {
    const double lo = metrics::clopper_pearson_lower(k, 100, 0.01), hi = metrics::clopper_pearson_upper(k, 100, 0.01);
    CHECK(lo < k / 100.0);
    CHECK(hi > k / 100.0);
    CHECK(metrics::clopper_pearson_lower(k, 100, 0.1) > lo);  // a looser level, a tighter bound
  }
  CHECK(metrics::binomial_test_half(50, 100) == 1.0);
  CHECK(metrics::binomial_test_half(60, 100) == Approx(metrics::binomial_test_half(40, 100)));
  CHECK_THROWS_AS(metrics::clopper_pearson_lower(5, 4, 0.05), InvalidArgument);
}

TEST_CASE("Randomized smoothing certifies a linear classifier up to its true margin", "[smoothing]") {
  torch::nn::Linear lin(4, 2);
  {
    torch::NoGradGuard ng;
    lin->weight.copy_(torch::tensor({{0.f, 0.f, 0.f, 0.f}, {1.f, -1.f, 0.f, 0.f}}));
    lin->bias.zero_();
  }
  ModuleClassifier clf(lin);
  // Distances to the boundary x0 = x1: |x0 - x1| / sqrt(2).
  const at::Tensor x = torch::tensor({{0.9f, 0.1f, 0.5f, 0.5f}, {0.2f, 0.6f, 0.f, 1.f}, {0.5f, 0.5f, 0.3f, 0.3f}});
  const at::Tensor y = torch::tensor({1, 0, 1}, torch::kLong);
  const double sigma = 0.25;
  defenses::RandomizedSmoothing rs(sigma, 2000, /*seed=*/3);
  const defenses::Certificate c = rs.certify(clf, x, 100, 20000, 0.001);
  const double d0 = 0.8 / std::sqrt(2.0), d1 = 0.4 / std::sqrt(2.0);
  CHECK(c.prediction[0].item<int64_t>() == 1);
  CHECK(c.prediction[1].item<int64_t>() == 0);
  CHECK(c.prediction[2].item<int64_t>() == -1);  // on the boundary: p = 1/2, no certificate
  CHECK(c.radius[0].item<double>() <= d0);
  CHECK(c.radius[1].item<double>() <= d1);
  CHECK(c.radius[1].item<double>() >= 0.9 * d1);
  CHECK(c.radius[0].item<double>() >= 0.5 * d0);  // p_A near 1: the bound saturates
  // Same seed, same certificate; predict abstains on the boundary.
  CHECK(at::equal(rs.certify(clf, x, 100, 20000, 0.001).radius, c.radius));
  const at::Tensor p = rs.predict(clf, x, 1000, 0.001);
  CHECK(p[0].item<int64_t>() == 1);
  CHECK(p[2].item<int64_t>() == -1);
  const at::Tensor acc = defenses::certified_accuracy(c, y, torch::tensor({0.0, 0.2, 0.5}));
  CHECK(acc[0].item<double>() == Approx(2.0 / 3));
  CHECK(acc[2].item<double>() == Approx(c.radius[0].item<double>() >= 0.5 ? 1.0 / 3 : 0.0));
  CHECK_THROWS_AS(defenses::RandomizedSmoothing(0), InvalidArgument);
  CHECK_THROWS_AS(rs.certify(clf, x + 2, 10, 10), InvalidArgument);  // clean inputs outside the box
}
