#include <bulwark/core/probabilities.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <bulwark/core/error.h>

namespace bulwark {

at::Tensor widen_half(const at::Tensor& t) {
  if (!t.defined()) return t;
  const at::ScalarType s = t.scalar_type();
  return s == at::kHalf || s == at::kBFloat16 ? t.to(at::kFloat) : t;
}

namespace {

// min, max and the largest |row sum - 1| of an (N, K) tensor; `finite` is false when a value is
// NaN or +-inf (the row sums show it).
struct RowStats {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  double off = 0;
  bool finite = true;
};

// One pass over a CPU tensor, rows split between the threads.
RowStats row_stats_cpu(const at::Tensor& probs) {
  const at::Tensor p = probs.contiguous();
  const int64_t n = p.size(0), k = p.size(1);
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), n / 256 + 1));
  std::vector<RowStats> part(static_cast<size_t>(chunks));
  AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "check_probability_rows", [&] {
    const scalar_t* data = p.data_ptr<scalar_t>();
    at::parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        RowStats& r = part[static_cast<size_t>(c)];
        scalar_t lo = std::numeric_limits<scalar_t>::infinity(), hi = -lo;
        for (int64_t i = c * n / chunks; i < (c + 1) * n / chunks; ++i) {
          const scalar_t* row = data + i * k;
          double sum = 0;
          for (int64_t j = 0; j < k; ++j) {
            const scalar_t v = row[j];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            sum += static_cast<double>(v);
          }
          if (!std::isfinite(sum)) r.finite = false;
          r.off = std::max(r.off, std::abs(sum - 1));
        }
        r.lo = static_cast<double>(lo);
        r.hi = static_cast<double>(hi);
      }
    });
  });
  RowStats all;
  for (const RowStats& r : part) {
    all.lo = std::min(all.lo, r.lo);
    all.hi = std::max(all.hi, r.hi);
    all.off = std::max(all.off, r.off);
    all.finite = all.finite && r.finite;
  }
  return all;
}

RowStats row_stats(const at::Tensor& p) {
  if (p.is_cpu() && p.dim() == 2 && p.numel() > 0) return row_stats_cpu(p);
  RowStats r;
  const auto [lo, hi] = at::aminmax(p);
  r.lo = lo.item<double>();
  r.hi = hi.item<double>();
  r.finite = std::isfinite(r.lo) && std::isfinite(r.hi);
  if (r.finite) r.off = (p.sum(1, false, at::kDouble) - 1).abs().max().item<double>();
  return r;
}

}  // namespace

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
  const RowStats r = row_stats(p);
  // Rounding each probability to the input's precision moves a row's sum by at most eps / 2.
  const bool half = probs.scalar_type() == at::kHalf || probs.scalar_type() == at::kBFloat16;
  const double tolerance = 1e-3 + (half ? 0.5 * (probs.scalar_type() == at::kHalf ? 0x1p-10 : 0x1p-7) : 0.0);
  if (!r.finite) check_finite(p, where, arg);  // throws, naming the samples
  BULWARK_CHECK(r.lo >= 0 && r.hi <= 1 + 1e-6, where, ": ", arg,
                " must lie in [0, 1] as probabilities, got values in [", r.lo, ", ", r.hi, "]; ", hint);
  BULWARK_CHECK(r.off <= tolerance, where, ": the rows of ", arg, " must sum to 1, but one is off by ", r.off, "; ",
                hint);
}

}  // namespace bulwark
