#include <torch/extension.h>
#include <pybind11/stl.h>

#include <bulwark/core/random.h>
#include <bulwark/ops/ball_sampling.h>
#include <bulwark/ops/norm.h>
#include <bulwark/ops/projection.h>

#include "bindings.h"

namespace bulwark::python {

namespace {
ops::Norm norm_of(const std::string& s) { return ops::parse_norm(s); }
}  // namespace

void bind_ops(py::module_& m) {
  py::module_ o = m.def_submodule("ops", "Norms, projections and ball sampling.");
  using release = py::call_guard<py::gil_scoped_release>;
  o.def("per_sample_norm", [](const at::Tensor& x, const std::string& norm) {
    return ops::per_sample_norm(x, norm_of(norm));
  }, py::arg("x"), py::arg("norm"), release());
  o.def("project", [](const at::Tensor& delta, const std::string& norm, double eps) {
    return ops::project(delta, norm_of(norm), eps);
  }, py::arg("delta"), py::arg("norm"), py::arg("eps"), release());
  o.def("project", [](const at::Tensor& delta, const std::string& norm, const at::Tensor& eps) {
    return ops::project(delta, norm_of(norm), eps);
  }, py::arg("delta"), py::arg("norm"), py::arg("eps"), release());
  o.def("clip_to_box", [](const at::Tensor& x, double lower, double upper) {
    return ops::clip_to_box(x, {lower, upper});
  }, py::arg("x"), py::arg("lower"), py::arg("upper"), release());
  o.def("project_perturbation", [](const at::Tensor& x_adv, const at::Tensor& x,
                                   const std::string& norm, double eps, double lower, double upper) {
    return ops::project_perturbation(x_adv, x, norm_of(norm), eps, {lower, upper});
  }, py::arg("x_adv"), py::arg("x"), py::arg("norm"), py::arg("eps"), py::arg("lower"),
     py::arg("upper"), release());
  o.def("random_in_ball", [](const at::Tensor& like, const std::string& norm, double eps,
                             uint64_t seed) {
    at::Generator gen = make_generator(seed, like.device());
    return ops::random_in_ball(like, norm_of(norm), eps, gen);
  }, py::arg("like"), py::arg("norm"), py::arg("eps"), py::arg("seed"), release());
}

}  // namespace bulwark::python
