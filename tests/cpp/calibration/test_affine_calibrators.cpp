// L-BFGS on a classic test function; vector/matrix/Dirichlet scaling at a stationary point of
// their penalised NLL (gradient by autograd), nested-family ordering, ODIR shrinkage; Platt and
// beta calibration; every calibrator through save / load_calibrator.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <torch/torch.h>

#include <bulwark/calibration/binary_calibrators.h>
#include <bulwark/calibration/binning_calibrators.h>
#include <bulwark/calibration/linear_calibrators.h>
#include <bulwark/calibration/temperature_scaling.h>
#include <bulwark/core/error.h>
#include <bulwark/core/random.h>
#include <bulwark/optim/lbfgs.h>

using namespace bulwark;

namespace {
// Miscalibrated logits with per-class distortions, so vector/matrix scaling have work to do.
std::pair<at::Tensor, at::Tensor> distorted(int64_t n, int64_t k, uint64_t seed) {
  at::Generator g = make_generator(seed);
  const at::Tensor y = at::randint(0, k, {n}, g);
  const at::Tensor scale = at::linspace(1, 4, k);
  const at::Tensor z = (at::randn({n, k}, g) + 2 * at::one_hot(y, k).to(at::kFloat)) * scale;
  return {z, y};
}
std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() / name).string();
}
double mean_nll(const at::Tensor& probs, const at::Tensor& y) {
  return -probs.to(at::kDouble).log().gather(1, y.unsqueeze(1)).mean().item<double>();
}
}  // namespace

TEST_CASE("L-BFGS minimises the Rosenbrock function", "[calibration][lbfgs]") {
  const optim::Objective f = [](const std::vector<double>& x, std::vector<double>& g) {
    const double a = 1 - x[0], b = x[1] - x[0] * x[0];
    g[0] = -2 * a - 400 * x[0] * b;
    g[1] = 200 * b;
    return a * a + 100 * b * b;
  };
  const auto r = optim::lbfgs(f, {-1.2, 1.0});
  CHECK(r.converged);
  CHECK(r.x[0] == Approx(1).margin(1e-6));
  CHECK(r.x[1] == Approx(1).margin(1e-6));
  CHECK(r.grad_max <= 1e-8);
}

TEST_CASE("Affine calibrators stop at a stationary point of their objective", "[calibration]") {
  auto [z, y] = distorted(3000, 5, 3);
  const int64_t k = 5;
  auto check_stationary = [&](calibration::AffineCalibrator& c, const at::Tensor& x, bool diagonal,
                              double identity, double offdiag, double bias) {
    auto w = c.weight().clone().requires_grad_(true);
    auto b = c.bias().clone().requires_grad_(true);
    const at::Tensor a = diagonal ? x * w + b : at::addmm(b, x, w.t());
    const at::Tensor eye = torch::eye(k, torch::kDouble);
    at::Tensor f = torch::nll_loss(at::log_softmax(a, 1), y);
    f = f + identity * (diagonal ? (w - 1) : (w - eye)).square().sum() + bias * b.square().sum();
    if (!diagonal) f = f + offdiag * (w * (1 - eye)).square().sum();
    const auto grads = torch::autograd::grad({f}, {w, b});
    CHECK(f.item<double>() == Approx(c.objective()).epsilon(1e-12));
    CHECK(grads[0].abs().max().item<double>() < 1e-7);
    CHECK(grads[1].abs().max().item<double>() < 1e-7);
  };
  const at::Tensor zd = z.to(at::kDouble);
  calibration::VectorScaling vs;
  vs.fit(z, y);
  check_stationary(vs, zd, true, 0, 0, 0);
  calibration::MatrixScaling ms(0.01);
  ms.fit(z, y);
  check_stationary(ms, zd, false, 0.01, 0, 0.01);
  calibration::DirichletCalibration dc(0.5, 0.2);
  const at::Tensor p = at::softmax(zd, 1);
  dc.fit(p, y);
  check_stationary(dc, p.log(), false, 0, 0.5 / (k * (k - 1)), 0.2 / k);
  // logits=True is the same map on log_softmax(z).
  calibration::DirichletCalibration dl(0.5, 0.2, /*logits=*/true);
  dl.fit(zd, y);
  CHECK(at::allclose(dl.weight(), dc.weight(), 1e-5, 1e-6));
  CHECK(at::allclose(dl.predict_proba(zd), dc.predict_proba(p), 1e-5, 1e-7));
}

