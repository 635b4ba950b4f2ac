#include <bulwark/core/probabilities.h>

#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>

namespace bulwark {

void check_probability_rows(const at::Tensor& probs, const char* where, const char* arg,
                            const char* hint) {
  at::NoGradGuard no_grad;
  const auto [lo_t, hi_t] = at::aminmax(probs.detach());
  const double lo = lo_t.item<double>(), hi = hi_t.item<double>();
  BULWARK_CHECK(std::isfinite(lo) && std::isfinite(hi), where, ": ", arg,
                " contains NaN or +-inf");
  BULWARK_CHECK(lo >= 0 && hi <= 1 + 1e-6, where, ": ", arg,
                " must lie in [0, 1] as probabilities, got values in [", lo, ", ", hi, "]; ", hint);
  const double off = (probs.detach().to(at::kDouble).sum(1) - 1).abs().max().item<double>();
  BULWARK_CHECK(off <= 1e-3, where, ": the rows of ", arg, " must sum to 1, but one is off by ",
                off, "; ", hint);
}

}  // namespace bulwark
