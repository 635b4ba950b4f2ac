#pragma once
// ODIN (Liang, Li & Srikant 2018): temperature scaling plus a small input perturbation that
// raises the top softmax score more for in-distribution inputs than for outliers:
//   x~ = x - eps * sign(-grad_x log S_yhat(x; T)),  S(x; T) = softmax(f(x) / T), yhat = argmax,
// clamped to the classifier's input box; outlier score = -max_k S_k(x~; T).
// One forward-backward and one forward per batch through the Classifier (the model is never
// changed: parameters, their gradients and train/eval mode are as they were).

#include <string>

#include <bulwark/core/classifier.h>
#include <bulwark/ood/detector.h>

namespace bulwark::ood {

class ODIN : public Detector {
 public:
  explicit ODIN(double temperature = 1000, double eps = 0.0014);
  std::string kind() const override { return "ODIN"; }
  at::Tensor score(Classifier& model, const at::Tensor& x) const;
  double temperature() const { return temperature_; }
  double eps() const { return eps_; }
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;
  static ODIN load(const std::string& path) { return load_as<ODIN>(path); }

 private:
  double temperature_, eps_;
};

}  // namespace bulwark::ood