TEST_CASE("Nested families: matrix <= vector <= temperature scaling in NLL", "[calibration]") {
  auto [z, y] = distorted(4000, 6, 4);
  calibration::TemperatureScaling ts;
  calibration::VectorScaling vs;
  calibration::MatrixScaling ms(0);
  const double nll_ts = mean_nll(ts.fit(z, y).predict_proba(z), y);
  const double nll_vs = mean_nll(vs.fit(z, y).predict_proba(z), y);
  const double nll_ms = mean_nll(ms.fit(z, y).predict_proba(z), y);
  CHECK(nll_vs <= nll_ts + 1e-9);
  CHECK(nll_ms <= nll_vs + 1e-9);
  CHECK(nll_vs < nll_ts - 1e-3);  // the per-class distortion is real: vector scaling gains
  CHECK(vs.predict_proba(z).scalar_type() == at::kFloat);
}

TEST_CASE("ODIR shrinks the off-diagonal weights and the intercepts", "[calibration]") {
  auto [z, y] = distorted(2000, 4, 5);
  const at::Tensor p = at::softmax(z, 1);
  calibration::DirichletCalibration weak(1e-4, 1e-4), strong(1e4, 1e4);
  weak.fit(p, y);
  strong.fit(p, y);
  const at::Tensor off = 1 - at::eye(4, at::kDouble);
  const double weak_off = (weak.weight() * off).abs().max().item<double>();
  const double strong_off = (strong.weight() * off).abs().max().item<double>();
  CHECK(strong_off < 0.01 * weak_off);
  CHECK(strong.bias().abs().max().item<double>() < 0.01);
}

TEST_CASE("Platt and beta calibration fit the log-loss minimiser", "[calibration]") {
  at::Generator g = make_generator(6);
  const at::Tensor y = at::randint(0, 2, {5000}, g);
  const at::Tensor s = at::randn({5000}, g, at::kDouble) * 1.5 + 2.5 * (y.to(at::kDouble) - 0.5);
  calibration::PlattScaling platt(/*smooth_targets=*/false);
  platt.fit(s, y);
  // The maximum-likelihood fit is a stationary point of the log-loss (autograd).
  auto ac = torch::tensor({platt.a(), platt.c()}, torch::kDouble).requires_grad_(true);
  auto loss = torch::binary_cross_entropy_with_logits(s * ac[0] + ac[1], y.to(at::kDouble));
  CHECK(torch::autograd::grad({loss}, {ac})[0].abs().max().item<double>() < 1e-8);
  CHECK(platt.a() > 0);
  // Platt's smoothed targets pull the fit slightly towards less confident probabilities.
  calibration::PlattScaling smooth;
  smooth.fit(s, y);
  CHECK(std::abs(smooth.a()) < std::abs(platt.a()));

  const at::Tensor prob = at::sigmoid(3 * s);  // over-confident scores in (0, 1)
  calibration::BetaCalibration beta;
  beta.fit(prob, y);
  const auto abc = beta.parameters();
  CHECK(abc[0] >= 0);
  CHECK(abc[1] >= 0);
  const at::Tensor lp = prob.clamp(1e-16, 1 - 1e-16);
  auto theta = torch::tensor(abc, torch::kDouble).requires_grad_(true);
  auto bl = torch::binary_cross_entropy_with_logits(theta[0] * lp.log() - theta[1] * at::log1p(-lp) + theta[2],
                                                    y.to(at::kDouble));
  CHECK(torch::autograd::grad({bl}, {theta})[0].abs().max().item<double>() < 1e-8);
  // Scores 3x too confident: the beta map with a = b ~ 1/3, c ~ 0 undoes it.
  CHECK(abc[0] == Approx(1.0 / 3).margin(0.05));
  CHECK(abc[1] == Approx(1.0 / 3).margin(0.05));

  // Separated labels: no finite fit, a clear error.
  const at::Tensor sep = y.to(at::kDouble) * 2 - 1;
  CHECK_THROWS_AS(calibration::PlattScaling(false).fit(sep, y), InvalidArgument);
  CHECK_THROWS_AS(platt.fit(s.reshape({-1, 1}), y), ShapeError);
  CHECK_THROWS_AS(platt.fit(s, y + 1), InvalidArgument);
  CHECK_THROWS_AS(beta.fit(s, y), InvalidArgument);  // not probabilities
}

