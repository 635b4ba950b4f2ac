#pragma once
// A text victim over a Python callable ids (N, L) -> logits (N, K): an nn.Module (ours or the
// user's), a TorchScript module loaded in Python, or a plain function. White-box when the object
// has an `embedding` (nn.Embedding-like, with .weight) and a method
// forward_embedded(embeddings, mask), as bulwark's text models do.

#include <torch/extension.h>

#include <bulwark/attacks/text/victim.h>

namespace bulwark::python {

namespace py = pybind11;

class PythonTextVictim : public attacks::text::TextVictim {
 public:
  PythonTextVictim(py::object model, std::shared_ptr<const text::Vocabulary> vocabulary,
                   text::Tokenizer tokenizer, int64_t max_len);
  ~PythonTextVictim() override;
  bool white_box() const override { return white_box_; }
  py::object model() const { return model_; }

 protected:
  at::Tensor forward_impl(const at::Tensor& ids) override;
  at::Tensor embedding_matrix_impl() override;
  at::Tensor forward_embedded_impl(const at::Tensor& embeddings, const at::Tensor& mask) override;
  std::string name() const override { return "Victim"; }
  c10::Device device() const override;

 private:
  py::object call(const py::object& fn, const py::tuple& args);
  py::object model_;
  bool is_module_ = false, white_box_ = false;
};

}  // namespace bulwark::python
