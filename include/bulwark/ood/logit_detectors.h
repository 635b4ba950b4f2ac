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
  at::Tensor score(const at::Tensor& logits) const override;
  void write(json::Object&) const override {}
  void read(const json::Object&, const std::string&) override {}
  static MSP load(const std::string& path) { return load_as<MSP>(path); }
};

class MaxLogit : public LogitDetector {
 public:
  std::string kind() const override { return "MaxLogit"; }
  at::Tensor score(const at::Tensor& logits) const override;
  void write(json::Object&) const override {}
  void read(const json::Object&, const std::string&) override {}
  static MaxLogit load(const std::string& path) { return load_as<MaxLogit>(path); }
};

class Energy : public LogitDetector {
 public:
  explicit Energy(double temperature = 1.0);
  std::string kind() const override { return "Energy"; }
  at::Tensor score(const at::Tensor& logits) const override;
  double temperature() const { return temperature_; }
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;
  static Energy load(const std::string& path) { return load_as<Energy>(path); }

 private:
  double temperature_;
};

class Entropy : public LogitDetector {
 public:
  std::string kind() const override { return "Entropy"; }
  at::Tensor score(const at::Tensor& logits) const override;
  void write(json::Object&) const override {}
  void read(const json::Object&, const std::string&) override {}
  static Entropy load(const std::string& path) { return load_as<Entropy>(path); }
};

// Throws unless logits is a finite floating (N, K) tensor, N >= 1, K >= 2.
void check_logits(const at::Tensor& logits, const char* where);

}  // namespace bulwark::ood
