#include <bulwark/ops/projection.h>

#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>

namespace bulwark::ops {

namespace {

void check_delta(const at::Tensor& delta, const char* where) {
  BULWARK_CHECK_TYPE(delta.defined() && at::isFloatingType(delta.scalar_type()), where,
                     ": delta must be a floating-point tensor, got ",
                     delta.defined() ? c10::toString(delta.scalar_type()) : "an undefined tensor");
  BULWARK_CHECK_SHAPE(delta.dim() >= 1, where, ": delta must have shape (N, ...), got a scalar");
}

// eps as a (N, 1) column of delta's dtype and device, validated.
at::Tensor eps_column(const at::Tensor& delta, const at::Tensor& eps, const char* where) {
  BULWARK_CHECK_TYPE(eps.defined(), where, ": eps is an undefined tensor");
  const int64_t n = delta.size(0);
  BULWARK_CHECK_SHAPE(eps.dim() == 0 || (eps.dim() == 1 && eps.size(0) == n), where,
                      ": eps must be a scalar or have shape (N,) = (", n, "), got ", eps.sizes());
  if (eps.numel() > 0) {
    // One pass for NaN, Inf and the sign: min/max propagate NaN.
    const auto [lo, hi] = at::aminmax(eps.to(at::kDouble));
    const double mn = lo.item<double>(), mx = hi.item<double>();
    BULWARK_CHECK(std::isfinite(mn) && std::isfinite(mx) && mn >= 0, where,
                  ": eps must be finite and >= 0, got ",
                  eps.dim() == 0 ? detail::str(mn) : detail::str("values in [", mn, ", ", mx, "]"));
  }
  return eps.to(delta.options()).reshape({-1, 1}).expand({n, 1});
}

at::Tensor flat(const at::Tensor& delta) { return delta.reshape({delta.size(0), -1}); }

at::Tensor linf(const at::Tensor& delta, const at::Tensor& e) {
  return at::clamp(flat(delta), -e, e).view_as(delta);
}

at::Tensor l2(const at::Tensor& delta, const at::Tensor& e) {
  const at::Tensor f = flat(delta);
  const at::Tensor norms = at::linalg_vector_norm(f, 2, {1}, /*keepdim=*/true);
  // min(1, eps / ||delta||); 0/0 -> leave zero vectors alone.
  const at::Tensor scale = at::clamp_max(e / norms.clamp_min(1e-12), 1.0);
  return (f * scale).view_as(delta);
}

at::Tensor l1(const at::Tensor& delta, const at::Tensor& e) {
  const at::Tensor f = flat(delta);
  const int64_t d = f.size(1);
  if (d == 0) return delta.clone();
  const at::Tensor a = f.abs();
  const at::Tensor u = std::get<0>(a.sort(/*dim=*/1, /*descending=*/true));
  const at::Tensor css = u.cumsum(1);
  const at::Tensor j = at::arange(1, d + 1, f.options());
  // rho = number of j with u_j > (css_j - eps) / j; the condition holds on a prefix.
  const at::Tensor rho = (u * j > css - e).sum(1, /*keepdim=*/true).clamp_min(1);
  const at::Tensor theta = (css.gather(1, rho - 1) - e) / rho.to(f.scalar_type());
  at::Tensor w = at::sign(f) * at::clamp_min(a - theta, 0);
  // Rounding in the cumulative sums can leave ||w||_1 a few ulps above eps: scale it back.
  w = w * at::clamp_max(e / w.abs().sum(1, /*keepdim=*/true).clamp_min(1e-30), 1.0);
  // Inside the ball already: unchanged (also guards rounding for points on the sphere).
  const at::Tensor inside = a.sum(1, /*keepdim=*/true) <= e;
  return at::where(inside, f, w).view_as(delta);
}

const char* function_name(Norm norm) {
  switch (norm) {
    case Norm::Linf: return "project_linf";
    case Norm::L2: return "project_l2";
    case Norm::L1: return "project_l1";
  }
  BULWARK_ASSERT(false);
  return "";
}

// e: a 0-dim radius or an (N, 1) column; both broadcast in linf/l2/l1.
at::Tensor dispatch(const at::Tensor& delta, Norm norm, const at::Tensor& e) {
  switch (norm) {
    case Norm::Linf: return linf(delta, e);
    case Norm::L2: return l2(delta, e);
    case Norm::L1: return l1(delta, e);
  }
  BULWARK_ASSERT(false);
  return {};
}

}  // namespace

at::Tensor project(const at::Tensor& delta, Norm norm, double eps) {
  // Checked on the host: no device round trip on an attack's hot path.
  const char* where = function_name(norm);
  check_delta(delta, where);
  BULWARK_CHECK(std::isfinite(eps) && eps >= 0, where, ": eps must be finite and >= 0, got ", eps);
  return dispatch(delta, norm, at::scalar_tensor(eps, delta.options()));
}

at::Tensor project(const at::Tensor& delta, Norm norm, const at::Tensor& eps) {
  const char* where = function_name(norm);
  check_delta(delta, where);
  return dispatch(delta, norm, eps_column(delta, eps, where));
}

at::Tensor project_linf(const at::Tensor& delta, double eps) { return project(delta, Norm::Linf, eps); }
at::Tensor project_linf(const at::Tensor& delta, const at::Tensor& eps) {
  return project(delta, Norm::Linf, eps);
}
at::Tensor project_l2(const at::Tensor& delta, double eps) { return project(delta, Norm::L2, eps); }
at::Tensor project_l2(const at::Tensor& delta, const at::Tensor& eps) {
  return project(delta, Norm::L2, eps);
}
at::Tensor project_l1(const at::Tensor& delta, double eps) { return project(delta, Norm::L1, eps); }
at::Tensor project_l1(const at::Tensor& delta, const at::Tensor& eps) {
  return project(delta, Norm::L1, eps);
}

at::Tensor clip_to_box(const at::Tensor& x, const Bounds& bounds) {
  bounds.validate("clip_to_box");
  BULWARK_CHECK_TYPE(x.defined() && at::isFloatingType(x.scalar_type()),
                     "clip_to_box: x must be a floating-point tensor");
  const bool lo = std::isfinite(bounds.lower), hi = std::isfinite(bounds.upper);
  if (lo && hi) return at::clamp(x, bounds.lower, bounds.upper);
  if (lo) return at::clamp_min(x, bounds.lower);
  if (hi) return at::clamp_max(x, bounds.upper);
  return x.clone();
}

at::Tensor project_perturbation(const at::Tensor& x_adv, const at::Tensor& x, Norm norm,
                                double eps, const Bounds& bounds) {
  BULWARK_CHECK_SHAPE(x_adv.sizes().equals(x.sizes()), "project_perturbation: x_adv has shape ",
                      x_adv.sizes(), " but x has shape ", x.sizes());
  return clip_to_box(x + project(x_adv - x, norm, eps), bounds);
}

}  // namespace bulwark::ops
