// Attack losses against direct formulas.
#include <catch2/catch.hpp>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/random.h>
#include <bulwark/losses/classification.h>

using namespace bulwark;

TEST_CASE("cross_entropy, margin and dlr match their formulas", "[losses]") {
  at::Generator g = make_generator(3);
  const at::Tensor z = at::empty({6, 5}, at::kDouble).normal_(0, 2, g);
  const at::Tensor y = at::tensor({0, 1, 2, 3, 4, 0}, at::kLong);
  const at::Tensor ce = losses::cross_entropy(z, y);
  const at::Tensor m = losses::margin(z, y);
  const at::Tensor d = losses::dlr(z, y);
  for (int64_t i = 0; i < 6; ++i) {
    std::vector<double> row(5);
    for (int64_t j = 0; j < 5; ++j) row[j] = z[i][j].item<double>();
    const int64_t t = y[i].item<int64_t>();
    double lse = 0, best_other = -1e300;
    for (int64_t j = 0; j < 5; ++j) {
      lse += std::exp(row[j]);
      if (j != t) best_other = std::max(best_other, row[j]);
    }
    CHECK(ce[i].item<double>() == Approx(std::log(lse) - row[t]).epsilon(1e-12));
    CHECK(m[i].item<double>() == Approx(best_other - row[t]).epsilon(1e-12));
    std::vector<double> s = row;
    std::sort(s.rbegin(), s.rend());
    CHECK(d[i].item<double>() == Approx(-(row[t] - best_other) / (s[0] - s[2] + 1e-12)).epsilon(1e-9));
  }
}

TEST_CASE("labels are checked", "[losses]") {
  CHECK_THROWS_AS(losses::check_labels(at::zeros({3}), 3, 5, "t"), TypeError);
  CHECK_THROWS_AS(losses::check_labels(at::zeros({4}, at::kLong), 3, 5, "t"), ShapeError);
  CHECK_THROWS_AS(losses::check_labels(at::full({3}, 5, at::kLong), 3, 5, "t"), InvalidArgument);
  CHECK_THROWS_AS(losses::check_labels(at::full({3}, -1, at::kLong), 3, 5, "t"), InvalidArgument);
  CHECK_NOTHROW(losses::check_labels(at::full({3}, 4, at::kLong), 3, 5, "t"));
  CHECK_THROWS_AS(losses::parse_loss("hinge"), InvalidArgument);
}
