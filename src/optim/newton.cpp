#include <bulwark/optim/newton.h>

#include <algorithm>
#include <cmath>

#include <Eigen/Dense>

#include <bulwark/core/error.h>

namespace bulwark::optim {

Result newton(const Objective& f, const Hessian& hessian, std::vector<double> x0, const NewtonOptions& o) {
  BULWARK_CHECK(o.max_iter >= 1 && o.gtol > 0 && o.rtol >= 0 && o.ridge >= 0,
                "newton: need max_iter >= 1, gtol > 0, rtol >= 0 and ridge >= 0");
  using Vec = Eigen::VectorXd;
  const Eigen::Index n = static_cast<Eigen::Index>(x0.size());
  Result r;
  r.x = std::move(x0);
  std::vector<double> grad(r.x.size()), h(r.x.size() * r.x.size()), trial(r.x.size()), trial_grad(r.x.size());
  r.value = f(r.x, grad);
  r.evaluations = 1;
  BULWARK_CHECK(std::isfinite(r.value), "newton: the objective is not finite at the start point");
  for (; r.iterations < o.max_iter; ++r.iterations) {
    const Eigen::Map<const Vec> g(grad.data(), n);
    r.grad_max = n == 0 ? 0.0 : g.cwiseAbs().maxCoeff();
    if (r.grad_max <= o.gtol) {
      r.converged = true;
      break;
    }
    hessian(r.x, h);
    Eigen::Map<Eigen::MatrixXd> hm(h.data(), n, n);  // symmetric: storage order is irrelevant
    hm.diagonal().array() += o.ridge;
    const Vec step = hm.ldlt().solve(g);
    const double decrement = g.dot(step);
    if (!std::isfinite(decrement) || decrement < 0) break;  // not positive definite: give up
    if (decrement / 2 <= o.rtol * std::max(1.0, std::abs(r.value))) {
      r.converged = true;
      break;
    }
    double s = 1, next = 0;
    for (; s > 1e-12; s *= 0.5) {
      Eigen::Map<Vec>(trial.data(), n) = Eigen::Map<const Vec>(r.x.data(), n) - s * step;
      next = f(trial, trial_grad);
      ++r.evaluations;
      if (std::isfinite(next) && next <= r.value - 1e-4 * s * decrement) break;
    }
    if (s <= 1e-12) break;  // no measurable decrease: the rounding floor
    r.x.swap(trial);
    grad.swap(trial_grad);
    r.value = next;
  }
  r.grad_max = n == 0 ? 0.0 : Eigen::Map<const Vec>(grad.data(), n).cwiseAbs().maxCoeff();
  r.converged = r.converged || r.grad_max <= o.gtol;
  return r;
}

}  // namespace bulwark::optim
