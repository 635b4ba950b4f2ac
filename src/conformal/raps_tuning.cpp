#include <bulwark/conformal/raps_tuning.h>

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

#include <bulwark/conformal/metrics.h>
#include <bulwark/conformal/split_conformal.h>
#include <bulwark/core/error.h>
#include <bulwark/losses/classification.h>

namespace bulwark::conformal {

RAPSParameters tune_raps(const at::Tensor& probs, const at::Tensor& labels, double alpha,
                         bool randomized, const std::vector<double>& lams,
                         std::optional<uint64_t> seed) {
  constexpr const char* where = "tune_raps";
  BULWARK_CHECK(alpha > 0 && alpha < 1, where, ": alpha must be in (0, 1), got ", alpha);
  BULWARK_CHECK(!lams.empty(), where, ": lams is empty");
  for (double l : lams) BULWARK_CHECK(std::isfinite(l) && l >= 0, where, ": lams must be >= 0, got ", l);
  check_probabilities(probs, where);
  losses::check_labels(labels, probs.size(0), probs.size(1), where, "labels");

  // 0-based rank of each true label (ties by lower index), then the "higher" quantile.
  Score rank_only;
  rank_only.kind = ScoreKind::TopK;
  rank_only.randomized = false;  // r(y) + 1
  const at::Tensor ranks =
      label_scores(rank_only, probs, labels, at::zeros({probs.size(0)}, at::kDouble)) - 1;
  const int64_t n = ranks.numel();
  const auto index = static_cast<int64_t>(std::ceil((1 - alpha) * static_cast<double>(n - 1) - 1e-9));
  const int64_t k_reg =
      1 + static_cast<int64_t>(std::get<0>(ranks.kthvalue(index + 1)).item<double>());

  RAPSParameters out{k_reg, lams.front(), {}};
  double best = std::numeric_limits<double>::infinity();
  for (double lam : lams) {
    ConformalOptions o;
    o.score.kind = ScoreKind::RAPS;
    o.score.randomized = randomized;
    o.score.k_reg = k_reg;
    o.score.lam = lam;
    o.alpha = alpha;
    o.seed = seed;
    SplitConformal cp(o);
    cp.fit(probs, labels);
    const double size = set_sizes(cp.predict(probs)).to(at::kDouble).mean().item<double>();
    out.mean_sizes.push_back(size);
    if (size < best) {
      best = size;
      out.lam = lam;
    }
  }
  return out;
}

}  // namespace bulwark::conformal
