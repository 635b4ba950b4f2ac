// Temperature scaling against a dense grid and autograd; calibration metrics against direct
// loops, with ties and empty bins.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <torch/torch.h>

#include <bulwark/calibration/binning_calibrators.h>
#include <bulwark/calibration/temperature_scaling.h>
#include <bulwark/core/error.h>
#include <bulwark/core/random.h>
#include <bulwark/metrics/calibration_metrics.h>

using namespace bulwark;

namespace {
// The synthetic logits: 6 (randn + 3 onehot(y)); labels uniform.
std::pair<at::Tensor, at::Tensor> synthetic(int64_t n, int64_t k, uint64_t seed) {
  at::Generator g = make_generator(seed);
  const at::Tensor y = at::randint(0, k, {n}, g);
  const at::Tensor z = 6 * (at::randn({n, k}, g) + 3 * at::one_hot(y, k).to(at::kFloat));
  return {z, y};
}
double mean_nll(const at::Tensor& z, const at::Tensor& y, double t) {
  return -at::log_softmax(z.to(at::kDouble) / t, 1).gather(1, y.unsqueeze(1)).mean().item<double>();
}
}  // namespace

TEST_CASE("NLL derivatives in beta match autograd", "[calibration]") {
  auto [zf, y] = synthetic(500, 7, 1);
  const at::Tensor z = zf.to(at::kDouble);  // double logits: exact to rounding
  for (double beta : {0.1, 0.5, 1.3}) {
    const auto df = calibration::nll_derivatives(zf, y, beta);  // float: ~1e-7 relative
    CHECK(df.first == Approx(calibration::nll_derivatives(z, y, beta).first).epsilon(1e-5));
    auto b = torch::tensor({beta}, torch::kDouble).requires_grad_(true);
    auto f = -at::log_softmax(z.to(at::kDouble) * b, 1).gather(1, y.unsqueeze(1)).mean();
    auto g = torch::autograd::grad({f}, {b}, {}, true, true)[0];
    auto h = torch::autograd::grad({g.sum()}, {b})[0];
    const auto d = calibration::nll_derivatives(z, y, beta);
    CHECK(d.value == Approx(f.item<double>()).epsilon(1e-10));
    CHECK(d.first == Approx(g.item<double>()).epsilon(1e-8));
    CHECK(d.second == Approx(h.item<double>()).epsilon(1e-6));
  }
}

TEST_CASE("Temperature scaling finds the NLL minimiser (dense grid)", "[calibration]") {
  auto [z, y] = synthetic(20000, 10, 2);
  calibration::TemperatureScaling ts;
  ts.fit(z, y);
  const double t = ts.temperature();
  // A grid of step 1e-5 around T: no grid point beats it by more than rounding.
  double best_t = t, best = mean_nll(z, y, t);
  for (double v = t - 2e-3; v <= t + 2e-3; v += 1e-5) {
    const double f = mean_nll(z, y, v);
    if (f < best) best = f, best_t = v;
  }
  CHECK(std::abs(best_t - t) <= 1e-4);
  CHECK(t > 1.5);  // over-confident logits: T > 1
  CHECK(ts.iterations() < 30);
  CHECK(at::allclose(ts.predict_proba(z), at::softmax(z / t, 1)));
  const std::string path = (std::filesystem::temp_directory_path() / "bulwark_ts.json").string();
  ts.save(path);
  CHECK(calibration::TemperatureScaling::load(path).temperature() == t);
}

TEST_CASE("Temperature scaling: bad input", "[calibration]") {
  calibration::TemperatureScaling ts;
  auto [z, y] = synthetic(50, 3, 3);
  CHECK_THROWS_AS(ts.temperature(), NotFittedError);
  at::Tensor bad = z.clone();
  bad[0][0] = NAN;
  CHECK_THROWS_WITH(ts.fit(bad, y), Catch::Contains("logits contain NaN"));
  CHECK_THROWS_WITH(ts.fit(z, y + 3), Catch::Contains("labels < num_classes = 3"));
  CHECK_THROWS_WITH(ts.fit(z.narrow(1, 0, 1), y.clamp_max(0)), Catch::Contains("K >= 2"));
  CHECK_THROWS_WITH(ts.fit(z, y.narrow(0, 0, 10)), Catch::Contains("labels must have shape (N,)"));
  // Perfectly separated: the NLL falls forever as T -> 0.
  const at::Tensor sep = at::one_hot(y, 3).to(at::kFloat) * 10;
  CHECK_THROWS_WITH(ts.fit(sep, y), Catch::Contains("separate the labels perfectly"));
  // All-equal logits: the NLL is flat (issue 24, item 8), not "separated".
  CHECK_THROWS_WITH(ts.fit(at::full({50, 3}, 1.5), y), Catch::Contains("the NLL is the same for every temperature"));
}

