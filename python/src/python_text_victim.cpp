#include "python_text_victim.h"

#include <vector>

#include <bulwark/core/error.h>
#include <bulwark/core/scoped_eval.h>

namespace bulwark::python {

PythonTextVictim::PythonTextVictim(py::object model,
                                   std::shared_ptr<const text::Vocabulary> vocabulary,
                                   text::Tokenizer tokenizer, int64_t max_len)
    : TextVictim(std::move(vocabulary), std::move(tokenizer), max_len), model_(std::move(model)) {
  BULWARK_CHECK_TYPE(PyCallable_Check(model_.ptr()) != 0,
                     "Victim: model must be callable (ids -> logits), got ",
                     py::str(py::type::of(model_).attr("__name__")).cast<std::string>());
  is_module_ = py::isinstance(model_, py::module_::import("torch.nn").attr("Module"));
  white_box_ = py::hasattr(model_, "forward_embedded") && py::hasattr(model_, "embedding") &&
               py::hasattr(model_.attr("embedding"), "weight");
  if (white_box_) {
    const auto v = model_.attr("embedding").attr("weight").cast<at::Tensor>().size(0);
    BULWARK_CHECK(v == this->vocabulary().size(), "Victim: the model embeds ", v,
                  " tokens but the vocabulary has ", this->vocabulary().size());
  }
}

PythonTextVictim::~PythonTextVictim() {
  py::gil_scoped_acquire gil;
  model_ = py::object();
}

c10::Device PythonTextVictim::device() const {
  if (!is_module_) return c10::kCPU;
  py::gil_scoped_acquire gil;
  for (py::handle p : model_.attr("parameters")()) return p.cast<at::Tensor>().device();
  return c10::kCPU;
}

py::object PythonTextVictim::call(const py::object& fn, const py::tuple& args) {
  if (!is_module_) return fn(*args);
  std::vector<py::object> modules;
  for (py::handle m : model_.attr("modules")()) modules.push_back(py::reinterpret_borrow<py::object>(m));
  ScopedEval guard(
      modules.size(), [&](size_t i) { return modules[i].attr("training").cast<bool>(); },
      [&](size_t i, bool on) { modules[i].attr("training") = py::bool_(on); });
  return fn(*args);
}

namespace {
at::Tensor tensor_result(const py::object& out, const char* fn) {
  BULWARK_CHECK_TYPE(THPVariable_Check(out.ptr()), "Victim: ", fn,
                     " must return a torch.Tensor of logits, got ",
                     py::str(py::type::of(out).attr("__name__")).cast<std::string>());
  return out.cast<at::Tensor>();
}
}  // namespace

at::Tensor PythonTextVictim::forward_impl(const at::Tensor& ids) {
  py::gil_scoped_acquire gil;
  at::NoGradGuard no_grad;
  return tensor_result(call(model_, py::make_tuple(ids)), "the model");
}

at::Tensor PythonTextVictim::embedding_matrix_impl() {
  py::gil_scoped_acquire gil;
  return model_.attr("embedding").attr("weight").cast<at::Tensor>();
}

at::Tensor PythonTextVictim::forward_embedded_impl(const at::Tensor& embeddings,
                                                   const at::Tensor& mask) {
  py::gil_scoped_acquire gil;
  return tensor_result(call(model_.attr("forward_embedded"), py::make_tuple(embeddings, mask)),
                       "forward_embedded");
}

}  // namespace bulwark::python
