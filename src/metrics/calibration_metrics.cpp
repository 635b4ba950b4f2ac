#include <bulwark/metrics/calibration_metrics.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <bulwark/core/error.h>
#include <bulwark/core/probabilities.h>
#include <bulwark/losses/classification.h>

namespace bulwark::metrics {

namespace {

void check(const at::Tensor& scores, const at::Tensor& labels, bool logits, const char* where) {
  BULWARK_CHECK_TYPE(scores.defined() && at::isFloatingType(scores.scalar_type()), where,
                     ": scores must be a floating-point tensor (N, K)");
  BULWARK_CHECK_SHAPE(scores.dim() == 2 && scores.size(0) >= 1 && scores.size(1) >= 2, where,
                      ": scores must have shape (N, K) with N >= 1 and K >= 2, got ", scores.sizes());
  losses::check_labels(labels, scores.size(0), scores.size(1), where, "labels");
  if (!logits) {
    check_probability_rows(scores, where, "scores", "pass logits=True for logits");
    return;
  }
  check_finite(scores, where, "scores");
}

// Binary problems: scores (N,) are P(y = 1) (or its logit), labels 0/1. Returns P(y = 1), float64.
at::Tensor binary_probabilities(const at::Tensor& scores, const at::Tensor& labels, bool logits,
                                const char* where) {
  BULWARK_CHECK_TYPE(scores.defined() && at::isFloatingType(scores.scalar_type()), where,
                     ": scores must be a floating-point tensor (N,) or (N, K)");
  BULWARK_CHECK_SHAPE(scores.size(0) >= 1, where, ": scores must hold N >= 1 samples");
  losses::check_labels(labels, scores.size(0), 2, where, "labels");
  at::NoGradGuard no_grad;
  const at::Tensor s = scores.detach().to(at::kCPU, at::kDouble);
  const auto [lo, hi] = at::aminmax(s);
  const double l = lo.item<double>(), h = hi.item<double>();
  if (!std::isfinite(l) || !std::isfinite(h)) check_finite(s, where, "scores");  // throws, naming the samples
  if (logits) return at::sigmoid(s);
  BULWARK_CHECK(l >= 0 && h <= 1, where, ": binary scores (N,) must be probabilities P(y = 1) in "
                "[0, 1], got values in [", l, ", ", h, "]; pass logits=True for logits");
  return s;
}

// Bins are allocated, so their number is bounded: more than a million equal-width bins can only
// be a mistake (and 10^13 would exhaust memory before anything else is said).
constexpr int64_t kMaxBins = 1'000'000;

void check_bins(int64_t bins, const char* where) {
  BULWARK_CHECK(bins >= 1 && bins <= kMaxBins, where, ": bins must lie in [1, ", kMaxBins, "], got ", bins);
}

// Checked by each public entry point before it reads the scores, naming itself.
void check_binning(const Binning& binning, const char* where) {
  check_bins(binning.bins, where);
  BULWARK_CHECK(binning.p >= 1 && std::isfinite(binning.p), where, ": p must be >= 1, got ", binning.p);
}

// The equal-width bin of a confidence c in [0, 1]: bin b holds b < c B <= b + 1 (right-closed,
// with c = 0 in bin 0), computed as ceil(c B) - 1 in double. A confidence that equals an edge
// b / B in double arithmetic (c B exactly b) is in bin b - 1; np.linspace's edges may round
// differently, so a confidence on an edge can land one bin apart from a numpy binning that
// compares against those edges.
int64_t bin_of(double c, int64_t bins) {
  const double b = std::ceil(c * static_cast<double>(bins)) - 1;
  return static_cast<int64_t>(std::min(std::max(b, 0.0), static_cast<double>(bins - 1)));
}

double fraction_power_mean(const ReliabilityCurve& c, int64_t n, double p, bool max_only) {
  const at::Tensor count = c.count.to(at::kDouble);
  const at::Tensor used = c.count.gt(0);
  const at::Tensor gap = (c.accuracy - c.confidence).abs().index({used});
  if (gap.numel() == 0) return 0.0;
  if (max_only) return gap.max().item<double>();
  const at::Tensor w = count.index({used}) / static_cast<double>(n);
  return std::pow((w * gap.pow(p)).sum().item<double>(), 1.0 / p);
}

}  // namespace

std::pair<at::Tensor, at::Tensor> top_label(const at::Tensor& scores, const at::Tensor& labels,
                                            bool logits, const char* where) {
  if (scores.defined() && scores.dim() == 1) {  // binary: P(y = 1) against y
    return {binary_probabilities(scores, labels, logits, where), labels.to(at::kCPU).eq(1)};
  }
  check(scores, labels, logits, where);
  const at::Tensor z = widen_half(scores.detach()).to(at::kCPU).contiguous();
  const at::Tensor y = labels.to(at::kCPU).contiguous();
  const int64_t n = z.size(0), k = z.size(1);
  at::Tensor conf = at::empty({n}, at::kDouble);
  at::Tensor correct = at::empty({n}, at::kBool);
  AT_DISPATCH_FLOATING_TYPES(z.scalar_type(), "top_label", [&] {
    const scalar_t* pz = z.data_ptr<scalar_t>();
    const int64_t* py = y.data_ptr<int64_t>();
    double* pc = conf.data_ptr<double>();
    bool* pk = correct.data_ptr<bool>();
    at::parallel_for(0, n, 1024, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const scalar_t* row = pz + i * k;
        int64_t arg = 0;
        for (int64_t j = 1; j < k; ++j) if (row[j] > row[arg]) arg = j;  // softmax keeps the order
        double top = 0;
        if (logits) {
          // Exponentials in the input's precision, summed in double.
          double s = 0;
          const scalar_t mx = row[arg];
          for (int64_t j = 0; j < k; ++j) s += static_cast<double>(std::exp(row[j] - mx));
          top = 1.0 / s;
        } else {
          top = static_cast<double>(row[arg]);
        }
        pc[i] = top;
        pk[i] = arg == py[i];
      }
    });
  });
  return {conf, correct};
}

