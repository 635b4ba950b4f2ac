#include <bulwark/conformal/class_conditional.h>

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/losses/classification.h>

namespace bulwark::conformal {

ClassConditionalConformal::ClassConditionalConformal(ConformalOptions options)
    : SplitConformal(std::move(options)) {}

ClassConditionalConformal& ClassConditionalConformal::fit(const at::Tensor& scores,
                                                          const at::Tensor& labels) {
  constexpr const char* where = "ClassConditionalConformal.fit";
  const at::Tensor p = probabilities(scores, where);
  losses::check_labels(labels, p.size(0), p.size(1), where, "labels");
  const at::Tensor s = label_scores(options_.score, p, labels, uniforms(p.size(0), 0));
  const at::Tensor y = labels.to(at::kCPU);
  k_ = p.size(1);
  n_ = p.size(0);
  thresholds_ = at::full({k_}, std::numeric_limits<double>::infinity(), at::kDouble);
  small_.clear();
  for (int64_t c = 0; c < k_; ++c) {
    const at::Tensor sc = s.index({y.eq(c)});
    if (conformal_rank(sc.numel(), options_.alpha) > sc.numel()) {
      small_.push_back(c);
      continue;
    }
    thresholds_[c] = conformal_quantile(sc, options_.alpha, where);
  }
  threshold_ = thresholds_.max().item<double>();
  return *this;
}

at::Tensor ClassConditionalConformal::predict(const at::Tensor& scores) const {
  constexpr const char* where = "ClassConditionalConformal.predict";
  BULWARK_CHECK_AS(NotFittedError, fitted(), where, ": call fit() first");
  const at::Tensor p = probabilities(scores, where);
  BULWARK_CHECK_SHAPE(p.size(1) == k_, where, ": fitted on K = ", k_, " classes, got ",
                      p.size(1));
  return prediction_sets(options_.score, p, thresholds_, uniforms(p.size(0), 1));
}

const at::Tensor& ClassConditionalConformal::thresholds() const {
  BULWARK_CHECK_AS(NotFittedError, fitted(),
                   "ClassConditionalConformal.thresholds: call fit() first");
  return thresholds_;
}

void ClassConditionalConformal::write(json::Object& o) const {
  SplitConformal::write(o);
  const at::Tensor t = thresholds_.contiguous();
  o.set("thresholds", std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel()));
}

void ClassConditionalConformal::read(const json::Object& o) {
  SplitConformal::read(o);
  const std::vector<double> t = o.numbers("thresholds");
  BULWARK_CHECK_AS(FormatError, static_cast<int64_t>(t.size()) == k_,
                   "ClassConditionalConformal.load: ", t.size(), " thresholds for K = ", k_);
  thresholds_ = at::tensor(t, at::kDouble);
  small_.clear();
  for (int64_t c = 0; c < k_; ++c) {
    if (std::isinf(t[static_cast<size_t>(c)])) small_.push_back(c);
  }
}

std::string ClassConditionalConformal::repr() const {
  const std::string base = SplitConformal::repr();
  return "ClassConditionalConformal" + base.substr(base.find('('));
}

}  // namespace bulwark::conformal
