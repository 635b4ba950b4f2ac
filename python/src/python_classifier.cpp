#include "python_classifier.h"

#include <vector>

#include <bulwark/core/error.h>
#include <bulwark/core/scoped_eval.h>

namespace bulwark::python {

PythonClassifier::PythonClassifier(py::object model, ClassifierOptions options, py::object features)
    : Classifier(std::move(options)), model_(std::move(model)), features_(std::move(features)) {
  BULWARK_CHECK_TYPE(features_.is_none() || PyCallable_Check(features_.ptr()) != 0,
                     "Classifier: features must be callable (x -> (logits, features)) or None");
  BULWARK_CHECK_TYPE(PyCallable_Check(model_.ptr()) != 0,
                     "Classifier: model must be callable (an nn.Module or a function), got ",
                     py::str(py::type::of(model_).attr("__name__")).cast<std::string>());
  const py::object module_type = py::module_::import("torch.nn").attr("Module");
  is_module_ = py::isinstance(model_, module_type);
  if (is_module_) {
    for (py::handle p : model_.attr("parameters")()) {
      first_parameter_ = p.cast<at::Tensor>();
      break;
    }
  }
}

PythonClassifier::~PythonClassifier() {
  // The model may be released from a thread without the GIL (e.g. a C++ attack's last ref).
  py::gil_scoped_acquire gil;
  model_ = py::object();
  features_ = py::object();
  first_parameter_ = at::Tensor();
}

void PythonClassifier::check_compatible(const at::Tensor& x, const char* where) const {
  detail::check_matches_parameter(x, first_parameter_, where);
}

py::object PythonClassifier::call(const py::object& fn, const at::Tensor& x) {
  if (!(is_module_ && options().eval_mode)) return fn(x);
  // Set each module's own flag (not train(), which recurses), so any order restores.
  std::vector<py::object> modules;
  for (py::handle m : model_.attr("modules")()) modules.push_back(py::reinterpret_borrow<py::object>(m));
  ScopedEval guard(
      modules.size(), [&](size_t i) { return modules[i].attr("training").cast<bool>(); },
      [&](size_t i, bool on) { modules[i].attr("training") = py::bool_(on); });
  return fn(x);
}

namespace {
at::Tensor as_tensor_result(const py::object& out, const char* what) {
  BULWARK_CHECK_TYPE(THPVariable_Check(out.ptr()), "Classifier: the model must return a torch.Tensor of ", what,
                     ", got ", py::str(py::type::of(out).attr("__name__")).cast<std::string>());
  return out.cast<at::Tensor>();
}
}  // namespace

at::Tensor PythonClassifier::forward_impl(const at::Tensor& x) {
  py::gil_scoped_acquire gil;
  return as_tensor_result(call(model_, x), "logits");
}

LogitsAndFeatures PythonClassifier::logits_and_features_impl(const at::Tensor& x) {
  py::gil_scoped_acquire gil;
  const py::object out = call(features_, x);
  BULWARK_CHECK_TYPE(py::isinstance<py::tuple>(out) && py::len(out) == 2,
                     "Classifier: features must return a tuple (logits, features)");
  const py::tuple t = out.cast<py::tuple>();
  return {as_tensor_result(t[0], "logits"), as_tensor_result(t[1], "features")};
}

}  // namespace bulwark::python