ReliabilityCurve reliability_curve(const at::Tensor& confidence, const at::Tensor& correct,
                                   const Binning& binning) {
  check_binning(binning, "reliability_curve");
  const at::Tensor c = confidence.to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor k = correct.to(at::kCPU, at::kDouble).contiguous();
  const int64_t n = c.numel(), b = binning.bins;
  at::Tensor index;
  at::Tensor edges;
  if (binning.equal_mass) {
    const auto [sorted, order] = c.sort(/*stable=*/true, 0, false);
    // Sample at sorted position s goes to bin floor(s * B / N).
    const at::Tensor pos = at::arange(n, at::kLong);
    index = at::empty({n}, at::kLong).index_put_({order}, (pos * b).div(n, "floor"));
    std::vector<double> e{0.0};
    for (int64_t j = 1; j < b; ++j) {
      const int64_t cut = (j * n + b - 1) / b;
      e.push_back(cut < n ? sorted[cut].item<double>() : 1.0);
    }
    e.push_back(1.0);
    edges = at::tensor(e, at::kDouble);
  } else {
    index = (c * static_cast<double>(b)).ceil().sub(1).clamp(0, static_cast<double>(b - 1)).to(at::kLong);
    edges = at::linspace(0, 1, b + 1, at::kDouble);
  }
  const at::Tensor count = at::zeros({b}, at::kLong).index_add_(0, index, at::ones({n}, at::kLong));
  const at::Tensor cd = count.to(at::kDouble);
  const at::Tensor conf = at::zeros({b}, at::kDouble).index_add_(0, index, c) / cd;
  const at::Tensor acc = at::zeros({b}, at::kDouble).index_add_(0, index, k) / cd;
  return {conf, acc, count, edges};
}

double ece(const at::Tensor& scores, const at::Tensor& labels, bool logits, const Binning& binning) {
  check_binning(binning, "ece");
  const auto [conf, correct] = top_label(scores, labels, logits, "ece");
  return fraction_power_mean(reliability_curve(conf, correct, binning), conf.numel(), binning.p, false);
}

double mce(const at::Tensor& scores, const at::Tensor& labels, bool logits, const Binning& binning) {
  check_binning(binning, "mce");
  const auto [conf, correct] = top_label(scores, labels, logits, "mce");
  return fraction_power_mean(reliability_curve(conf, correct, binning), conf.numel(), 1, true);
}

