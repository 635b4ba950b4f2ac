#pragma once
// The configuration of a bulwark-run experiment: every option has a section, a key, a default
// and a help line, and can be set in an INI file (`[section]` then `key = value`) or on the
// command line (`--section.key value`, which wins over the file). Lists are written as words
// separated by spaces or commas. Every value is checked here, before any stage runs: an unknown
// key, a value of the wrong type, a bad list entry or a missing file is an error naming the key.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "tensor_json.h"

namespace bulwark::experiments {

struct Config {
  // [experiment]
  std::string name = "fashion_mnist";
  int64_t seed = 0;
  std::string stages = "train robustness calibration conformal ood smoothing text";
  // [data]
  int64_t calibration_samples = 2000;
  int64_t eval_samples = 1000;
  int64_t train_samples = 60000;
  // [models]
  std::string defenses = "standard fast";
  int64_t epochs = 4;
  int64_t adversarial_epochs = 5;
  double train_eps = 0.1;
  int64_t train_steps = 7;
  int64_t batch_size = 128;
  double lr = 1e-3;
  bool cache = true;
  // [attacks]
  std::string attacks = "fgsm pgd apgd-ce";
  std::string eps = "0.025 0.05 0.075 0.1";
  int64_t steps = 20;
  int64_t attack_batch = 250;
  // [calibration]
  std::string calibrators = "temperature";
  int64_t bins = 15;
  double adversarial_eps = 0.05;
  // [conformal]
  std::string alphas = "0.1 0.05";
  std::string scores = "lac aps";
  // [ood]
  std::string detectors = "msp energy mahalanobis knn";
  std::string ood_sets = "digits uniform-noise gaussian-noise inverted";
  int64_t ood_samples = 1000;
  int64_t fit_samples = 10000;
  int64_t histogram_bins = 40;
  // [smoothing]
  double sigma = 0.25;
  int64_t smoothing_epochs = 3;
  int64_t smoothing_samples = 100;
  int64_t smoothing_n0 = 100;
  int64_t smoothing_n = 2000;
  double smoothing_alpha = 0.001;
  std::string smoothing_radii = "0 0.25 0.5 0.75";
  // [text]
  std::string text_arch = "bag";
  std::string text_attacks = "pwws hotflip";
  int64_t text_samples = 100;
  int64_t text_examples = 4;

  // Parsed lists (filled and checked by parse_config).
  std::vector<std::string> stage_list, defense_list, attack_list, calibrator_list, score_list,
      detector_list, ood_set_list, text_attack_list;
  std::vector<double> eps_list, alpha_list, smoothing_radius_list;

  bool has_stage(const std::string& stage) const;
};

struct ParsedCommandLine {
  Config config;
  std::string config_path;  // "" when none was given
  std::string out;          // the results directory
  bool help = false;
  std::string help_text;
};

// Parses argv (and the --config file, if given). Throws InvalidArgument naming the key for any
// malformed or unknown option.
ParsedCommandLine parse_command_line(int argc, const char* const* argv);

// The resolved configuration as an INI file (every key, defaults included) and as JSON.
std::string to_ini(const Config& config);
Json to_json(const Config& config);

}  // namespace bulwark::experiments
