#pragma once
// Euclidean projections onto Lp balls and boxes, per sample. delta: (N, ...); eps: a scalar or
// a per-sample radius (N,). Each returns a new tensor of delta's shape, dtype and device.

#include <ATen/core/Tensor.h>

#include <bulwark/core/bounds.h>
#include <bulwark/ops/norm.h>

namespace bulwark::ops {

// argmin_{||p||_inf <= eps} ||p - delta||_2: clamp each coordinate to [-eps, eps].
at::Tensor project_linf(const at::Tensor& delta, double eps);
at::Tensor project_linf(const at::Tensor& delta, const at::Tensor& eps);

// delta * min(1, eps / ||delta||_2).
at::Tensor project_l2(const at::Tensor& delta, double eps);
at::Tensor project_l2(const at::Tensor& delta, const at::Tensor& eps);

// Onto the L1 ball by sorting, O(d log d) per sample (Duchi et al. 2008, Fig. 1).
at::Tensor project_l1(const at::Tensor& delta, double eps);
at::Tensor project_l1(const at::Tensor& delta, const at::Tensor& eps);

at::Tensor project(const at::Tensor& delta, Norm norm, double eps);
at::Tensor project(const at::Tensor& delta, Norm norm, const at::Tensor& eps);

// Clamps x into the box [bounds.lower, bounds.upper] (a no-op for unbounded sides).
at::Tensor clip_to_box(const at::Tensor& x, const Bounds& bounds);

// The usual last step of an attack: x + project(x_adv - x), then clipped to the box.
// Exact projection onto ball ∩ box for Linf; for L2/L1 the ball is projected first, then the
// box, which keeps the result feasible (the norm can only shrink under the clip).
at::Tensor project_perturbation(const at::Tensor& x_adv, const at::Tensor& x, Norm norm,
                                double eps, const Bounds& bounds);

}  // namespace bulwark::ops
