#include <torch/extension.h>
#include <pybind11/stl.h>

#include <bulwark/core/classifier.h>
#include <bulwark/core/torchscript_classifier.h>
#include <bulwark/losses/classification.h>

#include "bindings.h"
#include "python_classifier.h"

namespace bulwark::python {

namespace {
ClassifierOptions make_options(std::pair<double, double> bounds, std::optional<int64_t> num_classes,
                               std::vector<int64_t> input_shape, bool eval_mode) {
  ClassifierOptions o;
  o.bounds = {bounds.first, bounds.second};
  o.num_classes = num_classes;
  o.input_shape = std::move(input_shape);
  o.eval_mode = eval_mode;
  return o;
}
}  // namespace

void bind_classifier(py::module_& m) {
  using release = py::call_guard<py::gil_scoped_release>;
  // Results are typed classes with attributes and a repr; no dicts or tuples of results.
  py::class_<QueryCounts>(m, "QueryCounts")
      .def(py::init([](int64_t fc, int64_t fs, int64_t bc, int64_t bs) { return QueryCounts{fc, fs, bc, bs}; }),
           py::arg("forward_calls") = 0, py::arg("forward_samples") = 0, py::arg("backward_calls") = 0,
           py::arg("backward_samples") = 0)
      .def_readonly("forward_calls", &QueryCounts::forward_calls)
      .def_readonly("forward_samples", &QueryCounts::forward_samples)
      .def_readonly("backward_calls", &QueryCounts::backward_calls)
      .def_readonly("backward_samples", &QueryCounts::backward_samples)
      .def("__eq__", [](const QueryCounts& a, const QueryCounts& b) { return a == b; }, py::is_operator())
      .def("__add__", [](const QueryCounts& a, const QueryCounts& b) { return a + b; }, py::is_operator())
      .def("__repr__", [](const QueryCounts& q) {
        return "QueryCounts(forward_calls=" + std::to_string(q.forward_calls) + ", forward_samples=" +
               std::to_string(q.forward_samples) + ", backward_calls=" + std::to_string(q.backward_calls) +
               ", backward_samples=" + std::to_string(q.backward_samples) + ")";
      });

  py::class_<LogitsAndGrad>(m, "LogitsAndGrad")
      .def_readonly("logits", &LogitsAndGrad::logits)
      .def_readonly("loss", &LogitsAndGrad::loss)
      .def_readonly("grad", &LogitsAndGrad::grad);
  py::class_<LogitsAndJacobian>(m, "LogitsAndJacobian")
      .def_readonly("logits", &LogitsAndJacobian::logits)
      .def_readonly("jacobian", &LogitsAndJacobian::jacobian);
  py::class_<LogitsAndFeatures>(m, "LogitsAndFeatures")
      .def_readonly("logits", &LogitsAndFeatures::logits)
      .def_readonly("features", &LogitsAndFeatures::features);

  py::class_<Classifier, std::shared_ptr<Classifier>>(m, "Classifier")
      .def("logits", &Classifier::logits, py::arg("x"), release())
      .def("predict", &Classifier::predict, py::arg("x"), release())
      .def("check_input", [](const Classifier& c, const at::Tensor& x) { c.check_input(x); },
           py::arg("x"))
      .def(
          "loss_and_gradient",
          [](Classifier& c, const at::Tensor& x, const at::Tensor& y, const std::string& loss) {
            const auto kind = losses::parse_loss(loss, "Classifier.gradient: loss");
            py::gil_scoped_release nogil;
            return c.logits_and_grad(x, losses::against(kind, y));
          },
          py::arg("x"), py::arg("y"), py::arg("loss") = "ce")
      .def(
          "jacobian",
          [](Classifier& c, const at::Tensor& x, std::optional<at::Tensor> classes) {
            py::gil_scoped_release nogil;
            return c.logits_and_jacobian(x, classes ? *classes : at::Tensor());
          },
          py::arg("x"), py::arg("classes") = py::none())
      .def("logits_and_features", [](Classifier& c, const at::Tensor& x) {
             py::gil_scoped_release nogil;
             return c.logits_and_features(x);
           }, py::arg("x"))
      .def_property_readonly("has_features", &Classifier::has_features)
      .def_property_readonly("num_classes", &Classifier::num_classes)
      .def_property_readonly("knows_num_classes", &Classifier::knows_num_classes)
      .def_property_readonly("bounds",
                             [](const Classifier& c) {
                               return py::make_tuple(c.bounds().lower, c.bounds().upper);
                             })
      .def_property_readonly("eval_mode", [](const Classifier& c) { return c.options().eval_mode; })
      .def_property_readonly("input_shape",
                             [](const Classifier& c) { return c.options().input_shape; })
      .def_property_readonly("queries", &Classifier::queries)
      .def("reset_queries", &Classifier::reset_queries)
      .def("__repr__", &Classifier::repr);

  py::class_<PythonClassifier, Classifier, std::shared_ptr<PythonClassifier>>(m, "PythonClassifier")
      .def(py::init([](py::object model, std::pair<double, double> bounds,
                       std::optional<int64_t> num_classes, std::vector<int64_t> input_shape,
                       bool eval_mode, py::object features) {
             return std::make_shared<PythonClassifier>(
                 std::move(model), make_options(bounds, num_classes, std::move(input_shape), eval_mode),
                 std::move(features));
           }),
           py::arg("model"), py::arg("bounds"), py::arg("num_classes"), py::arg("input_shape"),
           py::arg("eval_mode"), py::arg("features") = py::none())
      .def_property_readonly("model", &PythonClassifier::model);

  py::class_<TorchScriptClassifier, Classifier, std::shared_ptr<TorchScriptClassifier>>(
      m, "TorchScriptClassifier")
      .def(py::init([](const std::string& path, std::pair<double, double> bounds,
                       std::optional<int64_t> num_classes, std::vector<int64_t> input_shape,
                       bool eval_mode, const std::string& device) {
             return std::make_shared<TorchScriptClassifier>(
                 path, make_options(bounds, num_classes, std::move(input_shape), eval_mode),
                 c10::Device(device));
           }),
           py::arg("path"), py::arg("bounds"), py::arg("num_classes"), py::arg("input_shape"),
           py::arg("eval_mode"), py::arg("device"))
      .def_property_readonly("path", &TorchScriptClassifier::path);
}

}  // namespace bulwark::python
