#include <bulwark/conformal/risk_control.h>

#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/probabilities.h>

namespace bulwark::conformal {

void check_risk_control_options(double alpha, double bound, const std::string& where) {
  BULWARK_CHECK(alpha > 0 && alpha < 1, where, ": alpha must be in (0, 1), got ", alpha);
  BULWARK_CHECK(std::isfinite(bound) && bound > 0, where, ": bound must be > 0, got ", bound);
}

RiskControl risk_control(const at::Tensor& losses, const at::Tensor& lambdas, double alpha,
                         double bound) {
  constexpr const char* where = "risk_control";
  check_risk_control_options(alpha, bound, where);
  BULWARK_CHECK_TYPE(losses.defined() && at::isFloatingType(losses.scalar_type()), where,
                     ": losses must be a floating-point tensor (n, m)");
  BULWARK_CHECK_SHAPE(losses.dim() == 2 && losses.size(0) >= 1 && losses.size(1) >= 1, where,
                      ": losses must have shape (n, m) with n, m >= 1, got ", losses.sizes());
  BULWARK_CHECK_SHAPE(lambdas.dim() == 1 && lambdas.size(0) == losses.size(1), where,
                      ": lambdas must have shape (m,) = (", losses.size(1), "), got ",
                      lambdas.sizes());
  const at::Tensor l = losses.to(at::kCPU, at::kDouble);
  const at::Tensor lam = lambdas.to(at::kCPU, at::kDouble);
  check_finite(l, where, "losses");
  BULWARK_CHECK(l.min().item<double>() >= 0 && l.max().item<double>() <= bound + 1e-12, where,
                ": losses must lie in [0, bound = ", bound, "]");
  if (lam.numel() > 1) {
    BULWARK_CHECK((lam.narrow(0, 1, lam.numel() - 1) > lam.narrow(0, 0, lam.numel() - 1)).all().item<bool>(),
                  where, ": lambdas must be strictly ascending");
    const at::Tensor rise = l.narrow(1, 1, l.size(1) - 1) - l.narrow(1, 0, l.size(1) - 1);
    BULWARK_CHECK(rise.max().item<double>() <= 1e-12, where,
                  ": each sample's loss must be non-increasing in lambda (it rises by ",
                  rise.max().item<double>(), " somewhere)");
  }
  const double n = static_cast<double>(l.size(0));
  const at::Tensor value = l.mean(0) * (n / (n + 1)) + bound / (n + 1);
  const at::Tensor ok = value.le(alpha).nonzero();
  BULWARK_CHECK(ok.numel() > 0, where, ": no lambda of the grid controls the risk at alpha = ",
                alpha, " (the smallest bound is ", value.min().item<double>(),
                " with n = ", l.size(0), "); extend the grid or add calibration data");
  const int64_t j = ok[0][0].item<int64_t>();
  return {lam[j].item<double>(), j, value[j].item<double>()};
}

at::Tensor fnr_losses(const at::Tensor& scores, const at::Tensor& targets, const at::Tensor& lambdas) {
  constexpr const char* where = "fnr_losses";
  BULWARK_CHECK_SHAPE(scores.dim() == 2 && targets.sizes().equals(scores.sizes()), where,
                      ": scores and targets must both be (n, K), got ", scores.sizes(), " and ",
                      targets.sizes());
  BULWARK_CHECK_TYPE(targets.scalar_type() == at::kBool, where, ": targets must be bool");
  BULWARK_CHECK_SHAPE(lambdas.dim() == 1, where, ": lambdas must be (m,)");
  const at::Tensor s = scores.to(at::kDouble);
  const at::Tensor t = targets.to(s.device(), at::kDouble);
  const at::Tensor count = t.sum(1, true);                                        // (n, 1)
  // included[i, j, k] = s[i, k] >= 1 - lambda_j; summed over the true labels k.
  const at::Tensor lam = lambdas.to(s.device(), at::kDouble).view({1, -1, 1});
  const at::Tensor hits = ((s.unsqueeze(1) >= (1 - lam)).to(at::kDouble) * t.unsqueeze(1)).sum(2);
  return at::where(count > 0, 1 - hits / count.clamp_min(1), at::zeros_like(hits));
}

}  // namespace bulwark::conformal
