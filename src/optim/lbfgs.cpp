#include <bulwark/optim/lbfgs.h>

#include <algorithm>
#include <cmath>
#include <deque>

#include <Eigen/Core>

#include <bulwark/core/error.h>

namespace bulwark::optim {

namespace {

using Vec = Eigen::VectorXd;

struct Point {
  double step = 0, value = 0, slope = 0;  // phi(step), phi'(step)
  std::vector<double> x, grad;
};

// phi(a) = f(x + a d): the line search's view of the objective.
class Line {
 public:
  Line(const Objective& f, const Vec& x, const Vec& d, int64_t& evaluations)
      : f_(f), x_(x), d_(d), evaluations_(evaluations) {}
  Point at(double a) const {
    Point p;
    p.step = a;
    p.x.resize(static_cast<size_t>(x_.size()));
    Eigen::Map<Vec>(p.x.data(), x_.size()) = x_ + a * d_;
    p.grad.resize(p.x.size());
    p.value = f_(p.x, p.grad);
    p.slope = Eigen::Map<const Vec>(p.grad.data(), x_.size()).dot(d_);
    ++evaluations_;
    return p;
  }

 private:
  const Objective& f_;
  const Vec& x_;
  const Vec& d_;
  int64_t& evaluations_;
};

// Nocedal & Wright Alg. 3.6: shrink [lo, hi] (lo satisfies sufficient decrease) by safeguarded
// quadratic interpolation until a point satisfies both Wolfe conditions.
bool zoom(const Line& line, const Point& start, Point lo, Point hi, const LBFGSOptions& o, Point& out) {
  for (int k = 0; k < 60; ++k) {
    const double w = hi.step - lo.step;
    const double denom = 2 * (hi.value - lo.value - lo.slope * w);
    double a = denom > 0 ? lo.step - lo.slope * w * w / denom : lo.step + 0.5 * w;
    const double a_min = std::min(lo.step, hi.step) + 0.1 * std::abs(w);
    const double a_max = std::max(lo.step, hi.step) - 0.1 * std::abs(w);
    if (!(a >= a_min && a <= a_max)) a = lo.step + 0.5 * w;
    Point p = line.at(a);
    if (p.value > start.value + o.c1 * a * start.slope || p.value >= lo.value) {
      hi = std::move(p);
    } else {
      if (std::abs(p.slope) <= -o.c2 * start.slope) {
        out = std::move(p);
        return true;
      }
      if (p.slope * (hi.step - lo.step) >= 0) hi = lo;
      lo = std::move(p);
    }
    if (std::abs(hi.step - lo.step) < 1e-16 * std::max(1.0, lo.step)) break;
  }
  // Interval exhausted: accept lo when it decreased f at all (it satisfies sufficient decrease).
  if (lo.step > 0) {
    out = std::move(lo);
    return true;
  }
  return false;
}

// Nocedal & Wright Alg. 3.5: expand the step until it brackets a strong-Wolfe point.
bool line_search(const Line& line, const Point& start, double a, const LBFGSOptions& o, Point& out) {
  Point prev = start;
  for (int i = 0; i < 40; ++i) {
    Point p = line.at(a);
    if (!std::isfinite(p.value)) {  // overshot into overflow: step back
      a = 0.5 * (prev.step + a);
      continue;
    }
    if (p.value > start.value + o.c1 * a * start.slope || (i > 0 && p.value >= prev.value)) {
      return zoom(line, start, prev, p, o, out);
    }
    if (std::abs(p.slope) <= -o.c2 * start.slope) {
      out = std::move(p);
      return true;
    }
    if (p.slope >= 0) return zoom(line, start, p, prev, o, out);
    prev = std::move(p);
    a *= 2;
  }
  return false;
}

}  // namespace

Result lbfgs(const Objective& f, std::vector<double> x0, const LBFGSOptions& o) {
  BULWARK_CHECK(o.history >= 1 && o.max_iter >= 1 && o.gtol > 0 && o.c1 > 0 && o.c1 < o.c2 && o.c2 < 1,
                "lbfgs: need history >= 1, max_iter >= 1, gtol > 0 and 0 < c1 < c2 < 1");
  const Eigen::Index n = static_cast<Eigen::Index>(x0.size());
  Result r;
  Point cur;
  cur.x = std::move(x0);
  cur.grad.assign(cur.x.size(), 0.0);
  cur.value = f(cur.x, cur.grad);
  r.evaluations = 1;
  BULWARK_CHECK(std::isfinite(cur.value), "lbfgs: the objective is not finite at the start point");
  std::deque<Vec> s_hist, y_hist;
  std::deque<double> rho_hist;
  auto grad_max = [n](const std::vector<double>& g) {
    return n == 0 ? 0.0 : Eigen::Map<const Vec>(g.data(), n).cwiseAbs().maxCoeff();
  };
  for (; r.iterations < o.max_iter; ++r.iterations) {
    const Eigen::Map<const Vec> g(cur.grad.data(), n);
    if (grad_max(cur.grad) <= o.gtol) {
      r.converged = true;
      break;
    }
    // Two-loop recursion: d = -H g with H0 = (s'y / y'y) I from the newest pair.
    Vec q = g;
    std::vector<double> alpha(s_hist.size());
    for (size_t i = s_hist.size(); i-- > 0;) {
      alpha[i] = rho_hist[i] * s_hist[i].dot(q);
      q -= alpha[i] * y_hist[i];
    }
    if (!s_hist.empty()) q *= s_hist.back().dot(y_hist.back()) / y_hist.back().squaredNorm();
    for (size_t i = 0; i < s_hist.size(); ++i) {
      const double beta = rho_hist[i] * y_hist[i].dot(q);
      q += (alpha[i] - beta) * s_hist[i];
    }
    Vec d = -q;
    double slope = g.dot(d);
    if (!(slope < 0)) {  // not a descent direction (numerical trouble): restart from -g
      s_hist.clear(), y_hist.clear(), rho_hist.clear();
      d = -g;
      slope = g.dot(d);
    }
    const Vec x = Eigen::Map<const Vec>(cur.x.data(), n);
    const Line line(f, x, d, r.evaluations);
    Point start;
    start.value = cur.value;
    start.slope = slope;
    const double a0 = s_hist.empty() ? std::min(1.0, 1.0 / d.cwiseAbs().maxCoeff()) : 1.0;
    Point next;
    if (!line_search(line, start, a0, o, next)) break;  // no decrease possible: at the noise floor
    const Vec s = Eigen::Map<const Vec>(next.x.data(), n) - x;
    const Vec y = Eigen::Map<const Vec>(next.grad.data(), n) - g;
    const double sy = s.dot(y);
    const double decrease = cur.value - next.value;
    const double scale = std::max({std::abs(cur.value), std::abs(next.value), 1.0});
    cur = std::move(next);
    if (sy > 1e-12 * s.norm() * y.norm()) {
      if (static_cast<int64_t>(s_hist.size()) == o.history) {
        s_hist.pop_front(), y_hist.pop_front(), rho_hist.pop_front();
      }
      s_hist.push_back(s);
      y_hist.push_back(y);
      rho_hist.push_back(1.0 / sy);
    }
    if (decrease <= o.ftol * scale) {
      r.converged = true;
      ++r.iterations;
      break;
    }
  }
  r.value = cur.value;
  r.grad_max = grad_max(cur.grad);
  r.converged = r.converged || r.grad_max <= o.gtol;
  r.x = std::move(cur.x);
  return r;
}

}  // namespace bulwark::optim
