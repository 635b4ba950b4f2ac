#include <bulwark/calibration/binning_calibrators.h>

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/calibration/temperature_scaling.h>
#include <bulwark/core/error.h>
#include <bulwark/core/json.h>
#include <bulwark/core/probabilities.h>

namespace bulwark::calibration {

namespace {

// Probabilities (N, K) double on the CPU from checked scores.
at::Tensor probabilities(const at::Tensor& scores, bool logits) {
  const at::Tensor s = scores.to(at::kCPU, at::kDouble);
  return logits ? at::softmax(s, 1) : s;
}

at::Tensor renormalise(const at::Tensor& q) {
  const at::Tensor sum = q.sum(1, true);
  const at::Tensor uniform = at::full_like(q, 1.0 / static_cast<double>(q.size(1)));
  return at::where(sum > 0, q / sum.clamp_min(1e-300), uniform);
}

// Equal-width bin of a value in [0, 1]: (b/B, (b+1)/B], the first also holding 0.
inline int64_t bin_of(double v, int64_t bins) {
  return std::clamp<int64_t>(static_cast<int64_t>(std::ceil(v * static_cast<double>(bins))) - 1, 0, bins - 1);
}

std::vector<double> bin_frequencies(const double* v, const double* hit, int64_t n, int64_t stride,
                                    int64_t bins) {
  std::vector<double> count(bins, 0.0), sum(bins, 0.0), out(bins);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t b = bin_of(v[i * stride], bins);
    count[b] += 1;
    sum[b] += hit[i];
  }
  for (int64_t b = 0; b < bins; ++b) {
    out[b] = count[b] > 0 ? sum[b] / count[b] : (static_cast<double>(b) + 0.5) / static_cast<double>(bins);
  }
  return out;
}

double interpolate(const std::vector<double>& xs, const std::vector<double>& ys, double x) {
  if (x <= xs.front()) return ys.front();
  if (x >= xs.back()) return ys.back();
  const auto it = std::upper_bound(xs.begin(), xs.end(), x);
  const size_t hi = static_cast<size_t>(it - xs.begin()), lo = hi - 1;
  const double t = (x - xs[lo]) / (xs[hi] - xs[lo]);
  return ys[lo] + t * (ys[hi] - ys[lo]);
}

}  // namespace

std::pair<std::vector<double>, std::vector<double>> isotonic_fit(const at::Tensor& x_in,
                                                                 const at::Tensor& y_in) {
  const at::Tensor x = x_in.to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor y = y_in.to(at::kCPU, at::kDouble).contiguous();
  BULWARK_CHECK_SHAPE(x.dim() == 1 && x.sizes().equals(y.sizes()) && x.numel() >= 1,
                      "isotonic_fit: x and y must be (n,) with n >= 1");
  const at::Tensor order = std::get<1>(x.sort(/*stable=*/true, 0, false));
  const double* px = x.data_ptr<double>();
  const double* py = y.data_ptr<double>();
  const int64_t* po = order.data_ptr<int64_t>();
  // Merge equal x first (mean y, weight = count), then pool adjacent violators. x within
  // 1e-15 of the previous distinct value (float64's decimal resolution, as scikit-learn's
  // _make_unique) counts as equal: such differences are rounding noise.
  std::vector<double> kx, mean, weight;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double xv = px[po[i]], yv = py[po[i]];
    if (!kx.empty() && xv - kx.back() < 1e-15) {
      mean.back() = (mean.back() * weight.back() + yv) / (weight.back() + 1);
      weight.back() += 1;
    } else {
      kx.push_back(xv);
      mean.push_back(yv);
      weight.push_back(1);
    }
  }
  // Blocks as [start, end) over the knots with their mean and weight.
  std::vector<size_t> start;
  std::vector<double> bm, bw;
  for (size_t i = 0; i < kx.size(); ++i) {
    start.push_back(i);
    bm.push_back(mean[i]);
    bw.push_back(weight[i]);
    while (bm.size() >= 2 && bm[bm.size() - 2] > bm.back()) {
      const double w = bw[bw.size() - 2] + bw.back();
      const double m = (bm[bm.size() - 2] * bw[bw.size() - 2] + bm.back() * bw.back()) / w;
      bm.pop_back();
      bw.pop_back();
      start.pop_back();
      bm.back() = m;
      bw.back() = w;
    }
  }
  std::vector<double> fitted(kx.size());
  for (size_t b = 0; b < start.size(); ++b) {
    const size_t end = b + 1 < start.size() ? start[b + 1] : kx.size();
    for (size_t i = start[b]; i < end; ++i) fitted[i] = bm[b];
  }
  return {kx, fitted};
}

