// The OOD stage: each detector of ood.detectors scores the evaluation images (in-distribution)
// and each OOD set of ood.sets, plus the PGD-perturbed evaluation images (are adversarial
// inputs flagged?). Feature detectors (Mahalanobis, KNN) are fitted on the penultimate features
// of ood.fit-samples training images. Per detector and set: AUROC, AUPR (in and out), FPR at
// 95% TPR (ID positive), score histograms on common edges (the pooled 0.5-99.5% quantile
// range; the tails land in the end bins), and the ROC curve.
#include <algorithm>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/progress.h>
#include <bulwark/core/random.h>
#include <bulwark/data/digits.h>
#include <bulwark/data/ood_sets.h>
#include <bulwark/metrics/ood_metrics.h>
#include <bulwark/ood/knn.h>
#include <bulwark/ood/logit_detectors.h>
#include <bulwark/ood/mahalanobis.h>

#include "experiment.h"

namespace bulwark::experiments {

namespace {
std::vector<std::pair<std::string, at::Tensor>> ood_sets(Experiment& e, const TrainedModel& m) {
  const Config& c = e.config();
  const auto& eval = e.eval_set();
  const int64_t n = c.ood_samples;
  const uint64_t seed = derive_seed(static_cast<uint64_t>(c.seed), 200);
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const std::string& name : c.ood_set_list) {
    at::Tensor x;
    if (name == "digits") {
      x = data::digits().inputs.slice(0, 0, n);
    } else if (name == "uniform-noise") {
      x = data::uniform_noise(n, {1, 28, 28}, seed).inputs;
    } else if (name == "gaussian-noise") {
      x = data::gaussian_noise(n, {1, 28, 28}, seed + 1).inputs;
    } else if (name == "inverted") {
      x = data::inverted(eval.inputs.slice(0, 0, n)).inputs;
    } else {
      x = data::rotated(eval.inputs.slice(0, 0, n), seed + 2).inputs;
    }
    out.emplace_back(name, x);
  }
  out.emplace_back("adversarial", e.adversarial(m, false));
  return out;
}

// Scores of `x` by detector `name`: logit detectors on the logits, feature ones on features.
struct Scorer {
  std::string name;
  std::unique_ptr<ood::LogitDetector> logit;
  std::unique_ptr<ood::FeatureDetector> feature;
};

Scorer make_detector(const std::string& name) {
  Scorer s{name, nullptr, nullptr};
  if (name == "msp") s.logit = std::make_unique<ood::MSP>();
  else if (name == "maxlogit") s.logit = std::make_unique<ood::MaxLogit>();
  else if (name == "energy") s.logit = std::make_unique<ood::Energy>();
  else if (name == "entropy") s.logit = std::make_unique<ood::Entropy>();
  else if (name == "mahalanobis") s.feature = std::make_unique<ood::Mahalanobis>();
  else if (name == "knn") s.feature = std::make_unique<ood::KNN>();
  else throw InvalidArgument(detail::str("ood.detectors: unknown detector '", name, "'"));
  return s;
}

at::Tensor features(TrainedModel& m, const at::Tensor& x, int64_t batch) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> parts;
  for (int64_t start = 0; start < x.size(0); start += batch) parts.push_back(m.net->features(x.slice(0, start, start + batch)));
  return at::cat(parts);
}

// ROC of "OOD = positive": for thresholds t over the pooled scores, TPR = P(ood >= t) and
// FPR = P(id >= t), at `points` thresholds evenly spaced in rank, then (0, 0) above every score.
std::pair<std::vector<double>, std::vector<double>> roc_curve(const at::Tensor& id, const at::Tensor& ood,
                                                              int64_t points = 101) {
  const at::Tensor pooled = std::get<0>(at::cat({id, ood}).to(at::kDouble).sort());
  const at::Tensor ranks = (at::arange(points, at::kLong) * (pooled.size(0) - 1)).div(points - 1, "floor");
  const at::Tensor t = pooled.index_select(0, ranks);
  // The share of each set at or above t: 1 - (count strictly below t) / size.
  auto above = [&](const at::Tensor& s) {
    const at::Tensor sorted = std::get<0>(s.to(at::kDouble).sort());
    at::Tensor share = 1.0 - at::searchsorted(sorted, t).to(at::kDouble) / static_cast<double>(s.size(0));
    share = at::cat({share, at::zeros({1}, at::kDouble)});
    return std::vector<double>(share.data_ptr<double>(), share.data_ptr<double>() + share.numel());
  };
  return {above(id), above(ood)};
}
}  // namespace

