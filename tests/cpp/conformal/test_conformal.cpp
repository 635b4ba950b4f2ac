// Conformal prediction: the quantile index by hand, scores against a sort-based reference,
// sets consistent with scores, the coverage guarantee on synthetic data.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <vector>

#include <ATen/ATen.h>

#include <bulwark/conformal/class_conditional.h>
#include <bulwark/conformal/metrics.h>
#include <bulwark/conformal/raps_tuning.h>
#include <bulwark/conformal/risk_control.h>
#include <bulwark/conformal/scores.h>
#include <bulwark/conformal/split_conformal.h>
#include <bulwark/core/error.h>
#include <bulwark/core/json.h>
#include <bulwark/core/random.h>

using namespace bulwark;
using namespace bulwark::conformal;

namespace {
at::Tensor random_probs(int64_t n, int64_t k, uint64_t seed, double temperature = 1.0) {
  at::Generator g = make_generator(seed);
  return at::softmax(at::randn({n, k}, g, at::kDouble) * (3.0 / temperature), 1);
}

// The score of label y by sorting the row (the definition), for comparison.
double reference_score(const Score& s, const at::Tensor& row, int64_t y, double u) {
  const int64_t k = row.size(0);
  std::vector<int64_t> order(k);
  std::iota(order.begin(), order.end(), 0);
  auto p = [&](int64_t j) { return row[j].item<double>(); };
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return p(a) > p(b); });
  const int64_t r = std::find(order.begin(), order.end(), y) - order.begin();
  double before = 0;
  for (int64_t i = 0; i < r; ++i) before += p(order[i]);
  const double w = s.randomized ? u : 1.0;
  switch (s.kind) {
    case ScoreKind::LAC: return 1 - p(y);
    case ScoreKind::APS: return before + w * p(y);
    case ScoreKind::RAPS: return before + w * p(y) + s.lam_value() * std::max<int64_t>(0, r + 1 - s.k_reg);
    case ScoreKind::SAPS: return r == 0 ? w * p(order[0]) : p(order[0]) + s.lam_value() * (r - 1 + w);
    case ScoreKind::TopK: return r + w;
  }
  return 0;
}

std::vector<Score> all_scores() {
  std::vector<Score> out;
  for (auto kind : {ScoreKind::LAC, ScoreKind::APS, ScoreKind::RAPS, ScoreKind::SAPS, ScoreKind::TopK}) {
    for (bool randomized : {true, false}) {
      Score s;
      s.kind = kind;
      s.randomized = randomized;
      s.lam = kind == ScoreKind::SAPS ? 0.2 : 0.05;
      s.k_reg = 2;
      out.push_back(s);
    }
  }
  return out;
}
}  // namespace

TEST_CASE("The conformal quantile is the ceil((n+1)(1-alpha))-th smallest score", "[conformal]") {
  CHECK(conformal_rank(9, 0.1) == 9);
  CHECK(conformal_rank(19, 0.1) == 18);
  CHECK(conformal_rank(100, 0.1) == 91);
  CHECK(conformal_rank(4, 0.2) == 4);
  CHECK(conformal_rank(5, 0.1) == 6);  // too few
  const at::Tensor s = at::tensor({0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6}, at::kDouble);
  CHECK(conformal_quantile(s, 0.1, "t") == 0.9);   // k = 9 of 9
  CHECK(conformal_quantile(s, 0.3, "t") == 0.7);   // k = ceil(7) = 7
  CHECK(conformal_quantile(s, 0.5, "t") == 0.5);   // k = 5
  CHECK_THROWS_WITH(conformal_quantile(s.narrow(0, 0, 5), 0.1, "fit"),
                    Catch::Contains("5 calibration points are too few for alpha = 0.1"));
}

TEST_CASE("Label scores match the sort-based definition; sets agree with scores", "[conformal]") {
  // Ties included: rounding makes equal probabilities common.
  const at::Tensor probs = (random_probs(60, 7, 1) * 20).round() / 20;
  const at::Tensor p = probs / probs.sum(1, true);
  at::Generator g = make_generator(2);
  const at::Tensor u = at::rand({60}, g, at::kDouble);
  for (const Score& s : all_scores()) {
    INFO(s.repr());
    for (int64_t y = 0; y < 7; ++y) {
      const at::Tensor labels = at::full({60}, y, at::kLong);
      const at::Tensor got = label_scores(s, p, labels, u);
      for (int64_t i = 0; i < 60; i += 7) {
        CHECK(got[i].item<double>() == Approx(reference_score(s, p[i], y, u[i].item<double>())));
      }
      // y is in the set at threshold t exactly when its score is <= t.
      for (double t : {0.3137, 0.8071, 1.2219, 2.5063}) {  // off the float ties of sums
        const at::Tensor sets = prediction_sets(s, p, at::full({1}, t, at::kDouble), u);
        CHECK(at::equal(sets.select(1, y), got.le(t)));
      }
    }
  }
}

