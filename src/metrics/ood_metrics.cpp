#include <bulwark/metrics/ood_metrics.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <vector>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>

namespace bulwark::metrics {

namespace {

std::vector<double> sorted_scores(const at::Tensor& s, const char* where, const char* arg) {
  BULWARK_CHECK_TYPE(s.defined() && (at::isFloatingType(s.scalar_type()) || at::isIntegralType(s.scalar_type(), false)),
                     where, ": ", arg, " must be a real-valued tensor (N,)");
  BULWARK_CHECK_SHAPE(s.dim() == 1 && s.numel() >= 1, where, ": ", arg,
                      " must have shape (N,) with N >= 1, got ", s.sizes());
  const at::Tensor d = s.detach().to(at::kCPU, at::kDouble).contiguous();
  std::vector<double> v(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
  for (double x : v) BULWARK_CHECK(!std::isnan(x), where, ": ", arg, " contain NaN");
  std::sort(v.begin(), v.end());
  return v;
}

// Both arrays sorted ascending (the two sorts run concurrently).
std::pair<std::vector<double>, std::vector<double>> sorted_pair(const at::Tensor& id, const at::Tensor& ood,
                                                                const char* where) {
  std::vector<double> a, b;
  std::exception_ptr error;
#pragma omp parallel sections num_threads(2)
  {
#pragma omp section
    try {
      a = sorted_scores(id, where, "id_scores");
    } catch (...) {
#pragma omp critical
      error = std::current_exception();
    }
#pragma omp section
    try {
      b = sorted_scores(ood, where, "ood_scores");
    } catch (...) {
#pragma omp critical
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  return {std::move(a), std::move(b)};
}

}  // namespace

OODMetrics ood_metrics(const at::Tensor& id_scores, const at::Tensor& ood_scores, double tpr, bool in_positive) {
  constexpr const char* where = "ood_metrics";
  BULWARK_CHECK(tpr > 0 && tpr <= 1, where, ": tpr must be in (0, 1], got ", tpr);
  const auto [a, b] = sorted_pair(id_scores, ood_scores, where);
  const double n_in = static_cast<double>(a.size()), n_out = static_cast<double>(b.size());
  OODMetrics m;
  // Ascending walk over distinct thresholds t: ids_le / oods_le count scores <= t.
  {
    size_t i = 0, j = 0;
    double u = 0, ap_in = 0;
    bool fpr_done = false;
    const double need_in = std::ceil(tpr * n_in - 1e-9 * n_in);
    while (i < a.size() || j < b.size()) {
      const double t = j == b.size() || (i < a.size() && a[i] <= b[j]) ? a[i] : b[j];
      const size_t i0 = i, j0 = j;
      while (i < a.size() && a[i] == t) ++i;
      while (j < b.size() && b[j] == t) ++j;
      const double ai = static_cast<double>(i - i0), bj = static_cast<double>(j - j0);
      u += bj * (static_cast<double>(i0) + 0.5 * ai);  // OOD above every lower ID, half the ties
      if (ai > 0) ap_in += ai / n_in * static_cast<double>(i) / static_cast<double>(i + j);
      if (in_positive && !fpr_done && static_cast<double>(i) >= need_in) {
        m.fpr_at_tpr = static_cast<double>(j) / n_out;
        fpr_done = true;
      }
    }
    m.auroc = u / (n_in * n_out);
    m.aupr_in = ap_in;
  }
  // Descending walk: counts of scores >= t.
  {
    size_t i = a.size(), j = b.size();  // [i, end) and [j, end) are >= t
    double ap_out = 0;
    bool fpr_done = false;
    const double need_out = std::ceil(tpr * n_out - 1e-9 * n_out);
    while (i > 0 || j > 0) {
      const double t = i == 0 || (j > 0 && b[j - 1] >= a[i - 1]) ? b[j - 1] : a[i - 1];
      const size_t j0 = j;
      while (i > 0 && a[i - 1] == t) --i;
      while (j > 0 && b[j - 1] == t) --j;
      const double tp = static_cast<double>(b.size() - j), fp = static_cast<double>(a.size() - i);
      const double new_tp = static_cast<double>(j0 - j);
      if (new_tp > 0) ap_out += new_tp / n_out * tp / (tp + fp);
      if (!in_positive && !fpr_done && tp >= need_out) {
        m.fpr_at_tpr = fp / n_in;
        fpr_done = true;
      }
    }
    m.aupr_out = ap_out;
  }
  return m;
}

double auroc(const at::Tensor& id_scores, const at::Tensor& ood_scores) {
  return ood_metrics(id_scores, ood_scores).auroc;
}
double aupr_in(const at::Tensor& id_scores, const at::Tensor& ood_scores) {
  return ood_metrics(id_scores, ood_scores).aupr_in;
}
double aupr_out(const at::Tensor& id_scores, const at::Tensor& ood_scores) {
  return ood_metrics(id_scores, ood_scores).aupr_out;
}
double fpr_at_tpr(const at::Tensor& id_scores, const at::Tensor& ood_scores, double tpr, bool in_positive) {
  return ood_metrics(id_scores, ood_scores, tpr, in_positive).fpr_at_tpr;
}

}  // namespace bulwark::metrics
