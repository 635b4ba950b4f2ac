#include <bulwark/calibration/temperature_scaling.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <bulwark/core/error.h>
#include <bulwark/core/probabilities.h>
#include <bulwark/core/json.h>
#include <bulwark/losses/classification.h>

namespace bulwark::calibration {

void check_logits(const at::Tensor& logits, const at::Tensor& labels, const char* where, bool check_values) {
  BULWARK_CHECK_TYPE(logits.defined() && at::isFloatingType(logits.scalar_type()), where,
                     ": logits must be a floating-point tensor (N, K)");
  BULWARK_CHECK_SHAPE(logits.dim() == 2 && logits.size(0) >= 1, where,
                      ": logits must have shape (N, K) with N >= 1, got ", logits.sizes());
  BULWARK_CHECK_SHAPE(logits.size(1) >= 2, where, ": logits need K >= 2 classes, got K = ",
                      logits.size(1));
  if (check_values) check_finite(logits, where, "logits");
  if (labels.defined()) losses::check_labels(labels, logits.size(0), logits.size(1), where, "labels");
}

namespace {
// For float logits the exponentials are taken in float (twice as fast; the sums stay double):
// derivatives then carry ~1e-7 relative noise, which fit() allows for in its tolerance.
template <typename T>
NLLDerivatives derivatives(const T* z, const int64_t* y, int64_t n, int64_t k, double beta) {
  // Per-chunk sums, combined in chunk order: the result does not depend on the thread count.
  const int64_t grain = 2048;
  const int64_t chunks = (n + grain - 1) / grain;
  std::vector<double> f(chunks), d1(chunks), d2(chunks);
  const T b = static_cast<T>(beta);
  at::parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double sf = 0, s1 = 0, s2 = 0;
      for (int64_t i = c * grain, end = std::min(n, (c + 1) * grain); i < end; ++i) {
        const T* row = z + i * k;
        T mx = row[0];
        for (int64_t j = 1; j < k; ++j) mx = std::max(mx, row[j]);
        double e0 = 0, e1 = 0, e2 = 0;
        for (int64_t j = 0; j < k; ++j) {
          const T d = row[j] - mx;  // <= 0; moments about the max, better conditioned
          const double w = static_cast<double>(std::exp(b * d));
          e0 += w;
          e1 += w * static_cast<double>(d);
          e2 += w * static_cast<double>(d) * static_cast<double>(d);
        }
        const double mean_d = e1 / e0;
        const double zy_d = static_cast<double>(row[y[i]] - mx);
        sf += std::log(e0) - beta * zy_d;
        s1 += mean_d - zy_d;
        s2 += std::max(0.0, e2 / e0 - mean_d * mean_d);
      }
      f[c] = sf;
      d1[c] = s1;
      d2[c] = s2;
    }
  });
  NLLDerivatives out{0, 0, 0};
  for (int64_t c = 0; c < chunks; ++c) {
    out.value += f[c];
    out.first += d1[c];
    out.second += d2[c];
  }
  const double inv = 1.0 / static_cast<double>(n);
  return {out.value * inv, out.first * inv, out.second * inv};
}
}  // namespace

NLLDerivatives nll_derivatives(const at::Tensor& logits, const at::Tensor& labels, double beta) {
  const at::Tensor z = logits.detach().to(at::kCPU).contiguous();
  const at::Tensor y = labels.to(at::kCPU, at::kLong).contiguous();
  NLLDerivatives out{};
  AT_DISPATCH_FLOATING_TYPES(z.scalar_type(), "nll_derivatives", [&] {
    out = derivatives<scalar_t>(z.data_ptr<scalar_t>(), y.data_ptr<int64_t>(), z.size(0), z.size(1), beta);
  });
  return out;
}

TemperatureScaling::TemperatureScaling(double tol, int64_t max_iter) : tol_(tol), max_iter_(max_iter) {
  BULWARK_CHECK(tol > 0 && tol < 1e-2, "TemperatureScaling: tol must be in (0, 0.01), got ", tol);
  BULWARK_CHECK(max_iter >= 1, "TemperatureScaling: max_iter must be >= 1, got ", max_iter);
}

