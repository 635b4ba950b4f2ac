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
  // features: None, or a callable x -> (logits, features) exposing penultimate features.
  PythonClassifier(py::object model, ClassifierOptions options, py::object features = py::none());
  ~PythonClassifier() override;
  py::object model() const { return model_; }
  bool has_features() const override { return !features_.is_none(); }

 protected:
  at::Tensor forward_impl(const at::Tensor& x) override;
  LogitsAndFeatures logits_and_features_impl(const at::Tensor& x) override;
  void check_compatible(const at::Tensor& x, const char* where) const override;
  std::string name() const override { return "Classifier"; }

 private:
  // fn(x) with the GIL held, the module in eval mode when asked.
  py::object call(const py::object& fn, const at::Tensor& x);

  py::object model_, features_;
  bool is_module_ = false;
  at::Tensor first_parameter_;  // the module's own parameter: follows .to(device)
};

}  // namespace bulwark::python
