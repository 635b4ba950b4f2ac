// Projections and per-sample norms against references computed another way.
#include <catch2/catch.hpp>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/random.h>
#include <bulwark/ops/norm.h>
#include <bulwark/ops/projection.h>

using namespace bulwark;
using ops::Norm;

namespace {
at::Tensor randn(std::vector<int64_t> shape, uint64_t seed, at::ScalarType dtype = at::kDouble) {
  at::Generator g = make_generator(seed);
  return at::empty(shape, at::TensorOptions(dtype)).normal_(0, 1, g);
}

// The L1 projection by bisection on the soft-threshold theta: ||soft(v, theta)||_1 = eps.
// A different algorithm from Duchi's sort, on one sample.
at::Tensor l1_by_bisection(const at::Tensor& v, double eps) {
  if (v.abs().sum().item<double>() <= eps) return v.clone();
  double lo = 0, hi = v.abs().max().item<double>();
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    const double s = at::clamp_min(v.abs() - mid, 0).sum().item<double>();
    (s > eps ? lo : hi) = mid;
  }
  return at::sign(v) * at::clamp_min(v.abs() - 0.5 * (lo + hi), 0);
}
}  // namespace

TEST_CASE("per_sample_norm matches a loop over samples", "[ops]") {
  const at::Tensor x = randn({5, 3, 4}, 1);
  for (Norm p : {Norm::Linf, Norm::L2, Norm::L1}) {
    const at::Tensor got = ops::per_sample_norm(x, p);
    for (int64_t i = 0; i < 5; ++i) {
      const at::Tensor s = x[i].flatten();
      const double want = p == Norm::Linf ? s.abs().max().item<double>()
                          : p == Norm::L2 ? std::sqrt((s * s).sum().item<double>())
                                          : s.abs().sum().item<double>();
      CHECK(got[i].item<double>() == Approx(want).epsilon(1e-12));
    }
  }
}

TEST_CASE("project_l1 equals the bisection solution and is the closest point", "[ops]") {
  const at::Tensor v = randn({20, 2, 7}, 2) * 2;
  for (double eps : {0.0, 0.3, 1.0, 5.0, 1e3}) {
    const at::Tensor p = ops::project_l1(v, eps);
    for (int64_t i = 0; i < v.size(0); ++i) {
      const at::Tensor ref = l1_by_bisection(v[i].flatten(), eps);
      CHECK(at::allclose(p[i].flatten(), ref, 1e-9, 1e-9));
      CHECK(p[i].abs().sum().item<double>() <= eps + 1e-9);
    }
  }
  // Optimality: no random feasible point is closer to v than the projection.
  const at::Tensor p = ops::project_l1(v, 1.0);
  at::Generator g = make_generator(3);
  for (int trial = 0; trial < 50; ++trial) {
    at::Tensor z = at::empty_like(v).normal_(0, 1, g);
    z = z / ops::per_sample_view(ops::per_sample_norm(z, Norm::L1), z);  // on the sphere
    const at::Tensor dp = ops::per_sample_norm(v - p, Norm::L2);
    const at::Tensor dz = ops::per_sample_norm(v - z, Norm::L2);
    CHECK((dp <= dz + 1e-12).all().item<bool>());
  }
}

TEST_CASE("project_l2 and project_linf against closed forms", "[ops]") {
  const at::Tensor v = randn({10, 6}, 4) * 3;
  const at::Tensor p2 = ops::project_l2(v, 1.5);
  const at::Tensor pinf = ops::project_linf(v, 0.5);
  for (int64_t i = 0; i < 10; ++i) {
    const double n = v[i].norm().item<double>();
    const at::Tensor want = n <= 1.5 ? v[i] : v[i] * (1.5 / n);
    CHECK(at::allclose(p2[i], want, 1e-12, 1e-12));
    for (int64_t j = 0; j < 6; ++j) {
      const double a = v[i][j].item<double>();
      CHECK(pinf[i][j].item<double>() == std::max(-0.5, std::min(0.5, a)));
    }
  }
}

TEST_CASE("per-sample eps tensors project each sample onto its own ball", "[ops]") {
  const at::Tensor v = randn({4, 9}, 5) * 4;
  const at::Tensor eps = at::tensor({0.0, 0.5, 1.0, 100.0}, at::kDouble);
  for (Norm p : {Norm::Linf, Norm::L2, Norm::L1}) {
    const at::Tensor batch = ops::project(v, p, eps);
    for (int64_t i = 0; i < 4; ++i) {
      const at::Tensor one = ops::project(v.slice(0, i, i + 1), p, eps[i].item<double>());
      CHECK(at::allclose(batch.slice(0, i, i + 1), one, 1e-12, 1e-12));
    }
  }
}

TEST_CASE("projections keep shape, dtype and reject bad eps", "[ops]") {
  const at::Tensor v = randn({3, 2, 2}, 6, at::kFloat);
  for (Norm p : {Norm::Linf, Norm::L2, Norm::L1}) {
    const at::Tensor r = ops::project(v, p, 0.25);
    CHECK(r.sizes() == v.sizes());
    CHECK(r.scalar_type() == at::kFloat);
    CHECK((ops::per_sample_norm(r, p) <= 0.25 + 1e-6).all().item<bool>());
    CHECK_THROWS_AS(ops::project(v, p, -1.0), InvalidArgument);
    CHECK_THROWS_AS(ops::project(v, p, std::nan("")), InvalidArgument);
    CHECK_THROWS_AS(ops::project(v, p, at::ones({2})), ShapeError);
  }
  CHECK_THROWS_AS(ops::project(at::ones({3}, at::kLong), Norm::L2, 1.0), TypeError);
  CHECK_THROWS_AS(ops::parse_norm("l3"), InvalidArgument);
  CHECK(ops::parse_norm("Linf") == Norm::Linf);
}

TEST_CASE("project_perturbation lands in the ball and the box", "[ops]") {
  at::Generator g = make_generator(7);
  const at::Tensor x = at::rand({16, 1, 5, 5}, g, at::kDouble);
  const at::Tensor wild = x + randn({16, 1, 5, 5}, 8);
  for (Norm p : {Norm::Linf, Norm::L2, Norm::L1}) {
    const at::Tensor r = ops::project_perturbation(wild, x, p, 0.3, Bounds{0, 1});
    CHECK(r.min().item<double>() >= 0);
    CHECK(r.max().item<double>() <= 1);
    CHECK((ops::per_sample_norm(r - x, p) <= 0.3 + 1e-9).all().item<bool>());
  }
}