void TemperatureScaling::fit_impl(const at::Tensor& logits, const at::Tensor& labels) {
  constexpr const char* where = "TemperatureScaling.fit";
  const at::Tensor z = logits.detach().to(at::kCPU).contiguous();
  const at::Tensor y = labels.to(at::kCPU).contiguous();
  // Constant rows: softmax(z / T) is uniform for every T, the NLL is flat, nothing to fit.
  BULWARK_CHECK((z.amax(1) - z.amin(1)).max().item<double>() > 0, where,
                ": every row of logits is constant, so the NLL is the same for every temperature "
                "(it is flat); there is no temperature to fit");
  // The bracket: f' < 0 at lo, >= 0 at hi. f'(0) = mean(mean_k z - z_y) < 0 unless the labels
  // score below average, where no finite T helps.
  double lo = 0, hi = 1;
  NLLDerivatives at_hi = nll_derivatives(z, y, hi);
  while (at_hi.first < 0) {
    lo = hi;
    hi *= 4;
    BULWARK_CHECK(hi < 1e8, where, ": the NLL keeps falling as T -> 0 (the logits separate the "
                  "labels perfectly), so no temperature minimises it");
    at_hi = nll_derivatives(z, y, hi);
  }
  // f' reached 0 only by underflow (no curvature left): the logits separate the labels.
  BULWARK_CHECK(!(at_hi.first >= 0 && at_hi.second <= 0), where,
                ": the NLL keeps falling as T -> 0 (the logits separate the labels perfectly), "
                "so no temperature minimises it");
  BULWARK_CHECK(nll_derivatives(z, y, 1e-12).first < 0, where,
                ": the labels score below the average logit, so the NLL falls as T -> inf; "
                "temperature scaling cannot calibrate these logits");
  double beta = std::clamp(1.0, lo, hi);
  if (beta <= lo || beta >= hi) beta = 0.5 * (lo + hi);
  NLLDerivatives d = (beta == hi) ? at_hi : nll_derivatives(z, y, beta);
  // Float logits: derivatives are exact to ~1e-7 (float exponentials); stop at that level.
  const double tol = z.scalar_type() == at::kFloat ? std::max(tol_, 1e-6) : tol_;
  int64_t it = 0;
  for (; it < max_iter_; ++it) {
    if (d.first < 0) lo = beta; else hi = beta;
    double next = d.second > 0 ? beta - d.first / d.second : -1;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);  // Newton left the bracket: bisect
    const double step = std::abs(next - beta);
    beta = next;
    d = nll_derivatives(z, y, beta);
    if (step <= tol * beta || (hi - lo) <= tol * beta) break;
  }
  temperature_ = 1.0 / beta;
  iterations_ = it + 1;
  nll_ = d.value;
}

double TemperatureScaling::temperature() const {
  BULWARK_CHECK_AS(NotFittedError, fitted(), "TemperatureScaling.temperature: call fit() first");
  return temperature_;
}

at::Tensor TemperatureScaling::transform(const at::Tensor& logits) const {
  check_fitted(logits, "TemperatureScaling.transform");
  return logits / temperature_;
}

at::Tensor TemperatureScaling::predict_proba_impl(const at::Tensor& logits) const {
  return at::softmax(logits / temperature_, 1);
}

std::string TemperatureScaling::repr() const {
  return fitted() ? detail::str("TemperatureScaling(temperature=", temperature_, ")")
                  : std::string("TemperatureScaling(unfitted)");
}

void TemperatureScaling::write(json::Object& o) const {
  o.set("temperature", temperature_).set("nll", nll_);
}

void TemperatureScaling::read(const json::Object& o, const std::string& path) {
  temperature_ = o.number("temperature");
  nll_ = o.number("nll");
  // Logits are divided by it in their own precision: outside [1e-8, 1e8] a float32 quotient
  // overflows or vanishes, and no fit on real logits lands there.
  BULWARK_CHECK_AS(FormatError, std::isfinite(temperature_) && temperature_ >= 1e-8 && temperature_ <= 1e8, path,
                   ": temperature must lie in [1e-8, 1e8], got ", temperature_);
}

}  // namespace bulwark::calibration
