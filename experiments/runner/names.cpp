#include "names.h"

namespace bulwark::experiments {

std::vector<std::string> NameList::keys() const {
  std::vector<std::string> out;
  for (const Name& n : names) out.emplace_back(n.key);
  return out;
}

std::string NameList::joined() const {
  std::string out;
  for (const Name& n : names) out += (out.empty() ? "" : " ") + std::string(n.key);
  return out;
}

const NameList& stage_names() {
  static const NameList l{"stages",
                          {{"train", "training"},
                           {"robustness", "robustness"},
                           {"calibration", "calibration"},
                           {"conformal", "conformal prediction"},
                           {"ood", "out-of-distribution detection"},
                           {"smoothing", "randomized smoothing"},
                           {"text", "token attacks"}}};
  return l;
}

const NameList& defense_names() {
  static const NameList l{"defenses",
                          {{"standard", "Standard"},
                           {"fast", "Fast-AT"},
                           {"pgd", "PGD-AT"},
                           {"trades", "TRADES"},
                           {"mart", "MART"},
                           {"free", "Free-AT"}}};
  return l;
}

const NameList& attack_names() {
  static const NameList l{"attacks",
                          {{"fgsm", "FGSM"},
                           {"pgd", "PGD"},
                           {"apgd-ce", "APGD-CE"},
                           {"apgd-dlr", "APGD-DLR"},
                           {"square", "Square"},
                           {"autoattack", "AutoAttack"}}};
  return l;
}

const NameList& calibrator_names() {
  static const NameList l{"calibrators",
                          {{"temperature", "temperature"},
                           {"vector", "vector scaling"},
                           {"matrix", "matrix scaling"},
                           {"dirichlet", "Dirichlet"},
                           {"histogram", "histogram binning"},
                           {"isotonic", "isotonic"}}};
  return l;
}

const NameList& score_names() {
  static const NameList l{"scores", {{"lac", "LAC"}, {"aps", "APS"}, {"raps", "RAPS"}, {"saps", "SAPS"}}};
  return l;
}

const NameList& detector_names() {
  static const NameList l{"detectors",
                          {{"msp", "MSP"},
                           {"maxlogit", "MaxLogit"},
                           {"energy", "Energy"},
                           {"entropy", "Entropy"},
                           {"mahalanobis", "Mahalanobis"},
                           {"knn", "KNN"}}};
  return l;
}

const NameList& ood_set_names() {
  static const NameList l{"ood_sets",
                          {{"digits", "digits (sklearn 8×8)"},
                           {"uniform-noise", "uniform noise"},
                           {"gaussian-noise", "Gaussian noise"},
                           {"inverted", "inverted Fashion-MNIST"},
                           {"rotated", "rotated Fashion-MNIST"}}};
  return l;
}

const NameList& text_attack_names() {
  static const NameList l{"text_attacks",
                          {{"pwws", "PWWS"}, {"hotflip", "HotFlip"}, {"textfooler", "TextFooler"},
                           {"deepwordbug", "DeepWordBug"}}};
  return l;
}

Json names_json() {
  Json out = Json::object();
  for (const NameList* l : {&stage_names(), &defense_names(), &attack_names(), &calibrator_names(), &score_names(),
                            &detector_names(), &ood_set_names(), &text_attack_names()}) {
    Json& family = out[l->family];
    family = Json::object();
    for (const Name& n : l->names) family[n.key] = n.display;
  }
  return out;
}

}  // namespace bulwark::experiments
