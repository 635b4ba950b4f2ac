#include <torch/extension.h>

#include <bulwark/data/fashion_mnist.h>
#include <bulwark/data/idx.h>

#include "bindings.h"

namespace bulwark::python {

void bind_data(py::module_& m) {
  py::module_ d = m.def_submodule("data", "Data sets read from Debian's packages.");
  using release = py::call_guard<py::gil_scoped_release>;
  d.def("read_idx", &data::read_idx, py::arg("path"), release());
  d.def("fashion_mnist_dir", &data::fashion_mnist_dir);
  d.def("fashion_mnist", [](const std::string& split, const std::string& dir) {
    data::TensorDataset ds;
    {
      py::gil_scoped_release nogil;
      ds = data::fashion_mnist(split, dir);
    }
    return py::make_tuple(ds.inputs, ds.labels);
  }, py::arg("split"), py::arg("dir") = "");
}

}  // namespace bulwark::python
