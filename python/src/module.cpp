#include <torch/extension.h>

#include "bindings.h"

PYBIND11_MODULE(_core, m) {
  m.doc() = "bulwark's C++ core. Use the `bulwark` package, not this module directly.";
  using namespace bulwark::python;
  bind_errors(m);
  bind_runtime(m);
  bind_classifier(m);
  bind_ops(m);
  bind_attacks(m);
  bind_data(m);
  bind_models(m);
  bind_text(m);
  bind_text_attacks(m);
  bind_conformal(m);
  bind_calibration(m);
  bind_ood(m);
  bind_defenses(m);
}
