// The train stage: one FashionCNN per entry of models.defenses on the first data.train-samples
// images, in bulwark's one training loop: "standard" is the reference recipe
// (models::trained_fashion_cnn), the others defenses::AdversarialTrainer; each is loaded from the
// model cache when its key (models::cache_key) was trained before.
#include <chrono>
#include <cstdio>

#include <torch/optim/adam.h>

#include <bulwark/core/error.h>
#include <bulwark/data/batches.h>
#include <bulwark/defenses/adversarial_trainer.h>
#include <bulwark/models/checkpoint.h>
#include <bulwark/models/reference.h>

#include "experiment.h"

namespace bulwark::experiments {

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
    const models::FashionCNNRecipe recipe = fashion_cnn_recipe(c, epochs);
    const std::string key = models::cache_key(
        recipe, standard ? defense : detail::str(defense, "-eps", c.train_eps, "-k", c.train_steps));
    models::TrainHistory history;
    bool cached = false;
    const auto t0 = std::chrono::steady_clock::now();
    if (standard) {
      m.net = models::trained_fashion_cnn(recipe, &cached, &history);
    } else {
      m.net = models::FashionCNN(recipe.training.seed);
      auto train = [&] {
        torch::optim::Adam opt(m.net->parameters(), torch::optim::AdamOptions(recipe.training.lr));
        ModuleClassifier crafter(m.net);
        const defenses::Forward forward = [&m](const at::Tensor& x) { return m.net->forward(x); };
        defenses::AdversarialTrainingOptions o;
        o.method = defenses::parse_training_method(defense, "models.defenses");
        o.eps = c.train_eps;
        o.steps = c.train_steps;
        o.epochs = epochs;
        o.seed = recipe.training.seed;
        defenses::AdversarialTrainer trainer(crafter, forward, models::optimizer_hooks(opt), o);
        m.net->train();
        data::TensorBatches batches(e.train_set(), recipe.training.batch_size);
        return trainer.fit(batches);
      };
      cached = c.cache ? models::load_or_train(*m.net, key, train, history) : (history = train(), false);
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
