#pragma once
// Uniform random points in Lp balls, for random starts.

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <bulwark/ops/norm.h>

namespace bulwark::ops {

// A tensor shaped like `like` (N, ...) (same dtype and device) whose samples are drawn
// uniformly from the Lp ball of radius eps in R^d, d = numel / N. Linf: each coordinate
// U(-eps, eps). L2 and L1: Barthe, Guedon, Mendelson & Naor 2005, Thm. 1: with G_i i.i.d.
// of density ∝ exp(-|t|^p) and E ~ Exp(1), G / (||G||_p^p + E)^(1/p) is uniform in the unit ball.
// The generator must live on like's device.
at::Tensor random_in_ball(const at::Tensor& like, Norm norm, double eps, at::Generator& gen);

}  // namespace bulwark::ops
