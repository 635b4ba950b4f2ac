#include <bulwark/conformal/class_conditional.h>

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>

namespace bulwark::conformal {

ClassConditionalConformal::ClassConditionalConformal(ConformalOptions options)
    : SplitConformal(std::move(options)) {}

void ClassConditionalConformal::calibrate(const at::Tensor& s, const at::Tensor& labels) {
  const at::Tensor y = labels.to(at::kCPU);
  thresholds_ = at::full({k_}, std::numeric_limits<double>::infinity(), at::kDouble);
  small_.clear();
  for (int64_t c = 0; c < k_; ++c) {
    const at::Tensor sc = s.index({y.eq(c)});
    if (conformal_rank(sc.numel(), options_.alpha) > sc.numel()) {
      small_.push_back(c);
      continue;
    }
    thresholds_[c] = conformal_quantile(sc, options_.alpha, "ClassConditionalConformal.fit");
  }
  threshold_ = thresholds_.max().item<double>();
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

void ClassConditionalConformal::read(const json::Object& o, const std::string& path) {
  SplitConformal::read(o, path);
  const std::vector<double> t = o.numbers("thresholds");
  BULWARK_CHECK_AS(FormatError, static_cast<int64_t>(t.size()) == k_, path, ": ", t.size(),
                   " thresholds for K = ", k_);
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
