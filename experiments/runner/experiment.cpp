#include "experiment.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <ATen/ATen.h>

#include <bulwark/attacks/pgd.h>
#include <bulwark/core/error.h>
#include <bulwark/core/files.h>
#include <bulwark/core/random.h>
#include <bulwark/core/runtime.h>
#include <bulwark/data/fashion_mnist.h>
#include <bulwark/data/spam_assassin.h>

#include "names.h"

namespace bulwark::experiments {

std::string cell(double v) {
  if (!std::isfinite(v)) return "";
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

at::Tensor batched_logits(Classifier& model, const at::Tensor& x, int64_t batch) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> parts;
  for (int64_t start = 0; start < x.size(0); start += batch) parts.push_back(model.logits(x.slice(0, start, start + batch)));
  return at::cat(parts);
}

std::string Table::csv() const {
  auto quoted = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t k = 0; k < cells.size(); ++k) out += (k ? "," : "") + quoted(cells[k]);
    out += "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
  return out;
}

Experiment::Experiment(Config config, std::string out_dir)
    : config_(std::move(config)), out_dir_(std::move(out_dir)), results_(Json::object()), timings_(Json::object()) {
  results_["format"] = "bulwark.experiment";
  results_["version"] = 1;
  results_["bulwark_version"] = version();
  results_["name"] = config_.name;
  results_["seed"] = config_.seed;
  results_["config"] = to_json(config_);
  results_["stages"] = Json::array();
  // What the report needs to name things: the registry's display names and the data's classes.
  results_["names"] = names_json();
  Json& data = results_["data"];
  data = Json::object();
  data["dataset"] = "Fashion-MNIST";
  data["model"] = "FashionCNN";
  data["classes"] = data::fashion_mnist_classes();
  data["text_dataset"] = "SpamAssassin";
  data["text_classes"] = data::spam_assassin_classes();
}

const data::TensorDataset& Experiment::train_set() {
  if (!train_.inputs.defined()) train_ = data::fashion_mnist("train").slice(0, config_.train_samples);
  return train_;
}

const data::TensorDataset& Experiment::calibration_set() {
  if (!calibration_.inputs.defined()) {
    calibration_ = data::fashion_mnist("test").slice(0, config_.calibration_samples);
  }
  return calibration_;
}

const data::TensorDataset& Experiment::eval_set() {
  if (!eval_.inputs.defined()) {
    eval_ = data::fashion_mnist("test").slice(config_.calibration_samples, config_.eval_samples);
  }
  return eval_;
}

std::vector<TrainedModel>& Experiment::trained_models(const char* stage) {
  BULWARK_CHECK(!models_.empty(), stage, ": no models; the train stage must run first (experiment.stages)");
  return models_;
}

const at::Tensor& Experiment::adversarial(const TrainedModel& model, bool calibration) {
  const std::string key = model.defense + (calibration ? "/calibration" : "/eval");
  auto it = adversarial_.find(key);
  if (it != adversarial_.end()) return it->second;
  const data::TensorDataset& set = calibration ? calibration_set() : eval_set();
  attacks::PGDOptions o;
  o.eps = config_.adversarial_eps;
  o.steps = config_.steps;
  o.seed = derive_seed(static_cast<uint64_t>(config_.seed), calibration ? 1 : 2);
  attacks::PGD pgd(o);
  std::vector<at::Tensor> parts;
  for (int64_t start = 0; start < set.size(); start += config_.attack_batch) {
    const auto part = set.slice(start, config_.attack_batch);
    parts.push_back(pgd(*model.classifier, part.inputs, part.labels));
  }
  return adversarial_.emplace(key, at::cat(parts)).first->second;
}

const at::Tensor& Experiment::logits(const TrainedModel& model, bool calibration, bool adversarial) {
  const std::string key = model.defense + (calibration ? "/calibration" : "/eval") + (adversarial ? "/adversarial" : "");
  auto it = logits_.find(key);
  if (it != logits_.end()) return it->second;
  const at::Tensor& x = adversarial ? this->adversarial(model, calibration)
                                    : (calibration ? calibration_set() : eval_set()).inputs;
  return logits_.emplace(key, batched_logits(*model.classifier, x, config_.attack_batch)).first->second;
}

Table& Experiment::new_table(const std::string& name, std::vector<std::string> header) {
  Table& t = tables_[name];
  t.header = std::move(header);
  t.rows.clear();
  return t;
}

void Experiment::complete_stage(const std::string& stage, double seconds) {
  results_["stages"].emplace_back(stage);
  timings_[stage] = seconds;
  write_files();
}

void Experiment::check_writable() const {
  namespace fs = std::filesystem;
  const fs::path probe = fs::path(out_dir_) / ".bulwark-run-write-test";
  write_text_file(probe.string(), "bulwark-run checks that it can write here\n",
                  ("cannot write results to '" + out_dir_ + "'").c_str());
  std::error_code ignored;
  fs::remove(probe, ignored);
}

models::FashionCNNRecipe fashion_cnn_recipe(const Config& c, int64_t epochs) {
  models::FashionCNNRecipe r;
  r.training.epochs = epochs;
  r.training.batch_size = c.batch_size;
  r.training.lr = c.lr;
  r.training.seed = static_cast<uint64_t>(c.seed);
  r.train_samples = c.train_samples;
  r.use_cache = c.cache;
  return r;
}

std::string table_name(const std::string& stage) { return stage == "text" ? "text_attacks" : stage; }

std::vector<std::string> Experiment::remove_stale_outputs() const {
  namespace fs = std::filesystem;
  const fs::path dir(out_dir_);
  std::vector<std::string> removed;
  std::ifstream f(dir / "results.json", std::ios::binary);
  if (!f) return removed;
  std::ostringstream text;
  text << f.rdbuf();
  try {
    if (json::parse(text.str(), "results.json").value("format", "") != "bulwark.experiment") return removed;
  } catch (const std::exception&) {
    return removed;  // not a results file of ours: leave the directory alone
  }
  std::vector<std::string> stale;
  for (const Name& stage : stage_names().names) {
    if (!config_.has_stage(stage.key)) stale.push_back(table_name(stage.key) + ".csv");
  }
  stale.push_back("report.md");
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".png") stale.push_back(entry.path().filename().string());
  }
  for (const std::string& name : stale) {
    std::error_code ec;
    if (fs::remove(dir / name, ec)) removed.push_back(name);
  }
  return removed;
}

void Experiment::write_files() const {
  namespace fs = std::filesystem;
  const fs::path dir(out_dir_);
  constexpr const char* where = "bulwark-run";
  write_text_file((dir / "config.ini").string(), to_ini(config_), where);
  write_text_file((dir / "results.json").string(), json::dump(results_), where);
  write_text_file((dir / "timings.json").string(), json::dump(timings_), where);
  for (const auto& [name, table] : tables_) write_text_file((dir / (name + ".csv")).string(), table.csv(), where);
}

}  // namespace bulwark::experiments
