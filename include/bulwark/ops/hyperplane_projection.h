#pragma once
// Minimal-norm steps onto a hyperplane inside the unit box, the inner problem of FAB
// (Croce & Hein 2020, "Minimally distorted adversarial examples with a fast adaptive boundary
// attack", Sec. 3.1): for each row, the d of least Lp norm with <w, t + d> = b and
// t + d in [0, 1]^n, found exactly by sorting the breakpoints and a bisection, O(n log n).
// Where the hyperplane cannot be reached inside the box, d is the box corner (Linf) or the
// box point that gets closest. t, w: (M, n); b: (M,). Returns d: (M, n).

#include <ATen/core/Tensor.h>

namespace bulwark::ops {

at::Tensor hyperplane_step_linf(const at::Tensor& t, const at::Tensor& w, const at::Tensor& b);
at::Tensor hyperplane_step_l2(const at::Tensor& t, const at::Tensor& w, const at::Tensor& b);

}  // namespace bulwark::ops