TEST_CASE("Split conformal covers at 1 - alpha on exchangeable synthetic data", "[conformal]") {
  const int64_t k = 10;
  for (const Score& s : all_scores()) {
    INFO(s.repr());
    double total = 0;
    const int reps = 30;
    for (int r = 0; r < reps; ++r) {
      // Labels drawn from the probabilities themselves: a calibrated model.
      const at::Tensor p = random_probs(1000, k, 100 + r);
      at::Generator g = make_generator(200 + r);
      const at::Tensor y = at::multinomial(p, 1, false, g).squeeze(1);
      ConformalOptions o;
      o.score = s;
      o.alpha = 0.1;
      o.seed = r;
      SplitConformal cp(o);
      cp.fit(p.narrow(0, 0, 500), y.narrow(0, 0, 500));
      total += coverage(cp.predict(p.narrow(0, 500, 500)), y.narrow(0, 500, 500));
    }
    // Mean over 30 x 500 test points: sd about 0.0025; the bound is [0.9, 0.9 + 1/501], the
    // upper end only for scores without ties (not the integer ranks of non-randomised TopK).
    CHECK(total / reps >= 0.9 - 0.008);
    if (s.randomized || s.kind != ScoreKind::TopK) CHECK(total / reps <= 0.9 + 1.0 / 501 + 0.008);
  }
}

TEST_CASE("Class-conditional conformal: per-class thresholds, small classes always in", "[conformal]") {
  const at::Tensor p = random_probs(400, 4, 5);
  at::Tensor y = p.argmax(1);
  y.narrow(0, 0, 3).fill_(3);
  y = at::where(y.eq(3), at::zeros_like(y), y);
  y.narrow(0, 0, 3).fill_(3);  // class 3: three points only
  ConformalOptions o;
  o.alpha = 0.1;
  o.score.kind = ScoreKind::LAC;
  ClassConditionalConformal cp(o);
  cp.fit(p, y);
  CHECK(cp.small_classes() == std::vector<int64_t>{3});
  CHECK(std::isinf(cp.thresholds()[3].item<double>()));
  const at::Tensor sets = cp.predict(p);
  CHECK(sets.select(1, 3).all().item<bool>());
  const at::Tensor cov = class_coverage(sets, y, 4);
  for (int64_t c = 0; c < 3; ++c) CHECK(cov[c].item<double>() >= 0.9);
}

TEST_CASE("Conformal bad input", "[conformal]") {
  ConformalOptions o;
  o.alpha = 1.0;
  CHECK_THROWS_WITH(SplitConformal(o), Catch::Contains("alpha must be in (0, 1)"));
  SplitConformal cp;
  const at::Tensor p = random_probs(50, 3, 1);
  CHECK_THROWS_AS(cp.predict(p), NotFittedError);
  CHECK_THROWS_WITH(cp.fit(p * 0.5, at::zeros({50}, at::kLong)), Catch::Contains("must sum to 1"));
  CHECK_THROWS_WITH(cp.fit(p, at::full({50}, 3, at::kLong)), Catch::Contains("labels < num_classes = 3"));
  at::Tensor bad = p.clone();
  bad[0][0] = NAN;
  CHECK_THROWS_WITH(cp.fit(bad, at::zeros({50}, at::kLong)), Catch::Contains("contain NaN"));
  cp.fit(p, at::zeros({50}, at::kLong));
  CHECK_THROWS_WITH(cp.predict(random_probs(5, 4, 2)), Catch::Contains("fitted on K = 3"));
}

TEST_CASE("Conformal predictors save and load; corrupt files are rejected", "[conformal]") {
  const at::Tensor p = random_probs(300, 5, 8);
  at::Generator g = make_generator(9);
  const at::Tensor y = at::multinomial(p, 1, false, g).squeeze(1);
  const std::string dir = std::filesystem::temp_directory_path().string();
  ConformalOptions o;
  o.score.kind = ScoreKind::RAPS;
  o.score.lam = 0.07;
  o.alpha = 0.2;
  o.seed = 18446744073709551615ull;  // 2^64 - 1 survives the file
  for (bool mondrian : {false, true}) {
    std::shared_ptr<SplitConformal> cp =
        mondrian ? std::make_shared<ClassConditionalConformal>(o) : std::make_shared<SplitConformal>(o);
    cp->fit(p, y);
    const std::string path = dir + "/bulwark_cp_" + std::to_string(mondrian) + ".json";
    cp->save(path);
    const auto back = SplitConformal::load(path);
    CHECK(back->repr() == cp->repr());
    CHECK(back->threshold() == cp->threshold());
    CHECK(at::equal(back->predict(p), cp->predict(p)));
  }
  const std::string bad = dir + "/bulwark_cp_bad.json";
  json::Object().set("format", std::string("bulwark.calibrator")).write_file(bad);
  CHECK_THROWS_WITH(SplitConformal::load(bad), Catch::Contains("not a bulwark.conformal file"));
  {
    std::ofstream f(bad);
    f << "{\"format\": \"bulwark.conformal\", \"version\": 1, ";  // cut short
  }
  CHECK_THROWS_AS(SplitConformal::load(bad), FormatError);
  CHECK_THROWS_AS(SplitConformal::load(dir + "/no_such_bulwark_file.json"), FileError);
}

