#include <torch/extension.h>

#include <pybind11/stl.h>

#include <bulwark/core/random.h>
#include <bulwark/core/runtime.h>

#include "bindings.h"

namespace bulwark::python {

void bind_runtime(py::module_& m) {
  m.attr("__version__") = version();
  m.def("set_default_seed", &set_default_seed, py::arg("seed"));
  m.def("default_seed", &default_seed);
  m.def("derive_seed", &derive_seed, py::arg("seed"), py::arg("index"));

  py::module_ r = m.def_submodule("runtime", "Process-wide settings: threads and the allocator.");
  py::class_<RuntimeInfo>(r, "RuntimeInfo")
      .def_readonly("version", &RuntimeInfo::version)
      .def_readonly("threads", &RuntimeInfo::threads)
      .def_readonly("cores", &RuntimeInfo::cores)
      .def_readonly("omp_num_threads", &RuntimeInfo::omp_num_threads)
      .def_readonly("threads_tuned", &RuntimeInfo::threads_tuned)
      .def_readonly("malloc_tuned", &RuntimeInfo::malloc_tuned)
      .def_readonly("default_seed", &RuntimeInfo::default_seed)
      .def("__repr__", [](const RuntimeInfo& i) {
        return "RuntimeInfo(version='" + i.version + "', threads=" + std::to_string(i.threads) +
               ", cores=" + std::to_string(i.cores) + ", omp_num_threads=" + (i.omp_num_threads ? "True" : "False") +
               ", threads_tuned=" + (i.threads_tuned ? "True" : "False") +
               ", malloc_tuned=" + (i.malloc_tuned ? "True" : "False") +
               ", default_seed=" + std::to_string(i.default_seed) + ")";
      });
  r.def(
      "tune",
      [](std::optional<int> threads, bool malloc) {
        TuneOptions o;
        o.threads = threads;
        o.malloc = malloc;
        return tune(o);
      },
      py::arg("threads") = py::none(), py::arg("malloc") = true);
  r.def("info", &runtime_info);
}

}  // namespace bulwark::python
