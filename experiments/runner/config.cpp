#include "config.h"
#include "names.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/program_options.hpp>

#include <bulwark/core/error.h>

namespace bulwark::experiments {

namespace po = boost::program_options;

bool Config::has_stage(const std::string& stage) const {
  return std::find(stage_list.begin(), stage_list.end(), stage) != stage_list.end();
}

namespace {

using Target = std::variant<int64_t*, double*, std::string*, bool*>;

struct Field {
  const char* section;
  const char* key;
  Target target;
  std::string help;
};

// The one list of options: the command line, the INI file, --help and the resolved config all
// come from it.
std::vector<Field> fields(Config& c) {
  return {
      {"experiment", "name", &c.name, "a name for the run, recorded in the results"},
      {"experiment", "seed", &c.seed, "seed of every random choice (weights, shuffling, attacks, noise)"},
      {"experiment", "stages", &c.stages, "stages to run, in this order: " + stage_names().joined()},
      {"data", "calibration-samples", &c.calibration_samples,
       "Fashion-MNIST test images that fit the calibrators and conformal thresholds (the first N)"},
      {"data", "eval-samples", &c.eval_samples,
       "Fashion-MNIST test images every evaluation uses (the N after the calibration images)"},
      {"data", "train-samples", &c.train_samples, "Fashion-MNIST training images (the first N of 60,000)"},
      {"models", "defenses", &c.defenses,
       "one FashionCNN per entry: " + defense_names().joined() +
           " (fast: Wong et al. 2020, pgd: Madry et al. 2018, free: Shafahi et al. 2019)"},
      {"models", "epochs", &c.epochs, "epochs of standard training"},
      {"models", "adversarial-epochs", &c.adversarial_epochs, "epochs of adversarial training"},
      {"models", "train-eps", &c.train_eps, "L-inf radius of adversarial training, in pixel units of [0, 1]"},
      {"models", "train-steps", &c.train_steps, "attack steps inside pgd / trades / mart training"},
      {"models", "batch-size", &c.batch_size, "training batch size"},
      {"models", "lr", &c.lr, "Adam learning rate"},
      {"models", "cache", &c.cache, "load trained models from the model cache and store new ones there"},
      {"attacks", "names", &c.attacks, "attacks for robust accuracy: " + attack_names().joined()},
      {"attacks", "eps", &c.eps, "L-inf radii to evaluate, in pixel units of [0, 1]"},
      {"attacks", "steps", &c.steps, "iterations of pgd / apgd (square: 100 x steps queries)"},
      {"attacks", "batch-size", &c.attack_batch, "images per attack batch"},
      {"calibration", "calibrators", &c.calibrators,
       "calibrators fitted on the calibration images, the first in the report's figures: " +
           calibrator_names().joined()},
      {"calibration", "bins", &c.bins, "equal-width bins of the ECE and the reliability diagrams"},
      {"calibration", "adversarial-eps", &c.adversarial_eps,
       "L-inf radius of the PGD examples calibration, conformal and OOD are also measured on"},
      {"conformal", "alphas", &c.alphas, "miscoverage levels alpha (target coverage 1 - alpha)"},
      {"conformal", "scores", &c.scores, "conformity scores: " + score_names().joined()},
      {"ood", "detectors", &c.detectors, "OOD detectors: " + detector_names().joined()},
      {"ood", "sets", &c.ood_sets, "OOD sets: " + ood_set_names().joined()},
      {"ood", "samples", &c.ood_samples, "images per OOD set (digits: at most 1,797)"},
      {"ood", "fit-samples", &c.fit_samples, "training images whose features fit the feature-based detectors"},
      {"ood", "histogram-bins", &c.histogram_bins, "bins of the score histograms"},
      {"smoothing", "sigma", &c.sigma, "noise of randomized smoothing (training and certification), pixel units"},
      {"smoothing", "epochs", &c.smoothing_epochs, "epochs of Gaussian-augmented training of the base model"},
      {"smoothing", "samples", &c.smoothing_samples, "evaluation images certified (the first N)"},
      {"smoothing", "n0", &c.smoothing_n0, "noise samples that choose the class (CERTIFY's n0)"},
      {"smoothing", "n", &c.smoothing_n, "noise samples that bound its probability (CERTIFY's n)"},
      {"smoothing", "alpha", &c.smoothing_alpha, "failure probability of each certificate"},
      {"smoothing", "radii", &c.smoothing_radii, "L2 radii of the certified-accuracy table"},
      {"text", "arch", &c.text_arch, "spam filter: bag (embedding bag) or cnn (1D CNN)"},
      {"text", "attacks", &c.text_attacks, "token attacks on the spam filter: " + text_attack_names().joined()},
      {"text", "samples", &c.text_samples, "SpamAssassin test e-mails attacked"},
      {"text", "examples", &c.text_examples, "adversarial e-mails kept in the results, edits marked"},
  };
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string option_name(const Field& f) { return std::string(f.section) + "." + f.key; }

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : s) {
    if (ch == ',' || std::isspace(static_cast<unsigned char>(ch))) {
      if (!cur.empty()) out.push_back(cur), cur.clear();
    } else {
      cur += ch;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::vector<std::string> words(const std::string& key, const std::string& value,
                               const std::vector<std::string>& allowed, bool may_be_empty = false) {
  auto list = split_list(value);
  BULWARK_CHECK(may_be_empty || !list.empty(), "config: ", key, " must list at least one of: ",
                join(allowed));
  for (const auto& w : list) {
    BULWARK_CHECK(std::find(allowed.begin(), allowed.end(), w) != allowed.end(), "config: ", key,
                  ": unknown entry '", w, "' (expected one of: ", join(allowed), ")");
    BULWARK_CHECK(std::count(list.begin(), list.end(), w) == 1, "config: ", key, ": '", w, "' is listed twice");
  }
  return list;
}

std::vector<double> numbers(const std::string& key, const std::string& value, double lo, double hi,
                            bool lo_inclusive) {
  std::vector<double> out;
  for (const auto& w : split_list(value)) {
    size_t used = 0;
    double v = std::nan("");
    try {
      v = std::stod(w, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    BULWARK_CHECK(used == w.size() && std::isfinite(v), "config: ", key, ": '", w, "' is not a number");
    BULWARK_CHECK((lo_inclusive ? v >= lo : v > lo) && v <= hi, "config: ", key, ": ", w, " is outside ",
                  lo_inclusive ? "[" : "(", lo, ", ", hi, "]");
    out.push_back(v);
  }
  BULWARK_CHECK(!out.empty(), "config: ", key, " must list at least one number");
  return out;
}

void check_positive(const char* key, int64_t v, int64_t lo = 1) {
  BULWARK_CHECK(v >= lo, "config: ", key, " must be >= ", lo, ", got ", v);
}

void validate(Config& c) {
  c.stage_list = words("experiment.stages", c.stages, stage_names().keys());
  for (const char* needs_models : {"robustness", "calibration", "conformal", "ood"}) {
    BULWARK_CHECK(!c.has_stage(needs_models) || c.has_stage("train"), "config: experiment.stages: '", needs_models,
                  "' needs the models of the 'train' stage (which loads them from the cache when it can)");
  }
  BULWARK_CHECK(c.seed >= 0, "config: experiment.seed must be >= 0, got ", c.seed);
  check_positive("data.calibration-samples", c.calibration_samples, 10);
  check_positive("data.eval-samples", c.eval_samples);
  BULWARK_CHECK(c.calibration_samples + c.eval_samples <= 10000, "config: data.calibration-samples + "
                "data.eval-samples must be at most the 10,000 test images, got ",
                c.calibration_samples + c.eval_samples);
  check_positive("data.train-samples", c.train_samples);
  BULWARK_CHECK(c.train_samples <= 60000, "config: data.train-samples must be at most 60000, got ", c.train_samples);
  c.defense_list = words("models.defenses", c.defenses, defense_names().keys());
  check_positive("models.epochs", c.epochs);
  check_positive("models.adversarial-epochs", c.adversarial_epochs);
  BULWARK_CHECK(std::isfinite(c.train_eps) && c.train_eps > 0 && c.train_eps <= 1,
                "config: models.train-eps must be in (0, 1], got ", c.train_eps);
  check_positive("models.train-steps", c.train_steps);
  check_positive("models.batch-size", c.batch_size);
  BULWARK_CHECK(std::isfinite(c.lr) && c.lr > 0, "config: models.lr must be > 0, got ", c.lr);
  c.attack_list = words("attacks.names", c.attacks, attack_names().keys());
  c.eps_list = numbers("attacks.eps", c.eps, 0, 1, false);
  check_positive("attacks.steps", c.steps);
  check_positive("attacks.batch-size", c.attack_batch);
  c.calibrator_list = words("calibration.calibrators", c.calibrators, calibrator_names().keys());
  check_positive("calibration.bins", c.bins, 2);
  BULWARK_CHECK(std::isfinite(c.adversarial_eps) && c.adversarial_eps > 0 && c.adversarial_eps <= 1,
                "config: calibration.adversarial-eps must be in (0, 1], got ", c.adversarial_eps);
  c.alpha_list = numbers("conformal.alphas", c.alphas, 0, 0.5, false);
  c.score_list = words("conformal.scores", c.scores, score_names().keys());
  c.detector_list = words("ood.detectors", c.detectors, detector_names().keys());
  c.ood_set_list = words("ood.sets", c.ood_sets, ood_set_names().keys());
  check_positive("ood.samples", c.ood_samples, 10);
  check_positive("ood.fit-samples", c.fit_samples, 100);
  BULWARK_CHECK(c.fit_samples <= c.train_samples, "config: ood.fit-samples (", c.fit_samples,
                ") must be at most data.train-samples (", c.train_samples, ")");
  check_positive("ood.histogram-bins", c.histogram_bins, 2);
  BULWARK_CHECK(std::isfinite(c.sigma) && c.sigma > 0, "config: smoothing.sigma must be > 0, got ", c.sigma);
  check_positive("smoothing.epochs", c.smoothing_epochs);
  check_positive("smoothing.samples", c.smoothing_samples);
  BULWARK_CHECK(c.smoothing_samples <= c.eval_samples, "config: smoothing.samples (", c.smoothing_samples,
                ") must be at most data.eval-samples (", c.eval_samples, ")");
  check_positive("smoothing.n0", c.smoothing_n0);
  check_positive("smoothing.n", c.smoothing_n);
  BULWARK_CHECK(std::isfinite(c.smoothing_alpha) && c.smoothing_alpha > 0 && c.smoothing_alpha < 0.5,
                "config: smoothing.alpha must be in (0, 0.5), got ", c.smoothing_alpha);
  c.smoothing_radius_list = numbers("smoothing.radii", c.smoothing_radii, 0, 100, true);
  words("text.arch", c.text_arch, {"bag", "cnn"});
  c.text_attack_list = words("text.attacks", c.text_attacks, text_attack_names().keys());
  check_positive("text.samples", c.text_samples);
  check_positive("text.examples", c.text_examples, 0);
}

std::string value_string(const Target& t) {
  std::ostringstream s;
  s.precision(17);
  std::visit([&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    if constexpr (std::is_same_v<T, bool>) {
      s << (*p ? "true" : "false");
    } else {
      s << *p;
    }
  }, t);
  return s.str();
}

}  // namespace

ParsedCommandLine parse_command_line(int argc, const char* const* argv) {
  ParsedCommandLine out;
  Config& c = out.config;
  auto list = fields(c);
  po::options_description general("bulwark-run: train, attack, calibrate, conformalize and probe FashionCNN "
                                  "models (and attack the spam filter); results as JSON and CSV.\n\nGeneral");
  general.add_options()
      ("help,h", "show this help")
      ("config", po::value(&out.config_path), "INI file with any of the options below ([section] key = value)")
      ("out", po::value(&out.out)->default_value("results/fmnist"), "results directory (created)");
  std::vector<po::options_description> sections;
  po::options_description all;
  all.add(general);
  std::string current;
  po::options_description file_options;
  for (const Field& f : list) {
    if (current != f.section) {
      sections.emplace_back(std::string("[") + f.section + "]");
      current = f.section;
    }
    const std::string name = option_name(f);
    const std::string help = f.help + " (default: " + value_string(f.target) + ")";
    std::visit([&](auto* p) {
      using T = std::remove_pointer_t<decltype(p)>;
      auto* sem = po::value<T>(p);
      if constexpr (std::is_same_v<T, bool>) sem->value_name("true|false");
      sections.back().add_options()(name.c_str(), sem, help.c_str());
    }, f.target);
  }
  for (const auto& s : sections) {
    all.add(s);
    file_options.add(s);
  }
  std::ostringstream help;
  help << all;
  out.help_text = help.str();

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, all), vm);
    if (vm.count("help")) {
      out.help = true;
      return out;
    }
    if (vm.count("config")) {
      const std::string path = vm["config"].as<std::string>();
      BULWARK_CHECK_AS(FileError, std::filesystem::is_regular_file(path), "config: --config: no such file '", path, "'");
      std::ifstream f(path);
      BULWARK_CHECK_AS(FileError, f.good(), "config: --config: cannot read '", path, "'");
      po::store(po::parse_config_file(f, file_options, /*allow_unregistered=*/false), vm);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    // Boost names the option: "unrecognised option 'attacks.foo'", "the argument ('x') for
    // option '--models.epochs' is invalid".
    throw InvalidArgument(std::string("config: ") + e.what() +
                          (vm.count("config") ? " (in " + vm["config"].as<std::string>() + " or on the command line)" : ""));
  }
  validate(c);
  return out;
}

std::string to_ini(const Config& config) {
  Config copy = config;
  std::ostringstream s;
  s << "# resolved bulwark-run configuration: every option, defaults included\n";
  std::string current;
  for (const Field& f : fields(copy)) {
    if (current != f.section) {
      s << (current.empty() ? "" : "\n") << "[" << f.section << "]\n";
      current = f.section;
    }
    s << f.key << " = " << value_string(f.target) << "\n";
  }
  return s.str();
}

Json to_json(const Config& config) {
  Config copy = config;
  Json out = Json::object();
  for (const Field& f : fields(copy)) {
    std::visit([&](auto* p) { out[f.section][f.key] = Json(*p); }, f.target);
  }
  return out;
}

}  // namespace bulwark::experiments