TEST_CASE("ECE, MCE, classwise ECE, NLL and Brier against direct loops", "[metrics]") {
  at::Generator g = make_generator(4);
  const int64_t n = 300, k = 4;
  // Rounded probabilities: ties in confidence, values exactly on bin edges, empty bins.
  at::Tensor p = at::softmax(at::randn({n, k}, g, at::kDouble) * 2, 1);
  p = (p * 10).round() / 10 + 1e-3;
  p = p / p.sum(1, true);
  const at::Tensor y = at::randint(0, k, {n}, g);
  for (int64_t bins : {1, 5, 15}) {
    // Equal-width, (lo, hi] bins, by hand.
    std::vector<double> cs(bins), as(bins);
    std::vector<int64_t> ns(bins);
    for (int64_t i = 0; i < n; ++i) {
      const at::Tensor row = p[i];
      const int64_t arg = row.argmax().item<int64_t>();
      const double c = row[arg].item<double>();
      int64_t b = static_cast<int64_t>(std::ceil(c * bins)) - 1;
      b = std::clamp<int64_t>(b, 0, bins - 1);
      cs[b] += c;
      as[b] += arg == y[i].item<int64_t>();
      ns[b] += 1;
    }
    double want = 0, want2 = 0, worst = 0;
    for (int64_t b = 0; b < bins; ++b) {
      if (!ns[b]) continue;
      const double gap = std::abs(as[b] / ns[b] - cs[b] / ns[b]);
      want += gap * ns[b] / n;
      want2 += gap * gap * ns[b] / n;
      worst = std::max(worst, gap);
    }
    metrics::Binning b1;
    b1.bins = bins;
    CHECK(metrics::ece(p, y, false, b1) == Approx(want).epsilon(1e-12));
    CHECK(metrics::mce(p, y, false, b1) == Approx(worst).epsilon(1e-12));
    b1.p = 2;
    CHECK(metrics::ece(p, y, false, b1) == Approx(std::sqrt(want2)).epsilon(1e-12));
  }
  // Logits give the same numbers as their softmax.
  const at::Tensor z = at::randn({n, k}, g, at::kDouble);
  CHECK(metrics::ece(z, y, true) == Approx(metrics::ece(at::softmax(z, 1), y, false)).epsilon(1e-12));
  CHECK(metrics::nll(z, y, true) == Approx(-at::log_softmax(z, 1).gather(1, y.unsqueeze(1)).mean().item<double>()));
  const at::Tensor onehot = at::one_hot(y, k).to(at::kDouble);
  CHECK(metrics::brier(z, y, true) == Approx((at::softmax(z, 1) - onehot).pow(2).sum(1).mean().item<double>()));
  // Equal mass: B runs of N/B samples by sorted confidence.
  metrics::Binning em;
  em.bins = 3;
  em.equal_mass = true;
  const auto [conf, correct] = metrics::top_label(p, y, false, "t");
  const auto curve = metrics::reliability_curve(conf, correct, em);
  CHECK(curve.count.equal(at::full({3}, 100, at::kLong)));
  const auto [sorted, order] = conf.sort(true, 0, false);
  double want = 0;
  for (int64_t b = 0; b < 3; ++b) {
    const at::Tensor idx = order.narrow(0, b * 100, 100);
    want += std::abs(correct.index_select(0, idx).to(at::kDouble).mean().item<double>() -
                     conf.index_select(0, idx).mean().item<double>()) / 3;
  }
  CHECK(metrics::ece(p, y, false, em) == Approx(want).epsilon(1e-12));
  // Classwise ECE: the mean over classes of the ECE of p_k against [y = k].
  double cw = 0;
  for (int64_t j = 0; j < k; ++j) {
    const auto c = metrics::reliability_curve(p.select(1, j), y.eq(j), {});
    const at::Tensor used = c.count.gt(0);
    cw += ((c.accuracy - c.confidence).abs().index({used}) * c.count.index({used}).to(at::kDouble) / n).sum().item<double>() / k;
  }
  CHECK(metrics::classwise_ece(p, y, false) == Approx(cw).epsilon(1e-12));
  CHECK_THROWS_WITH(metrics::ece(p * 2, y, false), Catch::Contains("[0, 1]"));
}

TEST_CASE("Pool-adjacent-violators: non-decreasing, optimal on small cases", "[calibration]") {
  // y = 1, 3, 2, 4 at x = 1..4: the violation (3, 2) pools to 2.5.
  auto [kx, fy] = calibration::isotonic_fit(at::tensor({1.0, 2.0, 3.0, 4.0}, at::kDouble),
                                            at::tensor({1.0, 3.0, 2.0, 4.0}, at::kDouble));
  CHECK(fy == std::vector<double>{1.0, 2.5, 2.5, 4.0});
  // Equal x are merged first (mean 2 at x = 1), then pooled with the following 0: mean 4/3.
  auto [kx2, fy2] = calibration::isotonic_fit(at::tensor({1.0, 1.0, 2.0}, at::kDouble),
                                              at::tensor({1.0, 3.0, 0.0}, at::kDouble));
  CHECK(kx2 == std::vector<double>{1.0, 2.0});
  CHECK(fy2[0] == Approx(4.0 / 3));
  CHECK(fy2[1] == Approx(4.0 / 3));
  // Random data: the fit is non-decreasing and no worse than the best constant.
  at::Generator g = make_generator(6);
  const at::Tensor x = at::rand({200}, g, at::kDouble), y = at::rand({200}, g, at::kDouble);
  auto [k3, f3] = calibration::isotonic_fit(x, y);
  CHECK(std::is_sorted(f3.begin(), f3.end()));
}
