#pragma once
// Limited-memory BFGS (Liu & Nocedal 1989; Nocedal & Wright, Numerical Optimization, Alg. 7.5)
// with a line search satisfying the strong Wolfe conditions (Nocedal & Wright, Alg. 3.5/3.6).
// For the smooth convex fits of the calibrators (vector/matrix/Dirichlet scaling): it stops on
// the gradient's max-norm, so the result is the minimiser to a stated tolerance, not what a
// fixed number of steps happened to reach.

#include <cstdint>
#include <functional>
#include <vector>

namespace bulwark::optim {

// Returns f(x) and writes its gradient into grad (both of size n).
using Objective = std::function<double(const std::vector<double>& x, std::vector<double>& grad)>;

struct LBFGSOptions {
  int64_t history = 10;      // pairs (s, y) kept
  int64_t max_iter = 1000;
  double gtol = 1e-8;        // stop when max_i |grad_i| <= gtol
  double ftol = 0;           // ... or when f's relative decrease in one iteration is below (0: off)
  double c1 = 1e-4, c2 = 0.9;  // Wolfe constants
};

struct Result {
  std::vector<double> x;
  double value = 0;
  double grad_max = 0;  // max |grad| at x
  int64_t iterations = 0;
  int64_t evaluations = 0;
  bool converged = false;  // a stopping tolerance was met (not max_iter; a line search that
                           // finds no decrease, i.e. f's rounding floor, leaves it false)
};

Result lbfgs(const Objective& f, std::vector<double> x0, const LBFGSOptions& options = {});

}  // namespace bulwark::optim
