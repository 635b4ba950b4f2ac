#pragma once
// Detectors that read only the logits z (N, K); outlier scores, higher = more OOD:
//   MSP (Hendrycks & Gimpel 2017):        -max_k softmax(z)_k
//   MaxLogit (Hendrycks et al. 2022):     -max_k z_k
//   Energy (Liu et al. 2020):             -T logsumexp(z / T)   (the free energy)
//   Entropy:                              -sum_k p_k log p_k,  p = softmax(z)

#include <string>

#include <bulwark/ood/detector.h>

namespace bulwark::ood {

class MSP : public LogitDetector {
 public:
  std::string kind() const override { return "MSP"; }
  static MSP load(const std::string& path) { return load_as<MSP>(path); }

 protected:
  at::Tensor score_impl(const at::Tensor& logits) const override;
  void write(json::Object&) const override {}
  void read(const json::Object&, const std::string&) override {}
};

class MaxLogit : public LogitDetector {
 public:
  std::string kind() const override { return "MaxLogit"; }
  static MaxLogit load(const std::string& path) { return load_as<MaxLogit>(path); }

 protected:
  at::Tensor score_impl(const at::Tensor& logits) const override;
  void write(json::Object&) const override {}
  void read(const json::Object&, const std::string&) override {}
};

class Energy : public LogitDetector {
 public:
  explicit Energy(double temperature = 1.0);
  std::string kind() const override { return "Energy"; }
  double temperature() const { return temperature_; }
  static Energy load(const std::string& path) { return load_as<Energy>(path); }

 protected:
  at::Tensor score_impl(const at::Tensor& logits) const override;
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;

 private:
  double temperature_;
};

class Entropy : public LogitDetector {
 public:
  std::string kind() const override { return "Entropy"; }
  static Entropy load(const std::string& path) { return load_as<Entropy>(path); }

 protected:
  at::Tensor score_impl(const at::Tensor& logits) const override;
  void write(json::Object&) const override {}
  void read(const json::Object&, const std::string&) override {}
};

}  // namespace bulwark::ood
