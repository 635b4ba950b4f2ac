#include "python_classifier.h"

#include <vector>

#include <bulwark/core/error.h>
#include <bulwark/core/scoped_eval.h>

namespace bulwark::python {

PythonClassifier::PythonClassifier(py::object model, ClassifierOptions options)
    : Classifier(std::move(options)), model_(std::move(model)) {
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
  first_parameter_ = at::Tensor();
}

void PythonClassifier::check_compatible(const at::Tensor& x, const char* where) const {
  detail::check_matches_parameter(x, first_parameter_, where);
}

at::Tensor PythonClassifier::forward_impl(const at::Tensor& x) {
  py::gil_scoped_acquire gil;
  py::object out;
  if (is_module_ && options().eval_mode) {
    // Set each module's own flag (not train(), which recurses), so any order restores.
    std::vector<py::object> modules;
    for (py::handle m : model_.attr("modules")()) modules.push_back(py::reinterpret_borrow<py::object>(m));
    ScopedEval guard(
        modules.size(), [&](size_t i) { return modules[i].attr("training").cast<bool>(); },
        [&](size_t i, bool on) { modules[i].attr("training") = py::bool_(on); });
    out = model_(x);
  } else {
    out = model_(x);
  }
  BULWARK_CHECK_TYPE(THPVariable_Check(out.ptr()),
                     "Classifier: the model must return a torch.Tensor of logits, got ",
                     py::str(py::type::of(out).attr("__name__")).cast<std::string>());
  return out.cast<at::Tensor>();
}

}  // namespace bulwark::python
