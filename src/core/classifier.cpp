#include <bulwark/core/classifier.h>

#include <cmath>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <bulwark/core/error.h>
#include <bulwark/core/probabilities.h>

namespace bulwark {

Classifier::Classifier(ClassifierOptions options) : options_(std::move(options)) {
  options_.bounds.validate("Classifier");
  if (options_.num_classes) {
    BULWARK_CHECK(*options_.num_classes >= 2, "Classifier: num_classes must be >= 2, got ",
                  *options_.num_classes, " (for a binary model return two logits, e.g. [0, z])");
    num_classes_ = *options_.num_classes;
  }
  for (int64_t d : options_.input_shape) {
    BULWARK_CHECK(d >= 1, "Classifier: input_shape entries must be >= 1, got ",
                  c10::IntArrayRef(options_.input_shape));
  }
}

namespace {
// The classifier whose inputs this thread currently trusts (see TrustedInputs).
thread_local const Classifier* trusted = nullptr;
}  // namespace

Classifier::TrustedInputs::TrustedInputs(const Classifier& model) : previous_(trusted) {
  trusted = &model;
}
Classifier::TrustedInputs::~TrustedInputs() { trusted = previous_; }

void Classifier::check_structure(const at::Tensor& x, const char* where) const {
  BULWARK_CHECK_TYPE(x.defined(), where, ": x is an undefined tensor");
  BULWARK_CHECK_TYPE(at::isFloatingType(x.scalar_type()), where,
                     ": x must be a floating-point tensor, got dtype ", x.scalar_type());
  BULWARK_CHECK_SHAPE(x.dim() >= 2, where,
                      ": x must have shape (N, ...) with at least 2 dimensions, got shape ",
                      x.sizes());
  BULWARK_CHECK_SHAPE(x.size(0) >= 1, where, ": x is an empty batch (N = 0)");
  const auto& shape = options_.input_shape;
  if (!shape.empty()) {
    BULWARK_CHECK_SHAPE(x.sizes().slice(1).equals(shape), where, ": x must have shape (N, ",
                        c10::IntArrayRef(shape), "...) i.e. per-sample shape ",
                        c10::IntArrayRef(shape), ", got ", x.sizes());
  }
  check_compatible(x, where);
}

void Classifier::check_input(const at::Tensor& x, const char* where) const {
  check_structure(x, where);
  if (x.numel() == 0) return;
  // One pass for NaN, Inf and the box: min/max propagate NaN.
  at::Tensor lo, hi;
  {
    at::NoGradGuard no_grad;
    std::tie(lo, hi) = at::aminmax(widen_half(x.detach()));  // no half-precision aminmax on the CPU
  }
  const double mn = lo.item<double>(), mx = hi.item<double>();
  BULWARK_CHECK(!std::isnan(mn) && !std::isnan(mx), where, ": x contains NaN");
  BULWARK_CHECK(std::isfinite(mn) && std::isfinite(mx), where, ": x contains +-inf");
  const Bounds& b = options_.bounds;
  const double tol = 1e-5 * (b.is_bounded() ? (b.upper - b.lower) : 1.0);
  BULWARK_CHECK(mn >= b.lower - tol && mx <= b.upper + tol, where, ": x must lie within the bounds ",
                b.repr(), ", got values in [", mn, ", ", mx,
                "]; pass bounds= to the classifier if the model expects another range");
}

void Classifier::check_before_forward(const at::Tensor& x, const char* where) const {
  if (trusted == this) {
    check_structure(x, where);
  } else {
    check_input(x, where);
  }
}

at::Tensor Classifier::checked_forward(const at::Tensor& x, const char* where) {
  check_before_forward(x, where);
  at::Tensor z = forward_impl(x);
  check_logits_out(x, z, where);
  return z;
}

LogitsAndFeatures Classifier::logits_and_features(const at::Tensor& x) {
  constexpr const char* where = "Classifier.logits_and_features";
  BULWARK_CHECK(has_features(), where, ": this ", name(), " does not expose penultimate features "
                "(C++: ModuleClassifier::expose_features; Python: Classifier(model, features=...) or a "
                "model with a logits_and_features method)");
  check_before_forward(x, where);
  LogitsAndFeatures out = logits_and_features_impl(x);
  check_logits_out(x, out.logits, where);
  const at::Tensor& f = out.features;
  BULWARK_CHECK_TYPE(f.defined() && at::isFloatingType(f.scalar_type()), where,
                     ": the model's features must be a floating-point tensor");
  BULWARK_CHECK_SHAPE(f.dim() == 2 && f.size(0) == x.size(0), where,
                      ": the model's features must have shape (N, D) = (", x.size(0), ", D), got ", f.sizes());
  return out;
}

LogitsAndFeatures Classifier::logits_and_features_impl(const at::Tensor& /*x*/) {
  throw InvalidArgument(detail::str(name(), " does not expose penultimate features"));
}

void Classifier::check_logits_out(const at::Tensor& x, const at::Tensor& z, const char* where) {
  const int64_t n = x.size(0);
  count({1, n, 0, 0});
  BULWARK_CHECK_TYPE(z.defined(), where, ": the model returned an undefined tensor");
  BULWARK_CHECK_TYPE(at::isFloatingType(z.scalar_type()), where,
                     ": the model must return floating-point logits, got dtype ", z.scalar_type());
  BULWARK_CHECK_SHAPE(z.dim() == 2 && z.size(0) == n, where,
                      ": the model must return logits of shape (N, K) = (", n,
                      ", K), got shape ", z.sizes());
  BULWARK_CHECK(z.device() == x.device(), where, ": the model returned logits on ", z.device(),
                " for x on ", x.device());
  const int64_t k = z.size(1);
  int64_t expected = -1;
  if (!num_classes_.compare_exchange_strong(expected, k)) {
    BULWARK_CHECK_SHAPE(expected == k, where, ": the model returned ", k,
                        " logits per sample, expected num_classes = ", expected);
  }
  BULWARK_CHECK_SHAPE(k >= 2, where, ": the model must return K >= 2 logits per sample, got ", k,
                      " (for a binary model return two logits, e.g. [0, z])");
  // A NaN logit must never read as a misclassification (an attack "success") or as robust.
  check_finite(z, where, "the model's logits");
}

at::Tensor Classifier::logits(const at::Tensor& x) { return checked_forward(x, "Classifier.logits"); }

at::Tensor Classifier::predict(const at::Tensor& x) {
  at::NoGradGuard no_grad;
  return checked_forward(x, "Classifier.predict").argmax(1);
}

LogitsAndGrad Classifier::logits_and_grad(const at::Tensor& x, const LossFn& loss_fn) {
  constexpr const char* where = "Classifier.logits_and_grad";
  BULWARK_CHECK_TYPE(static_cast<bool>(loss_fn), where, ": loss is empty");
  torch::autograd::AutoGradMode grad_on(true);
  // A leaf of our own: never the caller's tensor, never an inference tensor.
  at::Tensor xg = (x.defined() && x.is_inference()) ? x.clone() : x.detach();
  xg.requires_grad_(true);
  at::Tensor z = checked_forward(xg, where);
  at::Tensor loss = loss_fn(z);
  const int64_t n = x.size(0);
  BULWARK_CHECK_SHAPE(loss.defined() && (loss.dim() == 0 || loss.sizes().equals({n})), where,
                      ": the loss must return a scalar or per-sample losses of shape (", n,
                      "), got ", loss.defined() ? loss.sizes() : c10::IntArrayRef{});
  at::Tensor total = loss.dim() == 0 ? loss : loss.sum();
  auto grads = torch::autograd::grad({total}, {xg}, /*grad_outputs=*/{}, /*retain_graph=*/false,
                                     /*create_graph=*/false, /*allow_unused=*/true);
  count({0, 0, 1, n});
  at::Tensor g = grads[0].defined() ? grads[0] : at::zeros_like(x);
  // A NaN gradient would make every step a no-op and the sample "robust": an error instead.
  check_finite(g, where, "the gradient of the loss w.r.t. x");
  return {z.detach(), loss.detach(), g};
}

LogitsAndJacobian Classifier::logits_and_jacobian(const at::Tensor& x, const at::Tensor& classes) {
  constexpr const char* where = "Classifier.logits_and_jacobian";
  torch::autograd::AutoGradMode grad_on(true);
  at::Tensor xg = (x.defined() && x.is_inference()) ? x.clone() : x.detach();
  xg.requires_grad_(true);
  at::Tensor z = checked_forward(xg, where);
  const int64_t n = x.size(0), k = z.size(1);
  at::Tensor picks = classes;
  if (!picks.defined()) {
    picks = at::arange(k, z.options().dtype(at::kLong)).expand({n, k});
  } else {
    BULWARK_CHECK_SHAPE(picks.dim() == 2 && picks.size(0) == n && picks.size(1) >= 1, where,
                        ": classes must have shape (N, C) = (", n, ", C), got ", picks.sizes());
    BULWARK_CHECK_TYPE(picks.scalar_type() == at::kLong, where,
                       ": classes must be int64, got dtype ", picks.scalar_type());
    BULWARK_CHECK(picks.min().item<int64_t>() >= 0 && picks.max().item<int64_t>() < k, where,
                  ": classes must lie in [0, K) = [0, ", k, ")");
  }
  const at::Tensor picked = z.gather(1, picks.to(z.device()));  // (N, C)
  const int64_t c = picked.size(1);
  std::vector<at::Tensor> rows;
  rows.reserve(c);
  for (int64_t j = 0; j < c; ++j) {
    auto g = torch::autograd::grad({picked.select(1, j).sum()}, {xg}, {}, /*retain_graph=*/j + 1 < c,
                                   /*create_graph=*/false, /*allow_unused=*/true);
    rows.push_back(g[0].defined() ? g[0] : at::zeros_like(x));
    check_finite(rows.back(), where, "the gradients of the logits w.r.t. x");
  }
  count({0, 0, c, n * c});
  return {z.detach(), at::stack(rows, 1)};
}

int64_t Classifier::num_classes() const {
  const int64_t k = num_classes_.load();
  BULWARK_CHECK_AS(NotFittedError, k > 0, name(),
                   ": num_classes is unknown until the first call; pass num_classes= to the "
                   "classifier");
  return k;
}

void Classifier::count(const QueryCounts& c) { queries_.add(c); }

QueryCounts Classifier::queries() const { return queries_.load(); }

void Classifier::reset_queries() { queries_.reset(); }

std::string Classifier::repr() const {
  const int64_t k = num_classes_.load();
  std::string s = detail::str(name(), "(bounds=", options_.bounds.repr(),
                              ", num_classes=", k > 0 ? std::to_string(k) : std::string("None"));
  if (!options_.input_shape.empty()) {
    s += detail::str(", input_shape=", c10::IntArrayRef(options_.input_shape));
  }
  return s + (options_.eval_mode ? ", eval_mode=True)" : ", eval_mode=False)");
}

namespace detail {
void check_matches_parameter(const at::Tensor& x, const at::Tensor& param, const char* where) {
  if (!param.defined()) return;
  BULWARK_CHECK_TYPE(x.scalar_type() == param.scalar_type(), where, ": x has dtype ",
                     x.scalar_type(), " but the model's parameters are ", param.scalar_type(),
                     "; convert x (e.g. x.to(", param.scalar_type(), ")) or the model");
  BULWARK_CHECK(x.device() == param.device(), where, ": x is on ", x.device(),
                " but the model's parameters are on ", param.device(),
                "; move x or the model to the same device");
}
}  // namespace detail

}  // namespace bulwark
