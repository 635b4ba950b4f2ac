#pragma once
// Newton's method with a backtracking (Armijo) line search for smooth convex objectives with
// few parameters (Nocedal & Wright, Alg. 3.1 with exact Hessians; the stopping rule on the
// Newton decrement is Boyd & Vandenberghe, Convex Optimization, Alg. 9.5). Quadratic
// convergence: the calibrators with up to a few hundred parameters reach their minimiser in
// tens of iterations where first-order methods crawl on ill-conditioned inputs.

#include <cstdint>
#include <functional>
#include <vector>

#include <bulwark/optim/lbfgs.h>

namespace bulwark::optim {

// Writes the Hessian at x into h (n x n, row-major).
using Hessian = std::function<void(const std::vector<double>& x, std::vector<double>& h)>;

struct NewtonOptions {
  int64_t max_iter = 100;
  double gtol = 1e-10;   // stop when max_i |grad_i| <= gtol ...
  double rtol = 1e-15;   // ... or when the Newton decrement g' H^-1 g / 2 <= rtol * max(1, |f|)
  double ridge = 1e-12;  // added to the Hessian's diagonal: directions f is flat along get no step
};

Result newton(const Objective& f, const Hessian& hessian, std::vector<double> x0, const NewtonOptions& options = {});

}  // namespace bulwark::optim
