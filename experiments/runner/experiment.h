#pragma once
// The state a bulwark-run experiment carries from stage to stage: the configuration, the data
// splits, the trained models, the results so far, and how they are written.
//
// Results: <out>/results.json (every completed stage; byte-identical for the same config),
// <out>/timings.json (seconds per stage and model, apart so the results stay comparable),
// <out>/<table>.csv, and <out>/config.ini (the resolved configuration). Every file is written
// atomically after each stage, so a failed stage leaves the earlier stages' results intact.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include <bulwark/core/module_classifier.h>
#include <bulwark/data/dataset.h>
#include <bulwark/models/fashion_cnn.h>
#include <bulwark/models/reference.h>

#include "config.h"
#include "tensor_json.h"

namespace bulwark::experiments {

struct TrainedModel {
  std::string defense;
  models::FashionCNN net{nullptr};
  std::shared_ptr<ModuleClassifier> classifier;
};

// The FashionCNN recipe of a run (data.train-samples, batch size, learning rate, seed, cache) with
// `epochs`: the standard model is models::trained_fashion_cnn of it, and every model the run
// trains is cached under models::cache_key(recipe, method).
models::FashionCNNRecipe fashion_cnn_recipe(const Config& c, int64_t epochs);

// The table (<name>.csv) a stage writes: the stage's name, "text_attacks" for "text".
std::string table_name(const std::string& stage);

// A table written as CSV: a header and rows of cells (numbers already formatted).
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string csv() const;
};

class Experiment {
 public:
  Experiment(Config config, std::string out_dir);

  const Config& config() const { return config_; }
  const std::string& out_dir() const { return out_dir_; }

  // Fashion-MNIST: the training images used, the calibration images (the first
  // calibration-samples test images) and the evaluation images (the eval-samples after them).
  const data::TensorDataset& train_set();
  const data::TensorDataset& calibration_set();
  const data::TensorDataset& eval_set();

  std::vector<TrainedModel>& models() { return models_; }
  // The models, or an error naming the stage when the train stage has not run.
  std::vector<TrainedModel>& trained_models(const char* stage);

  // PGD (calibration.adversarial-eps, attacks.steps steps) examples of the calibration or eval
  // images against `model`, computed once per model and shared by the stages.
  const at::Tensor& adversarial(const TrainedModel& model, bool calibration);
  // The model's logits on the calibration or eval images, clean or adversarial (as above),
  // computed once per model.
  const at::Tensor& logits(const TrainedModel& model, bool calibration, bool adversarial);

  Json& results() { return results_; }
  Json& timings() { return timings_; }
  // The table `name`, emptied, with this header.
  Table& new_table(const std::string& name, std::vector<std::string> header);
  // Marks `stage` completed and writes every result file.
  void complete_stage(const std::string& stage, double seconds);
  void write_files() const;
  // FileError naming the output directory unless it exists (or can be made) and takes a file.
  void check_writable() const;
  // When the output directory holds an earlier bulwark-run's results: removes the files of it
  // that this run will not write again — the tables of stages it does not run, the report and
  // its figures (stale once the results change) — and returns their names. Nothing else is
  // touched, and nothing at all in a directory without a bulwark-run results.json.
  std::vector<std::string> remove_stale_outputs() const;

 private:
  Config config_;
  std::string out_dir_;
  data::TensorDataset train_, calibration_, eval_;
  std::vector<TrainedModel> models_;
  std::map<std::string, at::Tensor> adversarial_, logits_;
  Json results_, timings_;
  std::map<std::string, Table> tables_;
};

// The model's logits for x, in batches of `batch` (no graph).
at::Tensor batched_logits(Classifier& model, const at::Tensor& x, int64_t batch);

// Number formatting shared by the CSV tables: shortest round-trip form, "" for NaN.
std::string cell(double v);

// The stages, in their order.
void train_stage(Experiment& e);
void robustness_stage(Experiment& e);
void calibration_stage(Experiment& e);
void conformal_stage(Experiment& e);
void ood_stage(Experiment& e);
void smoothing_stage(Experiment& e);
void text_stage(Experiment& e);

}  // namespace bulwark::experiments
