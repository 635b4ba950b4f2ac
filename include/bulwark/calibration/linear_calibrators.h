#pragma once
// Calibrators that apply an affine map to logits (or log-probabilities) before the softmax,
// fitted by minimising the penalised mean NLL to a gradient tolerance (the objective is convex,
// so this is its minimiser, not an early-stopped iterate): Newton's method with the exact
// Hessian while there are at most kNewtonMaxParameters parameters (matrix maps up to K = 24,
// as the reference implementation uses Newton for small K), L-BFGS beyond:
//   VectorScaling (Guo et al. 2017):           q = softmax(w * z + b),   w, b in R^K
//   MatrixScaling (Guo et al. 2017):           q = softmax(W z + b),     W in R^{K x K}
//   DirichletCalibration (Kull et al. 2019):   q = softmax(W log p + b)
// The penalty, one formula for all three:
//   identity * ||W - I||_F^2 + offdiag * sum_{i != j} W_ij^2 + bias * ||b||^2
// Vector and matrix scaling: identity = bias = reg (L2 towards the identity map).
// Dirichlet: ODIR (Kull et al. 2019), offdiag = lambda / (K (K - 1)), bias = mu / K.
// Every fit starts from the identity map (W = I, b = 0).

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

#include <bulwark/calibration/calibrator.h>

namespace bulwark::calibration {

constexpr int64_t kNewtonMaxParameters = 600;

struct AffineFitOptions {
  // Newton / L-BFGS stop when max |gradient| <= gtol, or at the objective's rounding floor (where no
  // line search can measure a decrease); fit() raises if the gradient there exceeds 1e-6.
  double gtol = 1e-8;
  int64_t max_iter = 1000;  // iterations of either method
};

class AffineCalibrator : public Calibrator {
 public:
  at::Tensor transform(const at::Tensor& scores) const;  // calibrated logits W x + b; predict_proba: their softmax
  bool fitted() const override { return bias_.defined(); }

  at::Tensor weight() const;  // (K,) for vector scaling, (K, K) otherwise; float64
  at::Tensor bias() const;    // (K,)
  int64_t iterations() const { return iterations_; }
  double objective() const { return objective_; }  // penalised mean NLL at the fit
  double grad_max() const { return grad_max_; }    // max |gradient| at the fit
  bool logits() const { return logits_; }          // Dirichlet: inputs are logits, not probabilities
  const AffineFitOptions& fit_options() const { return options_; }

 protected:
  Input input() const override { return log_prob_input_ && !logits_ ? Input::Probabilities : Input::Logits; }
  void fit_impl(const at::Tensor& scores, const at::Tensor& labels) override;
  at::Tensor predict_proba_impl(const at::Tensor& scores) const override;
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;

  struct Penalty {
    double identity = 0, offdiag = 0, bias = 0;
  };
  AffineCalibrator(bool diagonal, bool log_prob_input, bool logits, AffineFitOptions options);
  virtual Penalty penalty(int64_t k) const = 0;
  // The fitted map's input from checked scores (float64, CPU): logits, or log-probabilities
  // (from probabilities or logits).
  at::Tensor features(const at::Tensor& scores) const;
  // W x + b in float64.
  at::Tensor affine(const at::Tensor& x) const;

  bool diagonal_, log_prob_input_, logits_;
  AffineFitOptions options_;
  at::Tensor weight_, bias_;
  int64_t iterations_ = 0;
  double objective_ = 0, grad_max_ = 0;
};

// Vector and matrix scaling: the penalty reg * (||W - I||_F^2 + ||b||^2).
class ScalingToIdentity : public AffineCalibrator {
 public:
  double reg() const { return reg_; }

 protected:
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;
  ScalingToIdentity(bool diagonal, double reg, AffineFitOptions options);
  Penalty penalty(int64_t) const override { return {reg_, 0, reg_}; }

 private:
  double reg_;
};

class VectorScaling : public ScalingToIdentity {
 public:
  explicit VectorScaling(double reg = 0, AffineFitOptions options = {})
      : ScalingToIdentity(/*diagonal=*/true, reg, options) {}
  std::string kind() const override { return "VectorScaling"; }
  static VectorScaling load(const std::string& path) { return load_as<VectorScaling>(path); }
};

class MatrixScaling : public ScalingToIdentity {
 public:
  explicit MatrixScaling(double reg = 1e-3, AffineFitOptions options = {})
      : ScalingToIdentity(/*diagonal=*/false, reg, options) {}
  std::string kind() const override { return "MatrixScaling"; }
  static MatrixScaling load(const std::string& path) { return load_as<MatrixScaling>(path); }
};

// On probabilities (N, K) by default; logits = true takes logits (log-probabilities by log_softmax).
class DirichletCalibration : public AffineCalibrator {
 public:
  explicit DirichletCalibration(double reg_lambda = 1e-3, double reg_mu = 1e-3, bool logits = false,
                                AffineFitOptions options = {});
  std::string kind() const override { return "DirichletCalibration"; }
  static DirichletCalibration load(const std::string& path) { return load_as<DirichletCalibration>(path); }
  double reg_lambda() const { return lambda_; }
  double reg_mu() const { return mu_; }

 protected:
  void write(json::Object& o) const override;
  void read(const json::Object& o, const std::string& path) override;
  Penalty penalty(int64_t k) const override {
    return {0, lambda_ / static_cast<double>(k * (k - 1)), mu_ / static_cast<double>(k)};
  }

 private:
  double lambda_, mu_;
};

}  // namespace bulwark::calibration
