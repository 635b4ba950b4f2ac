#pragma once
// One binding function per area, assembled in module.cpp into bulwark._core.

#include <pybind11/pybind11.h>

namespace bulwark::python {

namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_runtime(py::module_& m);
void bind_classifier(py::module_& m);
void bind_ops(py::module_& m);
void bind_attacks(py::module_& m);
void bind_data(py::module_& m);

}  // namespace bulwark::python
