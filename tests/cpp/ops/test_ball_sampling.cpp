// Uniform sampling in Lp balls: inside the ball, radius law r^d, symmetric, seeded.
#include <catch2/catch.hpp>

#include <ATen/ATen.h>

#include <bulwark/core/random.h>
#include <bulwark/ops/ball_sampling.h>

using namespace bulwark;
using ops::Norm;

TEST_CASE("random_in_ball is uniform in the ball", "[ops]") {
  const int64_t n = 20000, d = 3;
  const at::Tensor like = at::zeros({n, d}, at::kDouble);
  for (Norm p : {Norm::Linf, Norm::L2, Norm::L1}) {
    at::Generator g = make_generator(11);
    const at::Tensor s = ops::random_in_ball(like, p, 2.0, g);
    const at::Tensor r = ops::per_sample_norm(s, p) / 2.0;
    CHECK(r.max().item<double>() <= 1.0 + 1e-12);
    // For the uniform law on a d-dim ball of any norm, P(||x|| <= t) = t^d: r^d ~ U(0, 1).
    const at::Tensor u = r.pow(d);
    const at::Tensor sorted = std::get<0>(u.sort());
    const at::Tensor ecdf = at::arange(1, n + 1, at::kDouble) / n;
    const double ks = (sorted - ecdf).abs().max().item<double>();
    CHECK(ks < 1.63 / std::sqrt(static_cast<double>(n)));  // KS at the 1% level
    // Symmetric coordinates: means near 0 (sd of a coordinate <= 2, 5 sigma).
    CHECK(s.mean(0).abs().max().item<double>() < 5 * 2.0 / std::sqrt(static_cast<double>(n)));
    // Linf: each coordinate uniform, so the max-abs coordinate is not L2/L1 shaped.
  }
}

TEST_CASE("random_in_ball: same seed same bytes, other seed other samples", "[ops]") {
  const at::Tensor like = at::zeros({4, 1, 3, 3});
  for (Norm p : {Norm::Linf, Norm::L2, Norm::L1}) {
    at::Generator a = make_generator(5), b = make_generator(5), c = make_generator(6);
    const at::Tensor sa = ops::random_in_ball(like, p, 0.5, a);
    const at::Tensor sb = ops::random_in_ball(like, p, 0.5, b);
    const at::Tensor sc = ops::random_in_ball(like, p, 0.5, c);
    CHECK(at::equal(sa, sb));
    CHECK(!at::equal(sa, sc));
    CHECK(sa.sizes() == like.sizes());
    CHECK(sa.scalar_type() == at::kFloat);
  }
}

TEST_CASE("derive_seed gives distinct streams", "[random]") {
  CHECK(derive_seed(0, 0) != derive_seed(0, 1));
  CHECK(derive_seed(0, 0) != derive_seed(1, 0));
  CHECK(derive_seed(42, 7) == derive_seed(42, 7));
}