TEST_CASE("JSON objects round-trip numbers, strings, flags, arrays and infinities", "[json]") {
  json::Object o;
  o.set("a", 0.1).set("s", std::string("x \"q\" \\ y")).set("b", true)
      .set("v", std::vector<double>{1, -INFINITY, 2.5e-300}).set("i", INFINITY);
  const json::Object r = json::Object::parse(o.dump(), "test");
  CHECK(r.number("a") == 0.1);
  CHECK(r.string("s") == "x \"q\" \\ y");
  CHECK(r.boolean("b"));
  CHECK(r.numbers("v") == std::vector<double>{1, -INFINITY, 2.5e-300});
  CHECK(std::isinf(r.number("i")));
  CHECK_THROWS_WITH(r.number("s"), Catch::Contains("field 's' must be a number"));
  CHECK_THROWS_WITH(r.number("zz"), Catch::Contains("missing field 'zz'"));
  for (const char* text : {"", "{", "{\"a\" 1}", "{\"a\": [1, }", "{\"a\": 1} x", "[1]"}) {
    CHECK_THROWS_AS(json::Object::parse(text, "t"), FormatError);
  }
}

TEST_CASE("RAPS tuning: k_reg from the rank quantile, lam by mean size", "[conformal]") {
  const at::Tensor p = random_probs(2000, 10, 12, 2.0);
  at::Generator g = make_generator(13);
  const at::Tensor y = at::multinomial(p, 1, false, g).squeeze(1);
  const auto r = tune_raps(p, y, 0.1, true, {0.0, 0.01, 0.5}, 0);
  Score rank;
  rank.kind = ScoreKind::TopK;
  rank.randomized = false;
  const at::Tensor ranks = label_scores(rank, p, y, at::zeros({2000}, at::kDouble)) - 1;
  const auto [sorted, idx] = ranks.sort();
  CHECK(r.k_reg == 1 + static_cast<int64_t>(sorted[static_cast<int64_t>(std::ceil(0.9 * 1999))].item<double>()));
  REQUIRE(r.mean_sizes.size() == 3);
  CHECK(r.lam == std::vector<double>{0.0, 0.01, 0.5}[std::min_element(r.mean_sizes.begin(), r.mean_sizes.end()) - r.mean_sizes.begin()]);
}

TEST_CASE("Risk control picks the first lambda under the corrected bound", "[conformal]") {
  // 4 points, losses over lambda = 0, 0.5, 1: means 1, 0.25, 0. Bound at j: 4/5 mean + 1/5.
  const at::Tensor losses = at::tensor({1.0, 0.5, 0.0, 1.0, 0.0, 0.0, 1.0, 0.5, 0.0, 1.0, 0.0, 0.0},
                                       at::kDouble).view({4, 3});
  const at::Tensor lambdas = at::tensor({0.0, 0.5, 1.0}, at::kDouble);
  const auto r = risk_control(losses, lambdas, 0.45);  // 0.8 * 0.25 + 0.2 = 0.4 <= 0.45
  CHECK(r.index == 1);
  CHECK(r.bound_value == Approx(0.4));
  CHECK(risk_control(losses, lambdas, 0.3).index == 2);  // 0.2 at lambda = 1
  CHECK_THROWS_WITH(risk_control(losses, lambdas, 0.1), Catch::Contains("no lambda of the grid"));
  const at::Tensor fnr = fnr_losses(at::tensor({0.9, 0.4, 0.1}, at::kDouble).view({1, 3}),
                                    at::tensor({1, 1, 0}, at::kLong).to(at::kBool).view({1, 3}),
                                    at::tensor({0.0, 0.2, 0.7, 1.0}, at::kDouble));
  // thresholds 1 - lambda = 1, 0.8, 0.3, 0: true labels {0, 1} found 0, 1, 2, 2 of 2.
  CHECK(at::allclose(fnr, at::tensor({1.0, 0.5, 0.0, 0.0}, at::kDouble).view({1, 4})));
}
