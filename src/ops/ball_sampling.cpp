#include <bulwark/ops/ball_sampling.h>

#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>

namespace bulwark::ops {

at::Tensor random_in_ball(const at::Tensor& like, Norm norm, double eps, at::Generator& gen) {
  BULWARK_CHECK_TYPE(like.defined() && at::isFloatingType(like.scalar_type()),
                     "random_in_ball: like must be a floating-point tensor");
  BULWARK_CHECK_SHAPE(like.dim() >= 1, "random_in_ball: like must have shape (N, ...)");
  BULWARK_CHECK(std::isfinite(eps) && eps >= 0, "random_in_ball: eps must be finite and >= 0, got ",
                eps);
  BULWARK_CHECK(gen.device() == like.device(), "random_in_ball: the generator is on ",
                gen.device(), " but like is on ", like.device());
  // Sample in float32 at least (half-precision samplers are not available everywhere).
  const auto dtype = like.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  const auto opts = like.options().dtype(dtype);
  const int64_t n = like.size(0);
  const int64_t d = n == 0 ? 0 : like.numel() / n;
  at::Tensor out;
  if (norm == Norm::Linf) {
    out = at::empty({n, d}, opts).uniform_(-eps, eps, gen);
  } else {
    const double p = norm == Norm::L2 ? 2.0 : 1.0;
    at::Tensor g;
    if (norm == Norm::L2) {
      g = at::empty({n, d}, opts).normal_(0.0, std::sqrt(0.5), gen);  // density ∝ exp(-t^2)
    } else {
      const at::Tensor sign = at::empty({n, d}, opts).bernoulli_(0.5, gen).mul_(2).sub_(1);
      g = at::empty({n, d}, opts).exponential_(1.0, gen).mul_(sign);  // density ∝ exp(-|t|)
    }
    const at::Tensor e = at::empty({n, 1}, opts).exponential_(1.0, gen);
    const at::Tensor denom = at::pow(g.abs().pow(p).sum(1, /*keepdim=*/true) + e, 1.0 / p);
    out = g.div_(denom).mul_(eps);
  }
  return out.to(like.scalar_type()).view(like.sizes());
}

}  // namespace bulwark::ops
