#pragma once
// Class-conditional (Mondrian) conformal prediction (Vovk 2012; Vovk et al. 2005, Sec. 4.5): one
// conformal quantile per class, from the calibration points of that class, so that coverage
// holds for every class: P(y in C(x) | y = k) >= 1 - alpha. A class with fewer than
// 1/alpha - 1 calibration points has no finite quantile; its threshold is +inf (the class is in
// every set), which keeps the guarantee, and it is listed in small_classes().

#include <vector>

#include <bulwark/conformal/split_conformal.h>

namespace bulwark::conformal {

class ClassConditionalConformal : public SplitConformal {
 public:
  explicit ClassConditionalConformal(ConformalOptions options = {});

  std::string repr() const override;
  std::string kind() const override { return "ClassConditionalConformal"; }

  // (K,) double thresholds, +inf for the small classes.
  const at::Tensor& thresholds() const;
  const std::vector<int64_t>& small_classes() const { return small_; }

 protected:
  void calibrate(const at::Tensor& label_scores, const at::Tensor& labels) override;
  at::Tensor set_thresholds() const override { return thresholds_; }
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;

 private:
  at::Tensor thresholds_;
  std::vector<int64_t> small_;
};

}  // namespace bulwark::conformal
