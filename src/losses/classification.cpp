#include <bulwark/losses/classification.h>

#include <algorithm>
#include <limits>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/strings.h>

namespace bulwark::losses {

namespace {
// max over j != y of z_j: mask the true class with -inf.
at::Tensor max_other(const at::Tensor& logits, const at::Tensor& y) {
  const at::Tensor mask = at::zeros_like(logits, at::kBool).scatter_(1, y.unsqueeze(1), true);
  return logits.masked_fill(mask, -std::numeric_limits<double>::infinity()).amax(1);
}
at::Tensor true_logit(const at::Tensor& logits, const at::Tensor& y) {
  return logits.gather(1, y.unsqueeze(1)).squeeze(1);
}
}  // namespace

at::Tensor cross_entropy(const at::Tensor& logits, const at::Tensor& y) {
  return -true_logit(at::log_softmax(logits, 1), y);
}

at::Tensor margin(const at::Tensor& logits, const at::Tensor& y) {
  return max_other(logits, y) - true_logit(logits, y);
}

at::Tensor dlr(const at::Tensor& logits, const at::Tensor& y) {
  BULWARK_CHECK_SHAPE(logits.size(1) >= 3, "dlr: the DLR loss needs K >= 3 classes, got K = ",
                      logits.size(1));
  const at::Tensor sorted = std::get<0>(logits.sort(1, /*descending=*/true));
  const at::Tensor denom = sorted.select(1, 0) - sorted.select(1, 2) + 1e-12;
  return -(true_logit(logits, y) - max_other(logits, y)) / denom;
}

at::Tensor dlr_targeted(const at::Tensor& logits, const at::Tensor& y, const at::Tensor& t) {
  BULWARK_CHECK_SHAPE(logits.size(1) >= 4,
                      "dlr_targeted: the targeted DLR loss needs K >= 4 classes, got K = ",
                      logits.size(1));
  const at::Tensor sorted = std::get<0>(logits.sort(1, /*descending=*/true));
  const at::Tensor denom =
      sorted.select(1, 0) - 0.5 * (sorted.select(1, 2) + sorted.select(1, 3)) + 1e-12;
  return -(true_logit(logits, y) - true_logit(logits, t)) / denom;
}

Loss parse_loss(std::string_view name, const char* arg) {
  const std::string s = detail::lowercase(name);
  if (s == "ce" || s == "cross_entropy") return Loss::CrossEntropy;
  if (s == "margin" || s == "cw") return Loss::Margin;
  if (s == "dlr") return Loss::DLR;
  throw InvalidArgument(
      detail::str(arg, " must be one of 'ce', 'margin', 'dlr', got '", std::string(name), "'"));
}

std::string to_string(Loss loss) {
  switch (loss) {
    case Loss::CrossEntropy: return "ce";
    case Loss::Margin: return "margin";
    case Loss::DLR: return "dlr";
  }
  BULWARK_ASSERT(false);
  return {};
}

at::Tensor compute(Loss loss, const at::Tensor& logits, const at::Tensor& y) {
  switch (loss) {
    case Loss::CrossEntropy: return cross_entropy(logits, y);
    case Loss::Margin: return margin(logits, y);
    case Loss::DLR: return dlr(logits, y);
  }
  BULWARK_ASSERT(false);
  return {};
}

LossFn against(Loss loss, const at::Tensor& y) {
  return [loss, y](const at::Tensor& logits) {
    check_labels(y, logits.size(0), logits.size(1), "loss");
    return compute(loss, logits, y);
  };
}

void check_labels(const at::Tensor& y, int64_t n, int64_t k, const char* where, const char* arg) {
  BULWARK_CHECK_TYPE(y.defined(), where, ": ", arg, " is an undefined tensor");
  BULWARK_CHECK_TYPE(y.scalar_type() == at::kLong, where, ": ", arg,
                     " must hold int64 class labels, got dtype ", y.scalar_type());
  BULWARK_CHECK_SHAPE(y.dim() == 1 && y.size(0) == n, where, ": ", arg, " must have shape (N,) = (",
                      n, "), got ", y.sizes());
  if (n == 0) return;
  const auto [mn, mx] = at::aminmax(y);
  const int64_t lo = mn.item<int64_t>(), hi = mx.item<int64_t>();
  BULWARK_CHECK(lo >= 0, where, ": ", arg, " must hold labels >= 0, got ", lo);
  BULWARK_CHECK(k <= 0 || hi < k, where, ": ", arg, " must hold labels < num_classes = ", k,
                ", got ", hi);
}

}  // namespace bulwark::losses
