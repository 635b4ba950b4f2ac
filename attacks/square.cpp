#include <bulwark/attacks/square.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/random.h>
#include <bulwark/ops/projection.h>

namespace bulwark::attacks {

namespace impl {

double square_p(double p_init, int64_t it, int64_t queries, bool rescale) {
  if (rescale) it = static_cast<int64_t>(static_cast<double>(it) / static_cast<double>(queries) * 10000);
  static constexpr int64_t kEdges[] = {10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000};
  double p = p_init;
  for (int64_t edge : kEdges) {
    if (it > edge) p /= 2;
  }
  return p;
}

namespace {
// Centred rectangles of weight 1 / (r + 1)^2 (the paper's M(r, s) blocks), unit L2 norm.
at::Tensor rectangles(int64_t rows, int64_t cols) {
  at::Tensor d = at::zeros({rows, cols}, at::kDouble);
  int64_t r0 = rows / 2, c0 = cols / 2;  // x_c - 1, y_c - 1 in the paper's code
  for (int64_t k = 0; k < std::max(rows / 2 + 1, cols / 2 + 1); ++k, --r0, --c0) {
    const int64_t r_lo = std::max<int64_t>(r0, 0), r_hi = std::min(r0 + 2 * k + 1, rows);
    const int64_t c_lo = std::max<int64_t>(c0, 0), c_hi = std::min(c0 + 2 * k + 1, cols);
    if (r_hi > r_lo && c_hi > c_lo) {
      d.narrow(0, r_lo, r_hi - r_lo).narrow(1, c_lo, c_hi - c_lo).add_(1.0 / double((k + 1) * (k + 1)));
    }
  }
  return d / d.pow(2).sum().sqrt();
}
}  // namespace

at::Tensor square_l2_pattern(int64_t s) {
  at::Tensor d = at::zeros({s, s}, at::kDouble);
  d.narrow(0, 0, s / 2).copy_(rectangles(s / 2, s));
  d.narrow(0, s / 2, s - s / 2).copy_(-rectangles(s - s / 2, s));
  return d / d.pow(2).sum().sqrt();
}

}  // namespace impl

namespace {

// (N, ...) -> (N, C, H, W) view for the windows.
at::Tensor as_image(const at::Tensor& x, ops::Norm norm) {
  const int64_t dims = x.dim() - 1;
  BULWARK_CHECK_SHAPE(dims >= 1 && dims <= 3, "Square: x must have shape (N, C, H, W), (N, H, W) or "
                      "(N, D), got ", x.sizes());
  if (dims == 3) return x;
  if (dims == 2) return x.unsqueeze(1);
  BULWARK_CHECK_SHAPE(norm == ops::Norm::Linf, "Square: norm='l2' needs images (N, C, H, W) or "
                      "(N, H, W), got shape ", x.sizes());
  return x.view({x.size(0), 1, 1, x.size(1)});
}

// Per-sample window masks (n, 1, H, W) of size sh x sw at random corners in [0, H - sh) etc.
// (exclusive, as the authors' code).
at::Tensor random_windows(int64_t n, int64_t h, int64_t w, int64_t sh, int64_t sw,
                          at::Generator& gen, const at::TensorOptions& opts) {
  const auto lopts = opts.dtype(at::kLong);
  const at::Tensor vh = at::randint(0, std::max<int64_t>(h - sh, 1), {n}, gen, lopts).view({n, 1, 1, 1});
  const at::Tensor vw = at::randint(0, std::max<int64_t>(w - sw, 1), {n}, gen, lopts).view({n, 1, 1, 1});
  const at::Tensor hh = at::arange(h, lopts).view({1, 1, h, 1});
  const at::Tensor ww = at::arange(w, lopts).view({1, 1, 1, w});
  return (hh >= vh) & (hh < vh + sh) & (ww >= vw) & (ww < vw + sw);
}

at::Tensor random_signs(at::IntArrayRef shape, at::Generator& gen, const at::TensorOptions& opts) {
  return at::rand(shape, gen, opts).lt(0.5).to(opts.dtype()) * 2 - 1;
}

}  // namespace

Square::Square(SquareOptions options) : AttackWithOptions(options) {
  const auto& o = options_;
  impl::check_eps(o.eps, "Square");
  impl::check_norm(o.norm, "Square", /*allow_l1=*/false);
  BULWARK_CHECK(o.queries <= impl::kMaxCount, "Square: queries must be <= ", impl::kMaxCount, ", got ", o.queries);
  BULWARK_CHECK(o.queries >= 2, "Square: queries must be >= 2 (the clean check and the start), got ",
                o.queries);
  BULWARK_CHECK(o.p_init > 0 && o.p_init <= 1, "Square: p_init must be in (0, 1], got ", o.p_init);
  BULWARK_CHECK(o.loss != losses::Loss::DLR, "Square: loss must be 'margin' or 'ce', got 'dlr'");
  if (!options_.seed) options_.seed = default_seed();
}

at::Tensor Square::perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) {
  at::Tensor open;
  {
    at::NoGradGuard no_grad;
    open = ~goal_reached(model.predict(x), y, options_.targeted);
  }
  const at::Tensor rows = open.nonzero().squeeze(1);
  at::Tensor out = x.clone();
  if (rows.numel() > 0) {
    out.index_copy_(0, rows, search(model, x.index_select(0, rows), y.index_select(0, rows)));
  }
  return out;
}