HistogramBinning::HistogramBinning(int64_t bins, bool classwise, bool logits)
    : bins_(bins), classwise_(classwise), logits_(logits) {
  BULWARK_CHECK(bins >= 1, "HistogramBinning: bins must be >= 1, got ", bins);
}

void HistogramBinning::fit_impl(const at::Tensor& scores, const at::Tensor& labels) {
  const at::Tensor p = probabilities(scores, logits_);
  const at::Tensor y = labels.to(at::kCPU);
  const int64_t n = p.size(0);
  values_.clear();
  if (classwise_) {
    for (int64_t k = 0; k < p.size(1); ++k) {
      const at::Tensor col = p.select(1, k).contiguous();
      const at::Tensor hit = y.eq(k).to(at::kDouble).contiguous();
      values_.push_back(bin_frequencies(col.data_ptr<double>(), hit.data_ptr<double>(), n, 1, bins_));
    }
  } else {
    const auto [conf, arg] = p.max(1);
    const at::Tensor c = conf.contiguous();
    const at::Tensor hit = arg.eq(y).to(at::kDouble).contiguous();
    values_.push_back(bin_frequencies(c.data_ptr<double>(), hit.data_ptr<double>(), n, 1, bins_));
  }
}

at::Tensor HistogramBinning::predict_proba_impl(const at::Tensor& scores) const {
  const at::Tensor p = probabilities(scores, logits_);
  at::Tensor out = p.clone();
  const int64_t n = p.size(0);
  auto acc = out.accessor<double, 2>();
  const auto src = p.accessor<double, 2>();
  for (int64_t i = 0; i < n; ++i) {
    if (classwise_) {
      for (int64_t k = 0; k < k_; ++k) acc[i][k] = values_[k][bin_of(src[i][k], bins_)];
    } else {
      int64_t arg = 0;
      for (int64_t k = 1; k < k_; ++k) if (src[i][k] > src[i][arg]) arg = k;
      const double top = src[i][arg], cal = values_[0][bin_of(top, bins_)];
      const double rest = 1 - top;
      for (int64_t k = 0; k < k_; ++k) {
        acc[i][k] = k == arg ? cal
                             : (rest > 0 ? src[i][k] / rest * (1 - cal)
                                         : (1 - cal) / static_cast<double>(k_ - 1));
      }
    }
  }
  return classwise_ ? renormalise(out) : out;
}

at::Tensor HistogramBinning::bin_values() const {
  BULWARK_CHECK_AS(NotFittedError, fitted(), "HistogramBinning.bin_values: call fit() first");
  at::Tensor t = at::empty({static_cast<int64_t>(values_.size()), bins_}, at::kDouble);
  for (size_t r = 0; r < values_.size(); ++r) {
    for (int64_t b = 0; b < bins_; ++b) t[static_cast<int64_t>(r)][b] = values_[r][b];
  }
  return t;
}

IsotonicCalibration::IsotonicCalibration(bool logits) : logits_(logits) {}

void IsotonicCalibration::fit_impl(const at::Tensor& scores, const at::Tensor& labels) {
  const at::Tensor p = probabilities(scores, logits_);
  const at::Tensor y = labels.to(at::kCPU);
  knots_.clear();
  values_.clear();
  for (int64_t k = 0; k < p.size(1); ++k) {
    auto [kx, fy] = isotonic_fit(p.select(1, k), y.eq(k));
    knots_.push_back(std::move(kx));
    values_.push_back(std::move(fy));
  }
}

