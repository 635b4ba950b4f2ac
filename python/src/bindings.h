#pragma once
// One binding function per area, assembled in module.cpp into bulwark._core.

#include <pybind11/pybind11.h>

#include <bulwark/core/classifier.h>

namespace bulwark::python {

namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_runtime(py::module_& m);
void bind_classifier(py::module_& m);
void bind_ops(py::module_& m);
void bind_attacks(py::module_& m);
void bind_data(py::module_& m);
void bind_models(py::module_& m);
void bind_text(py::module_& m);
void bind_text_attacks(py::module_& m);  // after bind_text
void bind_conformal(py::module_& m);
void bind_calibration(py::module_& m);
void bind_ood(py::module_& m);
void bind_defenses(py::module_& m);

}  // namespace bulwark::python
