#include <torch/extension.h>
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <bulwark/data/batches.h>
#include <bulwark/data/digits.h>
#include <bulwark/data/fashion_mnist.h>
#include <bulwark/data/idx.h>
#include <bulwark/data/ood_sets.h>

#include "bindings.h"

namespace bulwark::python {

namespace {
// Runs `load` without the GIL and hands (inputs, labels) to Python.
template <typename F>
py::tuple as_pair(F&& load) {
  data::TensorDataset ds;
  {
    py::gil_scoped_release nogil;
    ds = load();
  }
  return py::make_tuple(ds.inputs, ds.labels);
}
}  // namespace

void bind_data(py::module_& m) {
  py::module_ d = m.def_submodule("data", "Data sets read from Debian's packages.");
  using release = py::call_guard<py::gil_scoped_release>;
  d.def("read_idx", &data::read_idx, py::arg("path"), release());

  // Minibatch sources of the training loop (data/batches.h), e.g. for bw.data.Batches.
  py::class_<data::BatchSource, std::shared_ptr<data::BatchSource>>(d, "BatchSource");
  py::class_<data::TensorBatches, data::BatchSource, std::shared_ptr<data::TensorBatches>>(d, "TensorBatches")
      .def(py::init([](const at::Tensor& inputs, const at::Tensor& labels, int64_t batch_size, bool shuffle) {
             return std::make_shared<data::TensorBatches>(data::TensorDataset{inputs, labels}, batch_size, shuffle);
           }),
           py::arg("inputs"), py::arg("labels"), py::arg("batch_size"), py::arg("shuffle"))
      .def("begin_epoch", &data::TensorBatches::begin_epoch, py::arg("seed"), release())
      .def("next", [](data::TensorBatches& b) -> std::optional<std::pair<at::Tensor, at::Tensor>> {
        std::optional<data::Batch> batch;
        {
          py::gil_scoped_release nogil;
          batch = b.next();
        }
        if (!batch) return std::nullopt;
        return std::make_pair(batch->inputs, batch->labels);
      })
      .def_property_readonly("batches", &data::TensorBatches::batches);
  // A source over Python callables (a DataLoader's iterator); they run with the GIL taken.
  using Next = std::function<std::optional<std::pair<at::Tensor, at::Tensor>>()>;
  py::class_<data::FunctionBatches, data::BatchSource, std::shared_ptr<data::FunctionBatches>>(d, "FunctionBatches")
      .def(py::init([](std::function<void(uint64_t)> begin, Next next, int64_t batches) {
             return std::make_shared<data::FunctionBatches>(
                 std::move(begin),
                 [next = std::move(next)]() -> std::optional<data::Batch> {
                   auto b = next();
                   if (!b) return std::nullopt;
                   return data::Batch{b->first, b->second};
                 },
                 batches);
           }),
           py::arg("begin_epoch"), py::arg("next"), py::arg("batches"));
  d.def("fashion_mnist_dir", &data::fashion_mnist_dir);
  d.def("fashion_mnist", [](const std::string& split, const std::string& dir) {
    return as_pair([&] { return data::fashion_mnist(split, dir); });
  }, py::arg("split"), py::arg("dir") = "");
  d.def("digits_path", &data::digits_path);
  d.def("digits", [](const std::string& path) {
    return as_pair([&] { return data::digits(path); });
  }, py::arg("path") = "");
  d.def("uniform_noise", [](int64_t n, std::vector<int64_t> shape, uint64_t seed) {
    return as_pair([&] { return data::uniform_noise(n, shape, seed); });
  }, py::arg("n"), py::arg("shape"), py::arg("seed"));
  d.def("gaussian_noise", [](int64_t n, std::vector<int64_t> shape, uint64_t seed, double mean,
                             double std) {
    return as_pair([&] { return data::gaussian_noise(n, shape, seed, mean, std); });
  }, py::arg("n"), py::arg("shape"), py::arg("seed"), py::arg("mean"), py::arg("std"));
  d.def("inverted", [](const at::Tensor& x) { return as_pair([&] { return data::inverted(x); }); },
        py::arg("images"));
  d.def("rotated", [](const at::Tensor& x, uint64_t seed) {
    return as_pair([&] { return data::rotated(x, seed); });
  }, py::arg("images"), py::arg("seed"));
}

}  // namespace bulwark::python