void ood_stage(Experiment& e) {
  const Config& c = e.config();
  auto& models = e.trained_models("ood");
  const auto& eval = e.eval_set();
  const auto fit = e.train_set().slice(0, c.fit_samples);
  Json& out = e.results()["ood"];
  Table& table = e.new_table("ood", {"defense", "detector", "set", "auroc", "aupr_in", "aupr_out", "fpr_at_95_tpr"});
  Progress bar("ood", static_cast<int64_t>(models.size() * c.detector_list.size()));
  int64_t done = 0;
  for (TrainedModel& m : models) {
    const auto sets = ood_sets(e, m);
    const at::Tensor& id_logits = e.logits(m, false, false);
    at::Tensor id_features, fit_features;
    std::vector<at::Tensor> set_logits, set_features;
    for (const auto& s : sets) set_logits.push_back(batched_logits(*m.classifier, s.second, c.attack_batch));
    Json& r = out[m.defense];
    for (const std::string& name : c.detector_list) {
      Scorer d = make_detector(name);
      at::Tensor id_scores;
      std::vector<at::Tensor> scores;
      if (d.logit) {
        id_scores = d.logit->score(id_logits);
        for (const auto& l : set_logits) scores.push_back(d.logit->score(l));
      } else {
        if (!id_features.defined()) {
          id_features = features(m, eval.inputs, c.attack_batch);
          fit_features = features(m, fit.inputs, c.attack_batch);
          for (const auto& s : sets) set_features.push_back(features(m, s.second, c.attack_batch));
        }
        d.feature->fit(fit_features, fit.labels);
        id_scores = d.feature->score(id_features);
        for (const auto& f : set_features) scores.push_back(d.feature->score(f));
      }
      // Common histogram edges over every set's scores, between the pooled 0.5% and 99.5%
      // quantiles (scores beyond them fall in the end bins), so one far tail cannot squeeze
      // every histogram into a single bin.
      at::Tensor all = id_scores.to(at::kDouble);
      for (const auto& s : scores) all = at::cat({all, s.to(at::kDouble)});
      const double lo = at::quantile(all, 0.005).item<double>(), q_hi = at::quantile(all, 0.995).item<double>();
      const double hi = q_hi > lo ? q_hi : lo + 1;
      const at::Tensor edges = at::linspace(lo, hi, c.histogram_bins + 1, at::kDouble);
      auto histogram = [&](const at::Tensor& v) {
        return tensor_json(at::histc(v.to(at::kDouble).clamp(lo, hi), c.histogram_bins, lo, hi).to(at::kLong));
      };
      Json& dj = r[name];
      dj["histogram_edges"] = tensor_json(edges);
      dj["id_histogram"] = histogram(id_scores);
      for (size_t k = 0; k < sets.size(); ++k) {
        const auto mt = metrics::ood_metrics(id_scores, scores[k]);
        Json& sj = dj["sets"][sets[k].first];
        sj["auroc"] = mt.auroc;
        sj["aupr_in"] = mt.aupr_in;
        sj["aupr_out"] = mt.aupr_out;
        sj["fpr_at_95_tpr"] = mt.fpr_at_tpr;
        sj["histogram"] = histogram(scores[k]);
        const auto [fpr, tpr] = roc_curve(id_scores, scores[k]);
        sj["roc_fpr"] = fpr;
        sj["roc_tpr"] = tpr;
        table.rows.push_back({m.defense, name, sets[k].first, cell(mt.auroc), cell(mt.aupr_in), cell(mt.aupr_out),
                              cell(mt.fpr_at_tpr)});
      }
      bar.update(++done, m.defense + " " + name);
    }
  }
  bar.finish();
}

}  // namespace bulwark::experiments
