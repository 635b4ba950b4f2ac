#include <torch/extension.h>
#include <pybind11/stl.h>

#include <bulwark/core/random.h>
#include <bulwark/defenses/randomized_smoothing.h>
#include <bulwark/metrics/binomial.h>

#include "bindings.h"

namespace bulwark::python {

void bind_defenses(py::module_& m) {
  py::module_ d = m.def_submodule("defenses", "Defenses.");
  using defenses::RandomizedSmoothing;
  auto as_tuple = [](const defenses::Certificate& c) { return py::make_tuple(c.prediction, c.radius, c.p_lower); };
  py::class_<RandomizedSmoothing>(d, "RandomizedSmoothing")
      .def(py::init<double, int64_t, uint64_t>(), py::arg("sigma"), py::arg("batch_size"), py::arg("seed"))
      .def("predict", &RandomizedSmoothing::predict, py::arg("model"), py::arg("x"), py::arg("n"), py::arg("alpha"),
           py::call_guard<py::gil_scoped_release>())
      .def("certify", [as_tuple](const RandomizedSmoothing& rs, Classifier& model, const at::Tensor& x, int64_t n0,
                                 int64_t n, double alpha) {
             defenses::Certificate c;
             {
               py::gil_scoped_release nogil;
               c = rs.certify(model, x, n0, n, alpha);
             }
             return as_tuple(c);
           }, py::arg("model"), py::arg("x"), py::arg("n0"), py::arg("n"), py::arg("alpha"))
      .def_property_readonly("sigma", &RandomizedSmoothing::sigma);
  d.def("gaussian_augmentation", [](const at::Tensor& x, double sigma, uint64_t seed) {
    at::Generator g = make_generator(seed);
    return defenses::gaussian_augmentation(x, sigma, g);
  }, py::arg("x"), py::arg("sigma"), py::arg("seed"));
  d.def("certified_accuracy", [](const at::Tensor& prediction, const at::Tensor& radius, const at::Tensor& labels,
                                 const at::Tensor& radii) {
    return defenses::certified_accuracy({prediction, radius, at::Tensor()}, labels, radii);
  }, py::arg("prediction"), py::arg("radius"), py::arg("labels"), py::arg("radii"));

  py::module_ mt = m.attr("metrics").cast<py::module_>();
  mt.def("clopper_pearson_lower", &metrics::clopper_pearson_lower, py::arg("k"), py::arg("n"), py::arg("alpha"));
  mt.def("clopper_pearson_upper", &metrics::clopper_pearson_upper, py::arg("k"), py::arg("n"), py::arg("alpha"));
  mt.def("binomial_test_half", &metrics::binomial_test_half, py::arg("k"), py::arg("n"));
}

}  // namespace bulwark::python
