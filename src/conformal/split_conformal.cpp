#include <bulwark/conformal/split_conformal.h>

#include <cmath>
#include <string>

#include <bulwark/conformal/class_conditional.h>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/probabilities.h>
#include <bulwark/core/random.h>
#include <bulwark/core/saved_object.h>
#include <bulwark/losses/classification.h>

namespace bulwark::conformal {

int64_t conformal_rank(int64_t n, double alpha) {
  // A hair below the exact product so that e.g. (9 + 1)(1 - 0.1) = 9.000000000000002 gives 9.
  return static_cast<int64_t>(std::ceil(static_cast<double>(n + 1) * (1 - alpha) - 1e-9));
}

double conformal_quantile(const at::Tensor& scores, double alpha, const char* where) {
  const int64_t n = scores.numel();
  const int64_t k = conformal_rank(n, alpha);
  BULWARK_CHECK(k <= n, where, ": ", n, " calibration points are too few for alpha = ", alpha,
                ": the conformal quantile is the ceil((n + 1)(1 - alpha)) = ", k,
                "-th smallest score; it needs n >= 1/alpha - 1 = ",
                static_cast<int64_t>(std::ceil(1.0 / alpha - 1 - 1e-9)), " points");
  BULWARK_CHECK(k >= 1, where, ": alpha = ", alpha, " leaves no score below the quantile");
  const at::Tensor flat = scores.reshape({-1}).to(at::kCPU, at::kDouble);
  return std::get<0>(flat.kthvalue(k)).item<double>();
}

void SplitConformal::check_options(ConformalOptions& options, const std::string& owner) {
  BULWARK_CHECK(options.alpha > 0 && options.alpha < 1, owner, ": alpha must be in (0, 1), got ", options.alpha);
  options.score.validate(owner.c_str());
  options.score.lam = options.score.lam_value();  // the score's default, resolved and reported
  if (!options.seed) options.seed = default_seed();
}

SplitConformal::SplitConformal(ConformalOptions options) : options_(std::move(options)) {
  check_options(options_, "SplitConformal");
}

at::Tensor SplitConformal::probabilities(const at::Tensor& scores, const char* where) const {
  BULWARK_CHECK_TYPE(scores.defined(), where, ": scores is an undefined tensor");
  if (!options_.logits) {
    check_probabilities(scores, where, "probs");
    return scores.detach();
  }
  BULWARK_CHECK_TYPE(at::isFloatingType(scores.scalar_type()), where,
                     ": logits must be floating point, got dtype ", scores.scalar_type());
  BULWARK_CHECK_SHAPE(scores.dim() == 2 && scores.size(1) >= 2 && scores.size(0) >= 1, where,
                      ": logits must have shape (N, K) with N >= 1, K >= 2, got ", scores.sizes());
  check_finite(scores, where, "logits");
  return at::softmax(scores.detach().to(at::kDouble), 1);
}

at::Tensor SplitConformal::uniforms(int64_t n, uint64_t stream) const {
  at::Generator gen = make_generator(derive_seed(*options_.seed, stream));
  return at::rand({n}, gen, at::TensorOptions(at::kDouble));
}

SplitConformal& SplitConformal::fit(const at::Tensor& scores, const at::Tensor& labels) {
  const std::string where = std::string(kind()) + ".fit";
  const at::Tensor p = probabilities(scores, where.c_str());
  losses::check_labels(labels, p.size(0), p.size(1), where.c_str(), "labels");
  k_ = p.size(1);
  n_ = p.size(0);
  calibrate(label_scores(options_.score, p, labels, uniforms(p.size(0), 0)), labels);
  return *this;
}

void SplitConformal::calibrate(const at::Tensor& s, const at::Tensor& /*labels*/) {
  threshold_ = conformal_quantile(s, options_.alpha, (std::string(kind()) + ".fit").c_str());
}

at::Tensor SplitConformal::set_thresholds() const {
  return at::full({1}, *threshold_, at::kDouble);
}

at::Tensor SplitConformal::predict(const at::Tensor& scores) const {
  const std::string where = std::string(kind()) + ".predict";
  BULWARK_CHECK_AS(NotFittedError, fitted(), where, ": call fit() first");
  const at::Tensor p = probabilities(scores, where.c_str());
  BULWARK_CHECK_SHAPE(p.size(1) == k_, where, ": fitted on K = ", k_, " classes, got ",
                      p.size(1));
  return prediction_sets(options_.score, p, set_thresholds(), uniforms(p.size(0), 1));
}

double SplitConformal::threshold() const {
  BULWARK_CHECK_AS(NotFittedError, fitted(), "SplitConformal.threshold: call fit() first");
  return *threshold_;
}

int64_t SplitConformal::num_classes() const {
  BULWARK_CHECK_AS(NotFittedError, fitted(), "SplitConformal.num_classes: call fit() first");
  return k_;
}

std::string SplitConformal::repr() const {
  return detail::str("SplitConformal(score=", options_.score.repr(), ", alpha=", options_.alpha,
                     ", input='", options_.logits ? "logits" : "probs", "', seed=", *options_.seed,
                     ")");
}

namespace {
constexpr const char* kFormat = "bulwark.conformal";
using Kinds = SavedKinds<SplitConformal, SplitConformal, ClassConditionalConformal>;
}  // namespace

void SplitConformal::write(json::Object& o) const {
  o.set("score", to_string(options_.score.kind))
      .set("randomized", options_.score.randomized)
      .set("lam", options_.score.lam_value())
      .set("k_reg", static_cast<double>(options_.score.k_reg))
      .set("alpha", options_.alpha)
      .set("input", std::string(options_.logits ? "logits" : "probs"))
      .set("seed", std::to_string(*options_.seed))
      .set("num_classes", static_cast<double>(k_))
      .set("n_calibration", static_cast<double>(n_))
      .set("threshold", *threshold_);
}

void SplitConformal::read(const json::Object& o, const std::string& path) {
  ConformalOptions opts;
  opts.score.kind = parse_score(o.string("score"), (path + ": score").c_str());
  opts.score.randomized = o.boolean("randomized");
  opts.score.lam = o.number("lam");
  opts.score.k_reg = o.integer("k_reg", 0, int64_t{1} << 40);
  opts.alpha = o.number("alpha");
  opts.logits = o.string("input") == "logits";
  try {
    opts.seed = std::stoull(o.string("seed"));
  } catch (const std::exception&) {
    throw FormatError(detail::str(path, ": field 'seed' is not an unsigned integer"));
  }
  try {
    check_options(opts, kind());
  } catch (const InvalidArgument& e) {
    throw FormatError(detail::str(path, ": ", e.what()));
  }
  options_ = opts;
  k_ = o.integer("num_classes", 2, int64_t{1} << 40);
  n_ = o.integer("n_calibration", 1, int64_t{1} << 50);
  threshold_ = o.number("threshold");
}

void SplitConformal::save(const std::string& path) const {
  BULWARK_CHECK_AS(NotFittedError, fitted(), repr(), ".save: call fit() first");
  json::Object o;
  write_header(o, kFormat, kind());
  write(o);
  seal(o);
  o.write_file(path);
}

std::shared_ptr<SplitConformal> SplitConformal::load(const std::string& path) {
  const json::Object o = json::Object::read_file(path);
  std::unique_ptr<SplitConformal> out = Kinds::make(read_header(o, path, kFormat), path);
  out->read(o, path);
  return out;
}

}  // namespace bulwark::conformal
