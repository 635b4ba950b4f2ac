#include <bulwark/core/probabilities.h>

#include <algorithm>
#include <cmath>
#include <string>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>

namespace bulwark {

at::Tensor widen_half(const at::Tensor& t) {
  if (!t.defined()) return t;
  const at::ScalarType s = t.scalar_type();
  return s == at::kHalf || s == at::kBFloat16 ? t.to(at::kFloat) : t;
}

void check_finite(const at::Tensor& tensor, const char* where, const char* arg) {
  at::NoGradGuard no_grad;
  if (tensor.numel() == 0) return;
  const at::Tensor t = widen_half(tensor);
  // min and max propagate NaN and show +-inf: one reduction, no temporary, when all is well.
  const auto [lo, hi] = at::aminmax(t.detach());
  if (std::isfinite(lo.item<double>()) && std::isfinite(hi.item<double>())) return;
  const at::Tensor bad_value = ~at::isfinite(t.detach());
  const at::Tensor bad = (t.dim() > 1 ? bad_value.flatten(1).any(1) : bad_value).nonzero().flatten().cpu();
  std::string first;
  for (int64_t i = 0; i < std::min<int64_t>(bad.numel(), 5); ++i) {
    first += (i ? ", " : "") + std::to_string(bad[i].item<int64_t>());
  }
  throw NonFiniteError(detail::str(where, ": ", arg, " contain NaN or +-inf in ", bad.numel(), " of ",
                                   t.dim() > 0 ? t.size(0) : 1, " samples (first: ", first,
                                   bad.numel() > 5 ? ", ..." : "", ")"));
}

void check_probability_rows(const at::Tensor& probs, const char* where, const char* arg,
                            const char* hint) {
  at::NoGradGuard no_grad;
  const at::Tensor p = widen_half(probs.detach());
  // Two vectorised reductions and no float64 copy: min/max (a NaN or +-inf shows there), then
  // the row sums in the input's precision (cascade summation, far below the tolerance).
  const auto [lo_t, hi_t] = at::aminmax(p);
  const double lo = lo_t.item<double>(), hi = hi_t.item<double>();
  if (!std::isfinite(lo) || !std::isfinite(hi)) check_finite(p, where, arg);  // throws, naming the samples
  BULWARK_CHECK(lo >= 0 && hi <= 1 + 1e-6, where, ": ", arg,
                " must lie in [0, 1] as probabilities, got values in [", lo, ", ", hi, "]; ", hint);
  // Rounding each probability to the input's precision moves a row's sum by at most eps / 2.
  const bool half = probs.scalar_type() == at::kHalf || probs.scalar_type() == at::kBFloat16;
  const double tolerance = 1e-3 + (half ? 0.5 * (probs.scalar_type() == at::kHalf ? 0x1p-10 : 0x1p-7) : 0.0);
  const double off = (p.sum(1) - 1).abs().max().item<double>();
  BULWARK_CHECK(off <= tolerance, where, ": the rows of ", arg, " must sum to 1, but one is off by ", off, "; ",
                hint);
}

}  // namespace bulwark