at::Tensor IsotonicCalibration::predict_proba_impl(const at::Tensor& scores) const {
  const at::Tensor p = probabilities(scores, logits_);
  at::Tensor out = at::empty_like(p);
  auto acc = out.accessor<double, 2>();
  const auto src = p.accessor<double, 2>();
  for (int64_t i = 0; i < p.size(0); ++i) {
    for (int64_t k = 0; k < k_; ++k) acc[i][k] = interpolate(knots_[k], values_[k], src[i][k]);
  }
  return renormalise(out);
}

void HistogramBinning::write(json::Object& o) const {
  std::vector<double> flat;
  for (const auto& row : values_) flat.insert(flat.end(), row.begin(), row.end());
  o.set("bins", static_cast<double>(bins_))
      .set("classwise", classwise_)
      .set("logits", logits_)
      .set("bin_values", flat);
}

void HistogramBinning::read(const json::Object& o, const std::string& path) {
  const double bins = o.number("bins");
  BULWARK_CHECK_AS(FormatError, bins >= 1 && bins == std::floor(bins) && bins < 1e7, path,
                   ": bins must be an integer >= 1, got ", bins);
  bins_ = static_cast<int64_t>(bins);
  classwise_ = o.boolean("classwise");
  logits_ = o.boolean("logits");
  const std::vector<double> flat = o.numbers("bin_values");
  const int64_t rows = classwise_ ? k_ : 1;
  BULWARK_CHECK_AS(FormatError, static_cast<int64_t>(flat.size()) == rows * bins_, path,
                   ": bin_values must hold ", rows, " x ", bins_, " numbers, got ", flat.size());
  for (double v : flat) {
    BULWARK_CHECK_AS(FormatError, v >= 0 && v <= 1, path, ": bin_values must lie in [0, 1], got ", v);
  }
  values_.assign(static_cast<size_t>(rows), {});
  for (int64_t r = 0; r < rows; ++r) {
    values_[static_cast<size_t>(r)].assign(flat.begin() + r * bins_, flat.begin() + (r + 1) * bins_);
  }
}

void IsotonicCalibration::write(json::Object& o) const {
  std::vector<double> knots, values, counts;
  for (size_t k = 0; k < knots_.size(); ++k) {
    knots.insert(knots.end(), knots_[k].begin(), knots_[k].end());
    values.insert(values.end(), values_[k].begin(), values_[k].end());
    counts.push_back(static_cast<double>(knots_[k].size()));
  }
  o.set("logits", logits_).set("knot_counts", counts).set("knots", knots).set("values", values);
}

void IsotonicCalibration::read(const json::Object& o, const std::string& path) {
  logits_ = o.boolean("logits");
  const std::vector<double> counts = o.numbers("knot_counts"), knots = o.numbers("knots"),
                            values = o.numbers("values");
  BULWARK_CHECK_AS(FormatError, static_cast<int64_t>(counts.size()) == k_ && knots.size() == values.size(),
                   path, ": knot_counts must hold K = ", k_, " numbers and knots as many as values");
  knots_.clear();
  values_.clear();
  size_t at = 0;
  for (double c : counts) {
    BULWARK_CHECK_AS(FormatError, c >= 1 && c == std::floor(c) && at + static_cast<size_t>(c) <= knots.size(),
                     path, ": knot_counts do not match the knots");
    const auto first = static_cast<std::ptrdiff_t>(at), last = static_cast<std::ptrdiff_t>(at + static_cast<size_t>(c));
    knots_.emplace_back(knots.begin() + first, knots.begin() + last);
    values_.emplace_back(values.begin() + first, values.begin() + last);
    BULWARK_CHECK_AS(FormatError, std::is_sorted(knots_.back().begin(), knots_.back().end()) &&
                                      std::is_sorted(values_.back().begin(), values_.back().end()),
                     path, ": knots and values must be non-decreasing");
    at += static_cast<size_t>(c);
  }
  BULWARK_CHECK_AS(FormatError, at == knots.size(), path, ": knot_counts do not match the knots");
}

}  // namespace bulwark::calibration
