#include <bulwark/conformal/scores.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <bulwark/core/error.h>
#include <bulwark/core/probabilities.h>
#include <bulwark/core/strings.h>

namespace bulwark::conformal {

void Score::validate(const char* where) const {
  BULWARK_CHECK(std::isfinite(lam_value()) && lam_value() >= 0, where, ": lam must be finite and >= 0, got ",
                lam_value());
  BULWARK_CHECK(k_reg >= 0, where, ": k_reg must be >= 0, got ", k_reg);
}

std::string Score::repr() const {
  std::string s = "'" + to_string(kind) + "'";
  if (kind != ScoreKind::LAC) s += detail::str(", randomized=", randomized ? "True" : "False");
  if (kind == ScoreKind::RAPS) s += detail::str(", lam=", lam_value(), ", k_reg=", k_reg);
  if (kind == ScoreKind::SAPS) s += detail::str(", lam=", lam_value());
  return s;
}

ScoreKind parse_score(std::string_view name, const char* arg) {
  const std::string s = detail::lowercase(name);
  if (s == "lac" || s == "thr") return ScoreKind::LAC;
  if (s == "aps") return ScoreKind::APS;
  if (s == "raps") return ScoreKind::RAPS;
  if (s == "saps") return ScoreKind::SAPS;
  if (s == "topk") return ScoreKind::TopK;
  throw InvalidArgument(detail::str(arg, " must be one of 'lac', 'aps', 'raps', 'saps', 'topk', got '",
                                    std::string(name), "'"));
}

std::string to_string(ScoreKind kind) {
  switch (kind) {
    case ScoreKind::LAC: return "lac";
    case ScoreKind::APS: return "aps";
    case ScoreKind::RAPS: return "raps";
    case ScoreKind::SAPS: return "saps";
    case ScoreKind::TopK: return "topk";
  }
  BULWARK_ASSERT(false);
  return {};
}

namespace {

// The score of the label at rank r (0-based), with probability p, total probability ranked
// before it `before`, the row's top probability p_max and the sample's uniform u.
inline double score_at(const Score& s, int64_t r, double p, double before, double p_max, double u) {
  const double w = s.randomized ? u : 1.0;
  switch (s.kind) {
    case ScoreKind::LAC: return 1.0 - p;
    case ScoreKind::APS: return before + w * p;
    case ScoreKind::RAPS:
      return before + w * p + s.lam_value() * static_cast<double>(std::max<int64_t>(0, r + 1 - s.k_reg));
    case ScoreKind::SAPS: return r == 0 ? w * p_max : p_max + s.lam_value() * (static_cast<double>(r) - 1 + w);
    case ScoreKind::TopK: return static_cast<double>(r) + w;
  }
  return 0;
}

// Contiguous CPU tensors the kernels read raw rows of: probabilities in their own float32 or
// float64 (no double copy of an (N, K) matrix; half precision is widened to float32), the
// per-sample uniforms and thresholds in double.
at::Tensor host(const at::Tensor& t) { return widen_half(t).to(at::kCPU).contiguous(); }
at::Tensor host_double(const at::Tensor& t) { return t.to(at::kCPU, at::kDouble).contiguous(); }

}  // namespace

void check_probabilities(const at::Tensor& probs, const char* where, const char* arg) {
  BULWARK_CHECK_TYPE(probs.defined(), where, ": ", arg, " is an undefined tensor");
  BULWARK_CHECK_TYPE(at::isFloatingType(probs.scalar_type()), where, ": ", arg,
                     " must be floating point, got dtype ", probs.scalar_type());
  BULWARK_CHECK_SHAPE(probs.dim() == 2 && probs.size(1) >= 2, where, ": ", arg,
                      " must have shape (N, K) with K >= 2, got ", probs.sizes());
  BULWARK_CHECK_SHAPE(probs.size(0) >= 1, where, ": ", arg, " is empty (N = 0)");
  check_probability_rows(probs, where, arg, "pass logits with input='logits'");
}

at::Tensor label_scores(const Score& score, const at::Tensor& probs, const at::Tensor& labels,
                        const at::Tensor& u) {
  const at::Tensor p = host(probs);
  const at::Tensor y = labels.to(at::kCPU, at::kLong).contiguous();
  if (score.kind == ScoreKind::LAC) {  // 1 - p_y: one gather, no pass over the rows
    return 1.0 - p.gather(1, y.unsqueeze(1)).squeeze(1).to(at::kDouble);
  }
  const at::Tensor uu = host_double(u);
  const int64_t n = p.size(0), k = p.size(1);
  at::Tensor out = at::empty({n}, at::kDouble);
  AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "label_scores", [&] {
    const scalar_t* pp = p.data_ptr<scalar_t>();
    const int64_t* py = y.data_ptr<int64_t>();
    const double* pu = uu.data_ptr<double>();
    double* po = out.data_ptr<double>();
    at::parallel_for(0, n, 256, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const scalar_t* row = pp + i * k;
        const int64_t label = py[i];
        const scalar_t py_ = row[label];
        int64_t rank = 0;
        double before = 0, p_max = 0;
        for (int64_t j = 0; j < k; ++j) {
          const scalar_t v = row[j];
          p_max = std::max(p_max, static_cast<double>(v));
          if (v > py_ || (v == py_ && j < label)) {
            ++rank;
            before += static_cast<double>(v);
          }
        }
        po[i] = score_at(score, rank, static_cast<double>(py_), before, p_max, pu[i]);
      }
    });
  });
  return out;
}

