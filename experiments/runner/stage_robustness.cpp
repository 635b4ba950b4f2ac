// The robustness stage: clean and robust accuracy of each model on the evaluation images under
// each attack of attacks.names at each radius of attacks.eps (L-inf), and the worst case over
// the attacks per radius (an image counts as robust only if no attack broke it).
#include <bulwark/attacks/apgd.h>
#include <bulwark/attacks/autoattack.h>
#include <bulwark/attacks/evaluate.h>
#include <bulwark/attacks/fgsm.h>
#include <bulwark/attacks/pgd.h>
#include <bulwark/attacks/square.h>
#include <bulwark/core/error.h>
#include <bulwark/core/progress.h>
#include <bulwark/core/random.h>

#include "experiment.h"

namespace bulwark::experiments {

// One attack of the list at radius eps; seeds derive from the experiment's seed, the attack's
// position in the list and the radius' position.
std::shared_ptr<attacks::Attack> make_attack(const Config& c, const std::string& name, double eps, uint64_t seed) {
  if (name == "fgsm") {
    attacks::FGSMOptions o;
    o.eps = eps;
    o.seed = seed;
    return std::make_shared<attacks::FGSM>(o);
  }
  if (name == "pgd") {
    attacks::PGDOptions o;
    o.eps = eps;
    o.steps = c.steps;
    o.seed = seed;
    return std::make_shared<attacks::PGD>(o);
  }
  if (name == "apgd-ce" || name == "apgd-dlr") {
    attacks::APGDOptions o;
    o.eps = eps;
    o.steps = c.steps;
    o.loss = name == "apgd-ce" ? losses::Loss::CrossEntropy : losses::Loss::DLR;
    o.seed = seed;
    return std::make_shared<attacks::APGD>(o);
  }
  if (name == "square") {
    attacks::SquareOptions o;
    o.eps = eps;
    o.queries = 100 * c.steps;
    o.seed = seed;
    return std::make_shared<attacks::Square>(o);
  }
  if (name == "autoattack") {
    attacks::AutoAttackOptions o;  // the standard ensemble with its own step counts
    o.eps = eps;
    o.batch_size = c.attack_batch;
    o.seed = seed;
    return std::make_shared<attacks::AutoAttack>(o);
  }
  throw InvalidArgument(detail::str("attacks.names: unknown attack '", name, "'"));
}

void robustness_stage(Experiment& e) {
  const Config& c = e.config();
  const auto& eval = e.eval_set();
  auto& models = e.trained_models("robustness");
  Json& out = e.results()["robustness"];
  Table& table = e.new_table("robustness", {"defense", "attack", "eps", "accuracy"});
  Progress bar("robustness", static_cast<int64_t>(models.size() * c.eps_list.size()));
  int64_t done = 0;
  for (const TrainedModel& m : models) {
    Json& r = out[m.defense];
    r["eps"] = c.eps_list;
    r["attacks"] = Json::object();
    Json worst = Json::array();
    std::vector<std::vector<double>> per_attack(c.attack_list.size());
    double clean = 0;
    for (size_t k = 0; k < c.eps_list.size(); ++k) {
      std::vector<attacks::NamedAttack> list;
      for (size_t a = 0; a < c.attack_list.size(); ++a) {
        const uint64_t seed = derive_seed(derive_seed(static_cast<uint64_t>(c.seed), a), k);
        list.emplace_back(c.attack_list[a], make_attack(c, c.attack_list[a], c.eps_list[k], seed));
      }
      attacks::EvaluateOptions eo;
      eo.batch_size = c.attack_batch;
      eo.progress = false;
      const auto ev = attacks::evaluate(*m.classifier, eval.inputs, eval.labels, list, eo);
      clean = ev.clean_accuracy();
      for (size_t a = 0; a < list.size(); ++a) {
        per_attack[a].push_back(ev.robust_accuracy(a));
        e.timings()[detail::str("robustness_", m.defense, "_", c.attack_list[a], "_eps", c.eps_list[k])] =
            ev.seconds[a];
        table.rows.push_back({m.defense, c.attack_list[a], cell(c.eps_list[k]), cell(ev.robust_accuracy(a))});
      }
      worst.emplace_back(ev.worst_case_accuracy());
      table.rows.push_back({m.defense, "worst case", cell(c.eps_list[k]), cell(ev.worst_case_accuracy())});
      bar.update(++done, m.defense + " eps " + cell(c.eps_list[k]));
    }
    r["clean_accuracy"] = clean;
    for (size_t a = 0; a < c.attack_list.size(); ++a) r["attacks"][c.attack_list[a]] = per_attack[a];
    r["worst_case"] = worst;
    table.rows.push_back({m.defense, "none", "0", cell(clean)});
  }
  bar.finish();
}

}  // namespace bulwark::experiments
