#include <bulwark/calibration/calibrator.h>

#include <cmath>

#include <bulwark/calibration/binary_calibrators.h>
#include <bulwark/calibration/binning_calibrators.h>
#include <bulwark/calibration/linear_calibrators.h>
#include <bulwark/calibration/temperature_scaling.h>
#include <bulwark/core/error.h>
#include <bulwark/core/probabilities.h>

#include <ATen/ATen.h>

namespace bulwark::calibration {

namespace {
constexpr const char* kFormat = "bulwark.calibrator";

// Every kind a file may hold, default-constructed before read() fills it in.
using Kinds = SavedKinds<Calibrator, TemperatureScaling, VectorScaling, MatrixScaling, DirichletCalibration,
                         HistogramBinning, IsotonicCalibration, PlattScaling, BetaCalibration>;
}  // namespace

void Calibrator::check_scores(const at::Tensor& scores, const at::Tensor& labels, const std::string& where) const {
  const char* w = where.c_str();
  if (input() == Input::Binary) {
    check_binary(scores, labels, w);
    return;
  }
  // (N, K) floating point, labels in [0, K); the values: finite logits, or probability rows
  // (one pass of their own, which also rejects NaN and +-inf).
  const bool probabilities = input() == Input::Probabilities;
  check_logits(scores, labels, w, /*check_values=*/!probabilities);
  if (probabilities) check_probability_rows(scores, w, "scores", "pass logits=True for logits");
  if (!labels.defined() && fitted()) {
    BULWARK_CHECK_SHAPE(scores.size(1) == k_, where, ": fitted on K = ", k_, " classes, got ", scores.size(1));
  }
}

void Calibrator::check_fitted(const at::Tensor& scores, const std::string& where) const {
  BULWARK_CHECK_AS(NotFittedError, fitted(), where, ": call fit() first");
  check_scores(scores, at::Tensor(), where);
}

Calibrator& Calibrator::fit(const at::Tensor& scores, const at::Tensor& labels) {
  const std::string where = kind() + ".fit";
  BULWARK_CHECK_TYPE(labels.defined(), where, ": labels is an undefined tensor");
  check_scores(scores, labels, where);
  at::NoGradGuard no_grad;
  fit_impl(widen_half(scores.detach()), labels);  // half precision: computed in float32
  k_ = input() == Input::Binary ? 2 : scores.size(1);
  return *this;
}

at::Tensor Calibrator::predict_proba(const at::Tensor& scores) const {
  const std::string where = kind() + ".predict_proba";
  check_fitted(scores, where);
  at::NoGradGuard no_grad;
  const at::Tensor out = predict_proba_impl(widen_half(scores.detach()));
  // Finite inputs and fitted (or loaded and range-checked) parameters give finite probabilities;
  // anything else is reported, never returned.
  check_finite(out, where.c_str(), "the calibrated probabilities");
  return out.to(scores.device(), scores.scalar_type());
}

void Calibrator::save(const std::string& path) const {
  BULWARK_CHECK_AS(NotFittedError, fitted(), kind(), ".save: call fit() first");
  json::Object o;
  write_header(o, kFormat, kind());
  o.set("num_classes", static_cast<double>(k_));
  write(o);
  seal(o);
  o.write_file(path);
}

std::unique_ptr<Calibrator> load_calibrator(const std::string& path) {
  const json::Object o = json::Object::read_file(path);
  std::unique_ptr<Calibrator> c = Kinds::make(read_header(o, path, kFormat), path);
  const int64_t k = o.integer("num_classes", 2, int64_t{1} << 40);
  c->k_ = static_cast<int64_t>(k);
  c->read(o, path);
  return c;
}

}  // namespace bulwark::calibration