at::Tensor prediction_sets(const Score& score, const at::Tensor& probs, const at::Tensor& thresholds,
                           const at::Tensor& u) {
  const at::Tensor p = host(probs);
  const at::Tensor th = host_double(thresholds);
  const int64_t n = p.size(0), k = p.size(1);
  BULWARK_ASSERT(th.numel() == 1 || th.numel() == k);
  const bool one = th.numel() == 1;
  const double* pt = th.data_ptr<double>();
  if (score.kind == ScoreKind::LAC && one && p.scalar_type() == at::kFloat) {
    // 1 - p <= t in double (as the fit scored) holds exactly for the float32 p >= f, f the
    // smallest float with 1 - f <= t (1 - p is exact in double for a float p): one vectorised
    // comparison instead of a scalar pass.
    const double t = pt[0];
    float f = static_cast<float>(1.0 - t);
    while (f > -1.0f && 1.0 - static_cast<double>(std::nextafter(f, -2.0f)) <= t) f = std::nextafter(f, -2.0f);
    while (f < 2.0f && !(1.0 - static_cast<double>(f) <= t)) f = std::nextafter(f, 2.0f);
    return p.ge(f).to(probs.device());
  }
  at::Tensor out = at::zeros({n, k}, at::TensorOptions(at::kBool));
  bool* po = out.data_ptr<bool>();
  if (score.kind == ScoreKind::LAC) {  // 1 - p <= t, element by element (in double, as the fit)
    AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "prediction_sets", [&] {
      const scalar_t* pp = p.data_ptr<scalar_t>();
      at::parallel_for(0, n, 1024, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          const scalar_t* row = pp + i * k;
          bool* set = po + i * k;
          for (int64_t j = 0; j < k; ++j) set[j] = 1.0 - static_cast<double>(row[j]) <= pt[one ? 0 : j];
        }
      });
    });
    return out.to(probs.device());
  }
  const at::Tensor uu = host_double(u);
  const double* pu = uu.data_ptr<double>();
  AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "prediction_sets", [&] {
    const scalar_t* pp = p.data_ptr<scalar_t>();
    at::parallel_for(0, n, 256, [&](int64_t begin, int64_t end) {
      std::vector<int64_t> order(k);
      for (int64_t i = begin; i < end; ++i) {
        const scalar_t* row = pp + i * k;
        bool* set = po + i * k;
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [row](int64_t a, int64_t b) {
          return row[a] > row[b] || (row[a] == row[b] && a < b);
        });
        const double p_max = static_cast<double>(row[order[0]]);
        double before = 0;
        for (int64_t r = 0; r < k; ++r) {
          const int64_t j = order[r];
          const double v = static_cast<double>(row[j]);
          const double s = score_at(score, r, v, before, p_max, pu[i]);
          if (s <= pt[one ? 0 : j]) {
            set[j] = true;
          } else if (one) {
            break;  // the score only grows with the rank: no later label can enter
          }
          before += v;
        }
      }
    });
  });
  return out.to(probs.device());
}

}  // namespace bulwark::conformal