double classwise_ece(const at::Tensor& scores, const at::Tensor& labels, bool logits, int64_t bins) {
  constexpr const char* where = "classwise_ece";
  check_bins(bins, where);
  check(scores, labels, logits, where);
  const at::Tensor z = widen_half(scores.detach()).to(at::kCPU);
  const at::Tensor p = (logits ? at::softmax(z, 1) : z).contiguous();
  const at::Tensor y = labels.to(at::kCPU, at::kLong).contiguous();
  const int64_t n = p.size(0), k = p.size(1);
  // One pass: per class j and equal-width bin b, the count, the summed probability of class j and
  // how many of the bin's samples are of class j (the bin rule of reliability_curve).
  at::Tensor count = at::zeros({k, bins}, at::kLong), conf = at::zeros({k, bins}, at::kDouble),
             hits = at::zeros({k, bins}, at::kLong);
  AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), where, [&] {
    const scalar_t* pp = p.data_ptr<scalar_t>();
    const int64_t* py = y.data_ptr<int64_t>();
    int64_t* pc = count.data_ptr<int64_t>();
    double* pf = conf.data_ptr<double>();
    int64_t* ph = hits.data_ptr<int64_t>();
    // Classes split between the threads: each thread owns its classes' rows of the tables.
    at::parallel_for(0, k, 1, [&](int64_t j0, int64_t j1) {
      for (int64_t i = 0; i < n; ++i) {
        const scalar_t* row = pp + i * k;
        for (int64_t j = j0; j < j1; ++j) {
          const double c = static_cast<double>(row[j]);
          const int64_t b = bin_of(c, bins);
          pc[j * bins + b] += 1;
          pf[j * bins + b] += c;
          ph[j * bins + b] += py[i] == j;
        }
      }
    });
  });
  // sum over classes of sum_b n_b / N |acc_b - conf_b|, averaged over classes
  const at::Tensor used = count.gt(0);
  const at::Tensor gap = (hits.to(at::kDouble) - conf).abs();  // n_b |acc_b - conf_b|
  return (gap * used).sum().item<double>() / static_cast<double>(n) / static_cast<double>(k);
}

double nll(const at::Tensor& scores, const at::Tensor& labels, bool logits) {
  if (scores.defined() && scores.dim() == 1) {
    const at::Tensor p = binary_probabilities(scores, labels, logits, "nll");
    const at::Tensor py = at::where(labels.to(at::kCPU).eq(1), p, 1 - p);
    return -py.clamp_min(1e-300).log().mean().item<double>();
  }
  check(scores, labels, logits, "nll");
  const at::Tensor s = widen_half(scores.detach());
  const at::Tensor y = labels.to(s.device()).unsqueeze(1);
  if (!logits) {  // only the label's probability is needed: N logarithms, not N K
    return -s.gather(1, y).to(at::kDouble).clamp_min(1e-300).log().mean().item<double>();
  }
  const at::Tensor z = s.to(at::kDouble);
  return -(z.gather(1, y) - z.logsumexp(1, true)).mean().item<double>();
}

double brier(const at::Tensor& scores, const at::Tensor& labels, bool logits) {
  if (scores.defined() && scores.dim() == 1) {
    const at::Tensor p = binary_probabilities(scores, labels, logits, "brier");
    return (p - labels.to(at::kCPU, at::kDouble)).pow(2).mean().item<double>();
  }
  check(scores, labels, logits, "brier");
  const at::Tensor s = widen_half(scores.detach()).to(at::kCPU);
  const at::Tensor p = (logits ? at::softmax(s.to(at::kDouble), 1) : s).contiguous();
  const at::Tensor y = labels.to(at::kCPU, at::kLong).contiguous();
  // sum_j (p_j - [j = y])^2 = sum_j p_j^2 - 2 p_y + 1: one pass in double, no one-hot matrix.
  const int64_t n = p.size(0), k = p.size(1);
  at::Tensor per_row = at::empty({n}, at::kDouble);
  AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "brier", [&] {
    const scalar_t* pp = p.data_ptr<scalar_t>();
    const int64_t* py = y.data_ptr<int64_t>();
    double* out = per_row.data_ptr<double>();
    at::parallel_for(0, n, 1024, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const scalar_t* row = pp + i * k;
        double sq = 0;
        for (int64_t j = 0; j < k; ++j) sq += static_cast<double>(row[j]) * static_cast<double>(row[j]);
        out[i] = sq - 2 * static_cast<double>(row[py[i]]) + 1;
      }
    });
  });
  return per_row.mean().item<double>();
}

}  // namespace bulwark::metrics
