// The calibration stage: temperature scaling (Guo et al. 2017) fitted on the calibration images,
// clean or PGD-perturbed, and ECE / NLL / Brier / accuracy with reliability curves before and
// after, on the clean and the PGD-perturbed evaluation images.
#include <ATen/ATen.h>

#include <bulwark/calibration/temperature_scaling.h>
#include <bulwark/core/progress.h>
#include <bulwark/metrics/calibration_metrics.h>

#include "experiment.h"

namespace bulwark::experiments {

namespace {
// Metrics and the reliability curve of logits against labels.
Json calibration_report(const at::Tensor& logits, const at::Tensor& labels, int64_t bins) {
  metrics::Binning b;
  b.bins = bins;
  Json r = Json::object();
  r["accuracy"] = logits.argmax(1).eq(labels).to(at::kDouble).mean().item<double>();
  r["ece"] = metrics::ece(logits, labels, /*logits=*/true, b);
  r["mce"] = metrics::mce(logits, labels, true, b);
  r["nll"] = metrics::nll(logits, labels, true);
  r["brier"] = metrics::brier(logits, labels, true);
  const auto [confidence, correct] = metrics::top_label(logits, labels, true, "calibration");
  r["mean_confidence"] = confidence.mean().item<double>();
  const auto curve = metrics::reliability_curve(confidence, correct, b);
  Json& rc = r["reliability"];
  rc["confidence"] = Json::from_tensor(curve.confidence);
  rc["accuracy"] = Json::from_tensor(curve.accuracy);
  rc["count"] = Json::from_tensor(curve.count);
  rc["edges"] = Json::from_tensor(curve.edges);
  return r;
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
    calibration::TemperatureScaling on_clean, on_adv;
    on_clean.fit(cal_clean, cal.labels);
    on_adv.fit(cal_adv, cal.labels);
    r["temperature"]["fitted_on_clean"] = on_clean.temperature();
    r["temperature"]["fitted_on_adversarial"] = on_adv.temperature();
    const std::pair<const char*, const at::Tensor*> data[] = {{"clean", &eval_clean}, {"adversarial", &eval_adv}};
    for (const auto& [name, logits] : data) {
      Json& d = r[name];
      const std::pair<const char*, at::Tensor> variants[] = {
          {"uncalibrated", *logits},
          {"temperature_clean", on_clean.transform(*logits)},
          {"temperature_adversarial", on_adv.transform(*logits)}};
      for (const auto& [calibrator, z] : variants) {
        Json& v = d[calibrator];
        v = calibration_report(z, eval.labels, c.bins);
        table.rows.push_back({m.defense, name, calibrator, cell(v.number("accuracy")), cell(v.number("ece")),
                              cell(v.number("nll")), cell(v.number("brier"))});
      }
    }
    bar.update(++done, m.defense);
  }
  bar.finish();
}

}  // namespace bulwark::experiments
