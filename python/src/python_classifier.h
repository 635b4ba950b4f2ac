#pragma once
// A Classifier over any Python callable that maps a torch.Tensor to logits: an nn.Module, a
// TorchScript module loaded in Python, or a plain function. The GIL is held only while Python
// runs; autograd flows through because Python and C++ share one autograd graph.

#include <torch/extension.h>

#include <bulwark/core/classifier.h>

namespace bulwark::python {

namespace py = pybind11;

class PythonClassifier : public Classifier {
 public:
  PythonClassifier(py::object model, ClassifierOptions options);
  ~PythonClassifier() override;
  py::object model() const { return model_; }

 protected:
  at::Tensor forward_impl(const at::Tensor& x) override;
  void check_compatible(const at::Tensor& x, const char* where) const override;
  std::string name() const override { return "Classifier"; }

 private:
  py::object model_;
  bool is_module_ = false;
  at::Tensor first_parameter_;  // the module's own parameter: follows .to(device)
};

}  // namespace bulwark::python
