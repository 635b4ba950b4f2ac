#pragma once
// The L-inf update steps of the gradient attacks, fused: one pass over memory instead of the
// four or five a chain of tensor ops takes (OpenMP on contiguous CPU float/double tensors;
// the same arithmetic as tensor ops elsewhere, e.g. on CUDA). lower/upper are the eps-ball
// intersected with the box, per coordinate, shaped like x.

#include <ATen/core/Tensor.h>

namespace bulwark::ops {

// clamp(x + alpha * sign(g), lower, upper)  (PGD, Madry et al. 2018).
at::Tensor linf_sign_step(const at::Tensor& x, const at::Tensor& g, double alpha,
                          const at::Tensor& lower, const at::Tensor& upper);

// APGD's step with momentum (Croce & Hein 2020, Eq. 2), per-sample step sizes (N,):
// z = clamp(x + step * sign(g)); clamp(x + a (z - x) + (1 - a)(x - x_prev)).
at::Tensor linf_momentum_step(const at::Tensor& x, const at::Tensor& x_prev, const at::Tensor& g,
                              const at::Tensor& step, double a, const at::Tensor& lower,
                              const at::Tensor& upper);

}  // namespace bulwark::ops
