#include <bulwark/ops/steps.h>

#include <algorithm>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <bulwark/ops/norm.h>

namespace bulwark::ops {

namespace {

bool fusable(std::initializer_list<const at::Tensor*> ts) {
  const at::Tensor& first = **ts.begin();
  if (!first.device().is_cpu()) return false;
  if (first.scalar_type() != at::kFloat && first.scalar_type() != at::kDouble) return false;
  return std::all_of(ts.begin(), ts.end(), [&](const at::Tensor* t) {
    return t->device().is_cpu() && t->scalar_type() == first.scalar_type() && t->is_contiguous() &&
           t->sizes().equals(first.sizes());
  });
}

template <typename T>
inline T sign_of(T v) {
  return static_cast<T>((v > T(0)) - (v < T(0)));
}

}  // namespace

at::Tensor linf_sign_step(const at::Tensor& x, const at::Tensor& g, double alpha,
                          const at::Tensor& lower, const at::Tensor& upper) {
  if (!fusable({&x, &g, &lower, &upper})) {
    return at::add(x, g.sign(), alpha).clamp_(lower, upper);
  }
  at::Tensor out = at::empty_like(x);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "linf_sign_step", [&] {
    const scalar_t* px = x.data_ptr<scalar_t>();
    const scalar_t* pg = g.data_ptr<scalar_t>();
    const scalar_t* lo = lower.data_ptr<scalar_t>();
    const scalar_t* hi = upper.data_ptr<scalar_t>();
    scalar_t* po = out.data_ptr<scalar_t>();
    const auto a = static_cast<scalar_t>(alpha);
    at::parallel_for(0, x.numel(), 16384, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        po[i] = std::min(std::max(px[i] + a * sign_of(pg[i]), lo[i]), hi[i]);
      }
    });
  });
  return out;
}

at::Tensor linf_momentum_step(const at::Tensor& x, const at::Tensor& x_prev, const at::Tensor& g,
                              const at::Tensor& step, double a, const at::Tensor& lower,
                              const at::Tensor& upper) {
  const at::Tensor s = step.to(x.scalar_type()).contiguous();
  if (!fusable({&x, &x_prev, &g, &lower, &upper}) || !s.device().is_cpu()) {
    const at::Tensor z = (x + per_sample_view(s, x) * g.sign()).clamp_(lower, upper);
    return (x + (z - x) * a + (x - x_prev) * (1 - a)).clamp_(lower, upper);
  }
  at::Tensor out = at::empty_like(x);
  const int64_t n = x.size(0), per = n > 0 ? x.numel() / n : 0;
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "linf_momentum_step", [&] {
    const scalar_t* px = x.data_ptr<scalar_t>();
    const scalar_t* pp = x_prev.data_ptr<scalar_t>();
    const scalar_t* pg = g.data_ptr<scalar_t>();
    const scalar_t* ps = s.data_ptr<scalar_t>();
    const scalar_t* lo = lower.data_ptr<scalar_t>();
    const scalar_t* hi = upper.data_ptr<scalar_t>();
    scalar_t* po = out.data_ptr<scalar_t>();
    const auto aa = static_cast<scalar_t>(a), bb = static_cast<scalar_t>(1 - a);
    at::parallel_for(0, x.numel(), 16384, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const scalar_t xi = px[i];
        const scalar_t z = std::min(std::max(xi + ps[i / per] * sign_of(pg[i]), lo[i]), hi[i]);
        po[i] = std::min(std::max(xi + aa * (z - xi) + bb * (xi - pp[i]), lo[i]), hi[i]);
      }
    });
  });
  return out;
}

}  // namespace bulwark::ops
