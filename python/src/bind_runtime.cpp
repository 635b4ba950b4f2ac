#include <torch/extension.h>

#include <bulwark/core/random.h>
#include <bulwark/core/runtime.h>

#include "bindings.h"

namespace bulwark::python {

void bind_runtime(py::module_& m) {
  m.attr("__version__") = version();
  m.def("set_default_seed", &set_default_seed, py::arg("seed"));
  m.def("default_seed", &default_seed);
  m.def("configure_threads", &configure_threads);
  m.def("tune_malloc", &tune_malloc);
}

}  // namespace bulwark::python
