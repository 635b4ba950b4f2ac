#pragma once
// The one registry of the names an experiment can use — stages, defenses, attacks, calibrators,
// conformal scores, OOD detectors and sets, text attacks — each with the name the report prints.
// The CLI help and the config validation (config.cpp), the stages and results.json (whose
// "names" section the report reads) all take them from here.

#include <string>
#include <vector>

#include "tensor_json.h"

namespace bulwark::experiments {

struct Name {
  const char* key;      // as written in a config: "apgd-ce"
  const char* display;  // as the report prints it: "APGD-CE"
};

struct NameList {
  const char* family;  // results.json "names" key, e.g. "attacks"
  std::vector<Name> names;

  std::vector<std::string> keys() const;
  std::string joined() const;  // "fgsm pgd apgd-ce ...", for help lines
};

const NameList& stage_names();
const NameList& defense_names();
const NameList& attack_names();
const NameList& calibrator_names();
const NameList& score_names();
const NameList& detector_names();
const NameList& ood_set_names();
const NameList& text_attack_names();

// {"defenses": {"standard": "Standard", ...}, "attacks": {...}, ...}: the display names for
// results.json, so that the report names things as the experiment does.
Json names_json();

}  // namespace bulwark::experiments
