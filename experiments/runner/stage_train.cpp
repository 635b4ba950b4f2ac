// The train stage: one FashionCNN per entry of models.defenses, trained by
// defenses::AdversarialTrainer (standard training is its Standard method) on the first
// data.train-samples images, or loaded from the model cache under a key naming the recipe.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <torch/optim/adam.h>

#include <bulwark/core/error.h>
#include <bulwark/core/json.h>
#include <bulwark/core/paths.h>
#include <bulwark/core/runtime.h>
#include <bulwark/data/batches.h>
#include <bulwark/defenses/adversarial_trainer.h>
#include <bulwark/models/checkpoint.h>

#include "experiment.h"

namespace bulwark::experiments {

namespace {
std::string cache_key(const Config& c, const std::string& defense, int64_t epochs) {
  return detail::str("fashion_cnn-run-", defense, "-n", c.train_samples, "-e", epochs, "-b", c.batch_size, "-lr",
                     c.lr, defense == "standard" ? std::string() : detail::str("-eps", c.train_eps, "-k", c.train_steps),
                     "-s", c.seed, "-v", version());
}
// The training history is cached next to the weights, so a run that loads a model reports the
// same history as the run that trained it.
void save_history(const std::string& path, const std::vector<defenses::EpochRecord>& history) {
  std::vector<double> epoch, loss, accuracy;
  for (const auto& r : history) {
    epoch.push_back(static_cast<double>(r.epoch));
    loss.push_back(r.train_loss);
    accuracy.push_back(r.train_accuracy);
  }
  json::Object o;
  o.set("epoch", epoch).set("train_loss", loss).set("train_accuracy", accuracy);
  o.write_file(path);
}

std::vector<defenses::EpochRecord> load_history(const std::string& path) {
  const json::Object o = json::Object::read_file(path);
  const auto epoch = o.numbers("epoch"), loss = o.numbers("train_loss"), accuracy = o.numbers("train_accuracy");
  BULWARK_CHECK_AS(FormatError, epoch.size() == loss.size() && loss.size() == accuracy.size(), path,
                   ": the history's columns differ in length");
  std::vector<defenses::EpochRecord> out(epoch.size());
  for (size_t k = 0; k < epoch.size(); ++k) {
    out[k].epoch = static_cast<int64_t>(epoch[k]);
    out[k].train_loss = loss[k];
    out[k].train_accuracy = accuracy[k];
  }
  return out;
}
}  // namespace

void train_stage(Experiment& e) {
  const Config& c = e.config();
  e.models().clear();
  Json& out = e.results()["train"];
  Table& table = e.new_table("train", {"defense", "epochs", "final_train_loss", "final_train_accuracy"});
  for (const std::string& defense : c.defense_list) {
    const bool standard = defense == "standard";
    const int64_t epochs = standard ? c.epochs : c.adversarial_epochs;
    TrainedModel m;
    m.defense = defense;
    m.net = models::FashionCNN(static_cast<uint64_t>(c.seed));
    std::vector<defenses::EpochRecord> history;
    const auto t0 = std::chrono::steady_clock::now();
    auto train = [&] {
      torch::optim::Adam opt(m.net->parameters(), torch::optim::AdamOptions(c.lr));
      ModuleClassifier crafter(m.net);
      const defenses::Forward forward = [&m](const at::Tensor& x) { return m.net->forward(x); };
      defenses::AdversarialTrainingOptions o;
      o.method = defenses::parse_training_method(standard ? "standard" : defense, "models.defenses");
      o.eps = c.train_eps;
      o.steps = c.train_steps;
      o.epochs = epochs;
      o.seed = static_cast<uint64_t>(c.seed);
      defenses::AdversarialTrainer trainer(crafter, forward, defenses::optimizer_hooks(opt), o);
      m.net->train();
      data::TensorBatches batches(e.train_set(), c.batch_size);
      history = trainer.fit(batches);
      m.net->eval();
    };
    const std::string key = cache_key(c, defense, epochs);
    bool cached = false;
    if (c.cache) {
      namespace fs = std::filesystem;
      const fs::path models_dir = fs::path(cache_dir()) / "models";
      const std::string history_path = (models_dir / (key + ".history.json")).string();
      if (!fs::is_regular_file(history_path)) fs::remove(models_dir / (key + ".pt"));  // retrain: no history
      cached = models::load_or_train(*m.net, key, train);
      if (cached) {
        history = load_history(history_path);
      } else {
        save_history(history_path, history);
      }
    } else {
      train();
    }
    m.net->eval();
    m.classifier = std::make_shared<ModuleClassifier>(m.net);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "  %s: %s in %.1f s\n", defense.c_str(), cached ? "loaded from the model cache" : "trained",
                 seconds);
    Json& r = out[defense];
    r["method"] = defense;
    r["epochs"] = epochs;
    r["cache_key"] = key;
    Json& h = r["history"];
    h = Json::array();
    for (const auto& rec : history) {
      Json& row = h.emplace_back(Json::object());
      row["epoch"] = rec.epoch;
      row["train_loss"] = rec.train_loss;
      row["train_accuracy"] = rec.train_accuracy;
    }
    e.timings()["train_" + defense] = seconds;
    e.timings()["train_" + defense + "_from_cache"] = cached;
    table.rows.push_back({defense, std::to_string(epochs),
                          history.empty() ? "" : cell(history.back().train_loss),
                          history.empty() ? "" : cell(history.back().train_accuracy)});
    e.models().push_back(std::move(m));
  }
}

}  // namespace bulwark::experiments
