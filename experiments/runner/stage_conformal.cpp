// The conformal stage: split conformal prediction sets (each score of conformal.scores, each
// alpha of conformal.alphas) calibrated on the clean calibration images, then coverage, set
// size, coverage per class and the set-size histogram on the clean and the PGD-perturbed
// evaluation images. Clean coverage should sit in the binomial band around 1 - alpha; the
// adversarial coverage shows how far exchangeability breaks under attack.
#include <ATen/ATen.h>

#include <bulwark/conformal/metrics.h>
#include <bulwark/conformal/scores.h>
#include <bulwark/conformal/split_conformal.h>
#include <bulwark/core/progress.h>
#include <bulwark/core/random.h>

#include "experiment.h"

namespace bulwark::experiments {

void conformal_stage(Experiment& e) {
  const Config& c = e.config();
  auto& models = e.trained_models("conformal");
  const auto& cal = e.calibration_set();
  const auto& eval = e.eval_set();
  Json& out = e.results()["conformal"];
  Table& table = e.new_table("conformal", {"defense", "score", "alpha", "data", "coverage", "mean_set_size",
                                 "empty_sets"});
  Progress bar("conformal", static_cast<int64_t>(models.size()));
  int64_t done = 0;
  for (const TrainedModel& m : models) {
    Json& r = out[m.defense];
    const at::Tensor& cal_logits = e.logits(m, true, false);
    const at::Tensor eval_logits[] = {e.logits(m, false, false), e.logits(m, false, true)};
    const char* data_names[] = {"clean", "adversarial"};
    const int64_t k = cal_logits.size(1);
    for (size_t s = 0; s < c.score_list.size(); ++s) {
      for (size_t a = 0; a < c.alpha_list.size(); ++a) {
        conformal::ConformalOptions o;
        o.score.kind = conformal::parse_score(c.score_list[s], "conformal.scores");
        o.alpha = c.alpha_list[a];
        o.logits = true;
        o.seed = derive_seed(derive_seed(static_cast<uint64_t>(c.seed), 100 + s), a);
        conformal::SplitConformal cp(o);
        cp.fit(cal_logits, cal.labels);
        Json& entry = r[c.score_list[s]][cell(c.alpha_list[a])];
        entry["threshold"] = cp.threshold();
        for (int d = 0; d < 2; ++d) {
          const at::Tensor sets = cp.predict(eval_logits[d]);
          const at::Tensor sizes = conformal::set_sizes(sets);
          const double coverage = conformal::coverage(sets, eval.labels);
          const double mean_size = sizes.to(at::kDouble).mean().item<double>();
          const double empty = sizes.eq(0).to(at::kDouble).mean().item<double>();
          Json& v = entry[data_names[d]];
          v["coverage"] = coverage;
          v["mean_set_size"] = mean_size;
          v["empty_sets"] = empty;
          v["class_coverage"] = tensor_json(conformal::class_coverage(sets, eval.labels, k));
          v["size_histogram"] = tensor_json(at::bincount(sizes, {}, k + 1));  // sizes 0..K
          table.rows.push_back({m.defense, c.score_list[s], cell(c.alpha_list[a]), data_names[d], cell(coverage),
                                cell(mean_size), cell(empty)});
        }
      }
    }
    bar.update(++done, m.defense);
  }
  bar.finish();
}

}  // namespace bulwark::experiments
