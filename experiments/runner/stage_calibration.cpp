// The calibration stage: each calibrator of calibration.calibrators (temperature scaling, Guo et
// al. 2017, first by default) fitted on the calibration images, clean or PGD-perturbed, and
// ECE / NLL / Brier / accuracy with reliability curves before and after, on the clean and the
// PGD-perturbed evaluation images.
#include <memory>

#include <ATen/ATen.h>

#include <bulwark/calibration/binning_calibrators.h>
#include <bulwark/calibration/linear_calibrators.h>
#include <bulwark/calibration/temperature_scaling.h>
#include <bulwark/core/error.h>
#include <bulwark/core/progress.h>
#include <bulwark/metrics/calibration_metrics.h>

#include "experiment.h"

namespace bulwark::experiments {

namespace {
// Metrics and the reliability curve of scores (logits, or probabilities when !logits) against
// labels.
Json calibration_report(const at::Tensor& scores, const at::Tensor& labels, bool logits, int64_t bins) {
  metrics::Binning b;
  b.bins = bins;
  Json r = Json::object();
  r["accuracy"] = scores.argmax(1).eq(labels).to(at::kDouble).mean().item<double>();
  r["ece"] = metrics::ece(scores, labels, logits, b);
  r["mce"] = metrics::mce(scores, labels, logits, b);
  r["nll"] = metrics::nll(scores, labels, logits);
  r["brier"] = metrics::brier(scores, labels, logits);
  const auto [confidence, correct] = metrics::top_label(scores, labels, logits, "calibration");
  r["mean_confidence"] = confidence.mean().item<double>();
  const auto curve = metrics::reliability_curve(confidence, correct, b);
  Json& rc = r["reliability"];
  rc["confidence"] = tensor_json(curve.confidence);
  rc["accuracy"] = tensor_json(curve.accuracy);
  rc["count"] = tensor_json(curve.count);
  rc["edges"] = tensor_json(curve.edges);
  return r;
}

// Every calibrator takes the logits (the probability-based ones with their `logits` flag on).
std::unique_ptr<calibration::Calibrator> make_calibrator(const std::string& name, int64_t bins) {
  if (name == "temperature") return std::make_unique<calibration::TemperatureScaling>();
  if (name == "vector") return std::make_unique<calibration::VectorScaling>();
  if (name == "matrix") return std::make_unique<calibration::MatrixScaling>();
  if (name == "dirichlet") return std::make_unique<calibration::DirichletCalibration>(1e-3, 1e-3, /*logits=*/true);
  if (name == "histogram") return std::make_unique<calibration::HistogramBinning>(bins, false, /*logits=*/true);
  if (name == "isotonic") return std::make_unique<calibration::IsotonicCalibration>(/*logits=*/true);
  throw InvalidArgument(detail::str("calibration.calibrators: unknown calibrator '", name, "'"));
}

// The calibrated scores of `logits` and whether they are logits: temperature scaling reports
// on z / T (exactly its softmax), the others on their probabilities.
std::pair<at::Tensor, bool> calibrated(const calibration::Calibrator& cal, const at::Tensor& logits) {
  if (const auto* ts = dynamic_cast<const calibration::TemperatureScaling*>(&cal)) return {ts->transform(logits), true};
  return {cal.predict_proba(logits), false};
}
}  // namespace

void calibration_stage(Experiment& e) {
  const Config& c = e.config();
  auto& models = e.trained_models("calibration");
  const auto& cal = e.calibration_set();
  const auto& eval = e.eval_set();
  Json& out = e.results()["calibration"];
  Table& table = e.new_table("calibration", {"defense", "data", "calibrator", "accuracy", "ece", "nll", "brier"});
  Progress bar("calibration", static_cast<int64_t>(models.size()));
  int64_t done = 0;
  for (const TrainedModel& m : models) {
    Json& r = out[m.defense];
    r["adversarial_eps"] = c.adversarial_eps;
    const at::Tensor& cal_clean = e.logits(m, true, false);
    const at::Tensor& cal_adv = e.logits(m, true, true);
    const at::Tensor& eval_clean = e.logits(m, false, false);
    const at::Tensor& eval_adv = e.logits(m, false, true);
    // Each calibrator fitted twice: on clean and on adversarial calibration logits.
    std::vector<std::pair<std::string, std::unique_ptr<calibration::Calibrator>>> fitted;
    for (const std::string& name : c.calibrator_list) {
      for (const auto& [suffix, logits] : {std::pair<const char*, const at::Tensor*>{"_clean", &cal_clean},
                                           std::pair<const char*, const at::Tensor*>{"_adversarial", &cal_adv}}) {
        auto cal_obj = make_calibrator(name, c.bins);
        cal_obj->fit(*logits, cal.labels);
        if (const auto* ts = dynamic_cast<const calibration::TemperatureScaling*>(cal_obj.get())) {
          r["temperature"][std::string("fitted_on") + suffix] = ts->temperature();
        }
        fitted.emplace_back(name + suffix, std::move(cal_obj));
      }
    }
    const std::pair<const char*, const at::Tensor*> data[] = {{"clean", &eval_clean}, {"adversarial", &eval_adv}};
    for (const auto& [name, logits] : data) {
      Json& d = r[name];
      auto add = [&, name = name](const std::string& calibrator, const at::Tensor& scores, bool are_logits) {
        Json& v = d[calibrator];
        v = calibration_report(scores, eval.labels, are_logits, c.bins);
        table.rows.push_back({m.defense, name, calibrator, cell(number_at(v, "accuracy")), cell(number_at(v, "ece")),
                              cell(number_at(v, "nll")), cell(number_at(v, "brier"))});
      };
      add("uncalibrated", *logits, true);
      for (const auto& [calibrator, obj] : fitted) {
        const auto [scores, are_logits] = calibrated(*obj, *logits);
        add(calibrator, scores, are_logits);
      }
    }
    bar.update(++done, m.defense);
  }
  bar.finish();
}

}  // namespace bulwark::experiments