TEST_CASE("Every calibrator round-trips through its file", "[calibration]") {
  auto [z, y] = distorted(1500, 4, 7);
  const at::Tensor p = at::softmax(z, 1);
  const at::Tensor s = z.select(1, 1) - z.select(1, 0);
  const at::Tensor yb = (y == 1).to(at::kLong);
  std::vector<std::pair<std::unique_ptr<calibration::Calibrator>, at::Tensor>> cases;
  cases.emplace_back(std::make_unique<calibration::TemperatureScaling>(), z);
  cases.emplace_back(std::make_unique<calibration::VectorScaling>(), z);
  cases.emplace_back(std::make_unique<calibration::MatrixScaling>(), z);
  cases.emplace_back(std::make_unique<calibration::DirichletCalibration>(), p);
  cases.emplace_back(std::make_unique<calibration::HistogramBinning>(10, true), p);
  cases.emplace_back(std::make_unique<calibration::IsotonicCalibration>(), p);
  cases.emplace_back(std::make_unique<calibration::PlattScaling>(), s);
  cases.emplace_back(std::make_unique<calibration::BetaCalibration>(), at::sigmoid(s));
  const std::string path = temp_path("bulwark_calibrator.json");
  for (auto& [c, x] : cases) {
    const bool binary = x.dim() == 1;
    c->fit(x, binary ? yb : y);
    c->save(path);
    const auto loaded = calibration::load_calibrator(path);
    INFO(c->kind());
    CHECK(loaded->kind() == c->kind());
    CHECK(loaded->num_classes() == (binary ? 2 : 4));
    CHECK(at::equal(loaded->predict_proba(x), c->predict_proba(x)));
  }
  // The typed loaders insist on their kind; a corrupt file is a FormatError.
  cases[1].first->save(path);
  CHECK(calibration::VectorScaling::load(path).fitted());
  CHECK_THROWS_AS(calibration::MatrixScaling::load(path), FormatError);
  CHECK_THROWS_WITH(calibration::TemperatureScaling::load(path),
                    Catch::Contains("holds a VectorScaling, not a TemperatureScaling"));
  std::ofstream(path) << R"({"format": "bulwark.calibrator", "version": 1, "kind": "MatrixScaling",
                             "num_classes": 3, "weight": [1, 0], "bias": [0, 0, 0], "reg": 0,
                             "objective": 0, "iterations": 1})";
  CHECK_THROWS_WITH(calibration::load_calibrator(path), Catch::Contains("weight must hold 9"));
  std::ofstream(path) << R"({"format": "bulwark.calibrator", "version": 1, "kind": "Nope", "num_classes": 3})";
  CHECK_THROWS_WITH(calibration::load_calibrator(path), Catch::Contains("unknown kind"));
  // Unfitted: no file.
  CHECK_THROWS_AS(calibration::MatrixScaling().save(path), NotFittedError);
  CHECK_THROWS_AS(calibration::MatrixScaling().predict_proba(z), NotFittedError);
}