at::Tensor Square::search(Classifier& model, const at::Tensor& x_in, const at::Tensor& y) const {
  const auto& o = options_;
  const Bounds& box = model.bounds();
  const at::Tensor x = as_image(x_in, o.norm);
  const int64_t c = x.size(1), h = x.size(2), w = x.size(3), features = c * h * w;
  BULWARK_CHECK_SHAPE(o.norm == ops::Norm::Linf || (h >= 5 && w >= 5),
                      "Square: norm='l2' needs images of at least 5 x 5, got ", x_in.sizes());
  const auto opts = x.options();
  at::Generator gen = make_generator(*o.seed, x.device());

  // margin > 0 until the goal is reached; `loss` is what the search decreases.
  auto margin_and_loss = [&](const at::Tensor& xs, const at::Tensor& ys) {
    at::NoGradGuard no_grad;
    std::vector<int64_t> shape = x_in.sizes().vec();
    shape[0] = xs.size(0);
    const at::Tensor z = model.logits(xs.reshape(shape));
    const at::Tensor m = losses::margin(z, ys);  // max_{j != y} z_j - z_y
    const at::Tensor margin = o.targeted ? m : -m;
    at::Tensor loss = margin;
    if (o.loss == losses::Loss::CrossEntropy) {
      const at::Tensor ce = losses::cross_entropy(z, ys);
      loss = o.targeted ? ce : -ce;
    }
    return std::make_pair(margin.to(at::kDouble), loss.to(at::kDouble));
  };

  at::Tensor x_best;
  if (o.norm == ops::Norm::Linf) {
    x_best = ops::clip_to_box(x + o.eps * random_signs({x.size(0), c, 1, w}, gen, opts), box);
  } else {
    // A grid of windows of side h / 5 with random-sign patterns, rescaled to norm eps.
    at::Tensor delta = at::zeros_like(x);
    const int64_t s = h / 5, start = (h - s * 5) / 2;
    for (int64_t vh = start, i = 0; i < h / s; ++i, vh += s) {
      for (int64_t vw = start, j = 0; j < w / s; ++j, vw += s) {
        if (vh + s > h || vw + s > w) continue;
        at::Tensor eta = impl::square_l2_pattern(s).to(opts);
        if (at::rand({1}, gen, opts).item<double>() > 0.5) eta = eta.t();
        delta.narrow(2, vh, s).narrow(3, vw, s).add_(eta.view({1, 1, s, s}) *
                                                     random_signs({x.size(0), c, 1, 1}, gen, opts));
      }
    }
    const at::Tensor dn = ops::per_sample_view(ops::per_sample_norm(delta, ops::Norm::L2), delta);
    x_best = ops::clip_to_box(x + delta / (dn + 1e-12) * o.eps, box);
  }
  auto [margin_min, loss_min] = margin_and_loss(x_best, y);
  const at::Tensor lower = o.norm == ops::Norm::Linf ? ops::clip_to_box(x - o.eps, box) : at::Tensor();
  const at::Tensor upper = o.norm == ops::Norm::Linf ? ops::clip_to_box(x + o.eps, box) : at::Tensor();

  // The clean check and the start spent two queries.
  for (int64_t it = 0; it + 2 < o.queries; ++it) {
    const at::Tensor idx = margin_min.gt(0).nonzero().squeeze(1);
    const int64_t n = idx.size(0);
    if (n == 0) break;
    const at::Tensor x_curr = x.index_select(0, idx);
    const at::Tensor best_curr = x_best.index_select(0, idx);
    const at::Tensor y_curr = y.index_select(0, idx);
    const double p = impl::square_p(o.p_init, it, o.queries, o.rescale_schedule);
    at::Tensor x_new;
    if (o.norm == ops::Norm::Linf) {
      int64_t sh, sw;
      if (h == 1) {  // vectors: segments of p * D coordinates
        sh = 1;
        sw = std::max<int64_t>(std::llround(p * static_cast<double>(w)), 1);
      } else {
        sh = sw = std::min({std::max<int64_t>(std::llround(std::sqrt(p * features / c)), 1), h, w});
      }
      const at::Tensor window = random_windows(n, h, w, sh, sw, gen, opts);
      const at::Tensor step = 2 * o.eps * random_signs({n, c, 1, 1}, gen, opts);
      x_new = (best_curr + window * step)
                  .clamp_(lower.index_select(0, idx), upper.index_select(0, idx));
    } else {
      int64_t s = std::max<int64_t>(std::llround(std::sqrt(p * features / c)), 3);
      if (s % 2 == 0) ++s;
      const int64_t side = std::min(h, w);
      if (s > side) s = side % 2 == 1 ? side : side - 1;
      at::Tensor delta = best_curr - x_curr;
      const at::Tensor win1 = random_windows(n, h, w, s, s, gen, opts);
      const at::Tensor win2 = random_windows(n, h, w, s, s, gen, opts);
      const at::Tensor m1 = win1.expand_as(delta);
      const at::Tensor old = delta.masked_select(m1).view({n, c, s, s});
      const at::Tensor norm_old = old.pow(2).sum({2, 3}, true).sqrt();
      const at::Tensor norm_image = ops::per_sample_view(ops::per_sample_norm(delta, ops::Norm::L2), delta);
      const at::Tensor norm_windows = ops::per_sample_view(
          ops::per_sample_norm(delta * (win1 | win2), ops::Norm::L2), delta);
      const at::Tensor eta = impl::square_l2_pattern(s).to(opts);
      const at::Tensor flip = at::rand({n, 1, 1, 1}, gen, opts).gt(0.5);
      at::Tensor fresh = at::where(flip, eta.t(), eta) * random_signs({n, c, 1, 1}, gen, opts);
      fresh = fresh + old / (norm_old + 1e-12);
      const at::Tensor budget =
          ((o.eps * o.eps - norm_image.pow(2)).clamp_min(0) / static_cast<double>(c) +
           norm_windows.pow(2)).sqrt();
      fresh = fresh / (fresh.pow(2).sum({2, 3}, true).sqrt() + 1e-12) * budget;
      delta = delta.masked_fill(win2.expand_as(delta), 0).masked_scatter(m1, fresh.contiguous());
      const at::Tensor dn = ops::per_sample_view(ops::per_sample_norm(delta, ops::Norm::L2), delta);
      x_new = ops::clip_to_box(x_curr + delta / (dn + 1e-12) * o.eps, box);
    }
    auto [margin, loss] = margin_and_loss(x_new, y_curr);
    const at::Tensor loss_curr = loss_min.index_select(0, idx);
    at::Tensor improved = loss.lt(loss_curr);
    loss_min.index_copy_(0, idx, at::where(improved, loss, loss_curr));
    improved = improved | margin.le(0);
    margin_min.index_copy_(0, idx, at::where(improved, margin, margin_min.index_select(0, idx)));
    x_best.index_copy_(0, idx, at::where(ops::per_sample_view(improved, x_new), x_new, best_curr));
  }
  return x_best.view(x_in.sizes());
}

std::string Square::repr() const {
  const auto& o = options_;
  return detail::str("Square(eps=", o.eps, ", norm='", ops::to_string(o.norm), "', queries=",
                     o.queries, ", p_init=", o.p_init, ", rescale_schedule=",
                     o.rescale_schedule ? "True" : "False", ", loss='", losses::to_string(o.loss),
                     "', targeted=", o.targeted ? "True" : "False", ", seed=", *o.seed, ")");
}

}  // namespace bulwark::attacks
