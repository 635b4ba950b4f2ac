#pragma once
// A Classifier over a TorchScript module: one saved from Python with torch.jit.save, loaded
// and run in C++ without Python.

#include <string>

#include <torch/csrc/jit/api/module.h>

#include <bulwark/core/classifier.h>

namespace bulwark {

class TorchScriptClassifier : public Classifier {
 public:
  // Loads `path` onto `device`. Throws FileError if the file is missing or not TorchScript.
  explicit TorchScriptClassifier(const std::string& path, ClassifierOptions options = {},
                                 c10::Device device = c10::kCPU);
  explicit TorchScriptClassifier(torch::jit::Module module, ClassifierOptions options = {});

  torch::jit::Module& module() { return module_; }
  const std::string& path() const { return path_; }
  std::string repr() const override;

 protected:
  at::Tensor forward_impl(const at::Tensor& x) override;
  void check_compatible(const at::Tensor& x, const char* where) const override;
  std::string name() const override { return "TorchScriptClassifier"; }

 private:
  torch::jit::Module module_;
  std::string path_;
  at::Tensor first_parameter_;
};

}  // namespace bulwark
