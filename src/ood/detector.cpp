#include <bulwark/ood/detector.h>

#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/probabilities.h>
#include <bulwark/ood/gradnorm.h>
#include <bulwark/ood/knn.h>
#include <bulwark/ood/logit_detectors.h>
#include <bulwark/ood/mahalanobis.h>
#include <bulwark/ood/odin.h>
#include <bulwark/ood/react.h>
#include <bulwark/ood/vim.h>

namespace bulwark::ood {

namespace {
constexpr const char* kFormat = "bulwark.ood_detector";

// Every kind a file may hold, default-constructed before read() fills it in.
using Kinds = SavedKinds<Detector, MSP, MaxLogit, Energy, Entropy, ODIN, Mahalanobis, KNN, ViM, ReAct, GradNorm>;
}  // namespace

void Detector::save(const std::string& path) const {
  BULWARK_CHECK_AS(NotFittedError, fitted(), kind(), ".save: call fit() first");
  json::Object o;
  write_header(o, kFormat, kind());
  write(o);
  seal(o);
  o.write_file(path);
}

std::unique_ptr<Detector> load_detector(const std::string& path) {
  const json::Object o = json::Object::read_file(path);
  std::unique_ptr<Detector> d = Kinds::make(read_header(o, path, kFormat), path);
  d->read(o, path);
  return d;
}

namespace {
// Finite inputs and fitted (or loaded and range-checked) parameters give finite scores; anything
// else is reported, never returned as an OOD score.
at::Tensor checked_scores(at::Tensor scores, const std::string& where) {
  check_finite(scores, where.c_str(), "the detector's scores");
  return scores;
}
}  // namespace

// Half-precision logits and features are scored in float32 (core/probabilities.h: widen_half).
at::Tensor LogitDetector::score(const at::Tensor& logits) const {
  check_logits(logits, (kind() + ".score").c_str());
  at::NoGradGuard no_grad;
  return checked_scores(score_impl(widen_half(logits.detach())), kind() + ".score");
}

FeatureDetector& FeatureDetector::fit(const at::Tensor& features, const at::Tensor& labels) {
  const std::string where = kind() + ".fit";
  check_matrix(features, where.c_str(), "features", expected_dim());
  at::NoGradGuard no_grad;
  fit_impl(widen_half(features.detach()), labels);
  dim_ = features.size(1);
  return *this;
}

at::Tensor FeatureDetector::score(const at::Tensor& features) const {
  const std::string where = kind() + ".score";
  BULWARK_CHECK_AS(NotFittedError, fitted(), where, ": call fit() first");
  check_matrix(features, where.c_str(), "features", dim_);
  at::NoGradGuard no_grad;
  return checked_scores(score_impl(widen_half(features.detach())), where);
}

void check_matrix(const at::Tensor& x, const char* where, const char* arg, int64_t dim) {
  BULWARK_CHECK_TYPE(x.defined() && at::isFloatingType(x.scalar_type()), where, ": ", arg,
                     " must be a floating-point tensor (N, D)");
  BULWARK_CHECK_SHAPE(x.dim() == 2 && x.size(0) >= 1 && x.size(1) >= 1, where, ": ", arg,
                      " must have shape (N, D) with N >= 1, got ", x.sizes());
  BULWARK_CHECK_SHAPE(dim <= 0 || x.size(1) == dim, where, ": ", arg, " have D = ", x.size(1),
                      " but the detector was fitted on D = ", dim);
  check_finite(x, where, arg);
}

void check_logits(const at::Tensor& logits, const char* where) {
  check_matrix(logits, where, "logits");
  BULWARK_CHECK_SHAPE(logits.size(1) >= 2, where, ": logits need K >= 2 classes, got K = ", logits.size(1));
}

void check_last_layer(const at::Tensor& weight, const at::Tensor& bias, const char* where) {
  check_matrix(weight, where, "weight");
  BULWARK_CHECK_SHAPE(weight.size(0) >= 2, where, ": weight must be (K, D) with K >= 2 classes, got ",
                      weight.sizes());
  BULWARK_CHECK_TYPE(bias.defined() && at::isFloatingType(bias.scalar_type()), where,
                     ": bias must be a floating-point tensor (K,)");
  BULWARK_CHECK_SHAPE(bias.dim() == 1 && bias.size(0) == weight.size(0), where, ": bias must have shape (K,) = (",
                      weight.size(0), ",), got ", bias.sizes());
  check_matrix(bias.unsqueeze(0), where, "bias");
}

}  // namespace bulwark::ood
