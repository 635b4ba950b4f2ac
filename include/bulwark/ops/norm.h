#pragma once
// Lp norms of perturbations: which ones bulwark knows, and per-sample norms of a batch.

#include <string>
#include <string_view>

#include <ATen/core/Tensor.h>

namespace bulwark::ops {

enum class Norm { Linf, L2, L1 };

// "linf" | "inf" | "l2" | "l1" (any case). Throws InvalidArgument naming `arg` otherwise.
Norm parse_norm(std::string_view name, const char* arg = "norm");
// "linf" | "l2" | "l1".
std::string to_string(Norm norm);

// x: (N, ...) -> (N,) the norm of each sample over all its other dimensions, x's dtype.
at::Tensor per_sample_norm(const at::Tensor& x, Norm norm);

// v: (N,) -> a view (N, 1, ..., 1) that broadcasts against like (N, ...).
at::Tensor per_sample_view(const at::Tensor& v, const at::Tensor& like);

}  // namespace bulwark::ops
