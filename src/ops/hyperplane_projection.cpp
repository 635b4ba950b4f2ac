#include <bulwark/ops/hyperplane_projection.h>

#include <cmath>

#include <ATen/ATen.h>
#include <ATen/TensorIndexing.h>

#include <bulwark/core/error.h>

namespace bulwark::ops {

namespace {

using at::indexing::Slice;

int64_t bisection_steps(int64_t n) {
  return static_cast<int64_t>(std::ceil(std::log2(static_cast<double>(std::max<int64_t>(n, 2)))));
}

// g[rows, idx] for a (M, n) tensor g, (M,) idx.
at::Tensor at_col(const at::Tensor& g, const at::Tensor& idx) {
  return g.gather(1, idx.unsqueeze(1)).squeeze(1);
}

void check(const at::Tensor& t, const at::Tensor& w, const at::Tensor& b, const char* who) {
  BULWARK_CHECK_SHAPE(t.dim() == 2 && w.sizes().equals(t.sizes()) && b.dim() == 1 &&
                          b.size(0) == t.size(0),
                      who, ": expected t, w of shape (M, n) and b of shape (M,), got ", t.sizes(),
                      ", ", w.sizes(), ", ", b.sizes());
}

}  // namespace

at::Tensor hyperplane_step_linf(const at::Tensor& t, const at::Tensor& w_in, const at::Tensor& b_in) {
  check(t, w_in, b_in, "hyperplane_step_linf");
  const int64_t n = t.size(1);
  // Orient the hyperplane so that t lies on its non-negative side.
  const at::Tensor sign = ((w_in * t).sum(1) - b_in).ge(0).to(t.scalar_type()) * 2 - 1;
  const at::Tensor w = w_in * sign.unsqueeze(1);
  at::Tensor b = b_in * sign;
  const at::Tensor a = w.lt(0).to(t.scalar_type());       // the box corner w points away from
  const at::Tensor nonzero = w.ne(0).to(t.scalar_type());
  at::Tensor d = (a - t) * nonzero;                      // the step to that corner
  const at::Tensor p = a - t * (2 * a - 1);               // each coordinate's distance to it
  const at::Tensor indp = p.argsort(/*dim=*/int64_t{1}, /*descending=*/false);
  b = b - (w * t).sum(1);
  const at::Tensor b0 = (w * d).sum(1);
  const at::Tensor indp2 = indp.flip({1});
  const at::Tensor ws = w.gather(1, indp2);
  const at::Tensor bs2 = -ws * d.gather(1, indp2);
  const at::Tensor s = ws.abs().cumsum(1);
  const at::Tensor sb = bs2.cumsum(1) + b0.unsqueeze(1);
  const at::Tensor b2 = sb.select(1, n - 1) - s.select(1, n - 1) * at_col(p, indp.select(1, 0));
  const at::Tensor c_l = (b - b2).gt(0);
  const at::Tensor c2 = (b - b0).gt(0) & (b - b2).le(0);

  if (c_l.any().item<bool>()) {
    const at::Tensor lmbd =
        ((b.index({c_l}) - sb.index({c_l}).select(1, n - 1)) / (-s.index({c_l}).select(1, n - 1)))
            .clamp_min(0)
            .unsqueeze(1);
    d.index_put_({c_l}, (2 * a.index({c_l}) - 1) * lmbd);
  }
  if (c2.any().item<bool>()) {
    const at::Tensor indp_ = indp.index({c2}), sb_ = sb.index({c2}), s_ = s.index({c2});
    const at::Tensor p_ = p.index({c2}), b_ = b.index({c2});
    at::Tensor lb = at::zeros({b_.size(0)}, t.options());
    at::Tensor ub = at::full({b_.size(0)}, static_cast<double>(n - 1), t.options());
    for (int64_t it = 0, steps = bisection_steps(n); it < steps; ++it) {
      const at::Tensor mid = ((lb + ub) / 2).floor();
      const at::Tensor col = mid.to(at::kLong);
      const at::Tensor indcurr = at_col(indp_, (n - 1) - col);
      const at::Tensor bb = at_col(sb_, col) - at_col(s_, col) * at_col(p_, indcurr);
      const at::Tensor c = (b_ - bb).gt(0);
      lb = at::where(c, mid, lb);
      ub = at::where(c, ub, mid);
    }
    const at::Tensor col = lb.to(at::kLong);
    const at::Tensor lmbd = ((b_ - at_col(sb_, col)) / (-at_col(s_, col))).clamp_min(0).unsqueeze(1);
    const at::Tensor a_ = a.index({c2}), d_ = d.index({c2});
    d.index_put_({c2}, at::minimum(lmbd, d_) * a_ + at::maximum(-lmbd, d_) * (1 - a_));
  }
  return d * nonzero;
}

at::Tensor hyperplane_step_l2(const at::Tensor& t, const at::Tensor& w_in, const at::Tensor& b) {
  check(t, w_in, b, "hyperplane_step_l2");
  const int64_t n = t.size(1);
  at::Tensor c = (w_in * t).sum(1) - b;
  const at::Tensor flip = c.lt(0);
  const at::Tensor w = at::where(flip.unsqueeze(1), -w_in, w_in);
  c = c.abs();
  const at::Tensor tiny = w.abs().lt(1e-8);
  // Breakpoints: where each coordinate of t - lambda w hits the box.
  at::Tensor r = at::maximum(t / w, (t - 1) / w).clamp(-1e12, 1e12);
  r = r.masked_fill(tiny, 1e12);
  r = at::where(r.eq(-1e12), -r, r);
  auto [rs, indr] = r.sort(1);
  at::Tensor rs2 = at::constant_pad_nd(rs.index({Slice(), Slice(1, at::indexing::None)}), {0, 1});
  rs = rs.masked_fill(rs.eq(1e12), 0);
  rs2 = rs2.masked_fill(rs2.eq(1e12), 0);
  const at::Tensor w3s = (w * w).gather(1, indr);
  const at::Tensor w5 = w3s.sum(1, /*keepdim=*/true);
  const at::Tensor ws = w5 - w3s.cumsum(1);
  at::Tensor d = -(r * w) * (~tiny).to(t.scalar_type());
  const at::Tensor rs0 = rs.select(1, 0);
  const at::Tensor s = at::cat({(-w5.squeeze(1) * rs0).unsqueeze(1),
                                ((rs - rs2) * ws).cumsum(1) - w5 * rs0.unsqueeze(1)},
                               1);
  const at::Tensor c4 = (s.select(1, 0) + c).lt(0);
  const at::Tensor c3 = ((d * w).sum(1) + c).gt(0);
  const at::Tensor c2 = ~c4 & ~c3;

  if (c4.any().item<bool>()) {
    const at::Tensor alpha = c.index({c4}) / w5.index({c4}).squeeze(1);
    d.index_put_({c4}, -alpha.unsqueeze(1) * w.index({c4}));
  }
  if (c2.any().item<bool>()) {
    const at::Tensor s_ = s.index({c2}), c_ = c.index({c2});
    at::Tensor lb = at::zeros({c_.size(0)}, t.options());
    at::Tensor ub = at::full({c_.size(0)}, static_cast<double>(n - 1), t.options());
    for (int64_t it = 0, steps = bisection_steps(n); it < steps; ++it) {
      const at::Tensor mid = ((lb + ub) / 2).floor();
      const at::Tensor cc = (at_col(s_, mid.to(at::kLong)) + c_).gt(0);
      lb = at::where(cc, mid, lb);
      ub = at::where(cc, ub, mid);
    }
    const at::Tensor col = lb.to(at::kLong);
    const at::Tensor ws_ = at_col(ws.index({c2}), col);
    at::Tensor alpha = (at_col(s_, col) + c_) / ws_ + at_col(rs.index({c2}), col);
    alpha = alpha.masked_fill(ws_.eq(0), 0);
    const at::Tensor c5 = (alpha.unsqueeze(1) > r.index({c2})).to(t.scalar_type());
    d.index_put_({c2}, d.index({c2}) * c5 - alpha.unsqueeze(1) * w.index({c2}) * (1 - c5));
  }
  return d * (~tiny).to(t.scalar_type());
}

}  // namespace bulwark::ops
