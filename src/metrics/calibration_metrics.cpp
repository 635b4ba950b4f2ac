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
  const auto [lo, hi] = at::aminmax(scores.detach());
  const double l = lo.item<double>(), h = hi.item<double>();
  if (!std::isfinite(l) || !std::isfinite(h)) check_finite(scores, where, "scores");  // throws, naming the samples
  const at::Tensor s = scores.detach().to(at::kCPU, at::kDouble);
  if (logits) return at::sigmoid(s);
  BULWARK_CHECK(l >= 0 && h <= 1, where, ": binary scores (N,) must be probabilities P(y = 1) in "
                "[0, 1], got values in [", l, ", ", h, "]; pass logits=True for logits");
  return s;
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
  const at::Tensor z = scores.detach().to(at::kCPU).contiguous();
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
  BULWARK_CHECK(binning.bins >= 1, "reliability_curve: bins must be >= 1, got ", binning.bins);
  BULWARK_CHECK(binning.p >= 1 && std::isfinite(binning.p), "ece: p must be >= 1, got ", binning.p);
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
  const auto [conf, correct] = top_label(scores, labels, logits, "ece");
  return fraction_power_mean(reliability_curve(conf, correct, binning), conf.numel(), binning.p, false);
}

double mce(const at::Tensor& scores, const at::Tensor& labels, bool logits, const Binning& binning) {
  const auto [conf, correct] = top_label(scores, labels, logits, "mce");
  return fraction_power_mean(reliability_curve(conf, correct, binning), conf.numel(), 1, true);
}

double classwise_ece(const at::Tensor& scores, const at::Tensor& labels, bool logits, int64_t bins) {
  check(scores, labels, logits, "classwise_ece");
  const at::Tensor p = logits ? at::softmax(scores.detach().to(at::kCPU, at::kDouble), 1)
                              : scores.detach().to(at::kCPU, at::kDouble);
  const at::Tensor y = labels.to(at::kCPU);
  Binning binning;
  binning.bins = bins;
  double total = 0;
  for (int64_t j = 0; j < p.size(1); ++j) {
    const at::Tensor c = p.select(1, j).contiguous();
    total += fraction_power_mean(reliability_curve(c, y.eq(j), binning), c.numel(), 1, false);
  }
  return total / static_cast<double>(p.size(1));
}

double nll(const at::Tensor& scores, const at::Tensor& labels, bool logits) {
  if (scores.defined() && scores.dim() == 1) {
    const at::Tensor p = binary_probabilities(scores, labels, logits, "nll");
    const at::Tensor py = at::where(labels.to(at::kCPU).eq(1), p, 1 - p);
    return -py.clamp_min(1e-300).log().mean().item<double>();
  }
  check(scores, labels, logits, "nll");
  const at::Tensor s = scores.detach().to(at::kDouble);
  const at::Tensor logp = logits ? at::log_softmax(s, 1) : s.clamp_min(1e-300).log();
  return -logp.gather(1, labels.to(s.device()).unsqueeze(1)).mean().item<double>();
}

double brier(const at::Tensor& scores, const at::Tensor& labels, bool logits) {
  if (scores.defined() && scores.dim() == 1) {
    const at::Tensor p = binary_probabilities(scores, labels, logits, "brier");
    return (p - labels.to(at::kCPU, at::kDouble)).pow(2).mean().item<double>();
  }
  check(scores, labels, logits, "brier");
  const at::Tensor s = scores.detach().to(at::kDouble);
  const at::Tensor p = logits ? at::softmax(s, 1) : s;
  const at::Tensor onehot = at::zeros_like(p).scatter_(1, labels.to(s.device()).unsqueeze(1), 1.0);
  return (p - onehot).pow(2).sum(1).mean().item<double>();
}

}  // namespace bulwark::metrics
