#include <bulwark/core/torchscript_classifier.h>

#include <filesystem>
#include <vector>

#include <torch/csrc/jit/serialization/import.h>

#include <bulwark/core/error.h>
#include <bulwark/core/scoped_eval.h>

namespace bulwark {

namespace {
torch::jit::Module load_module(const std::string& path, c10::Device device) {
  BULWARK_CHECK_AS(FileError, std::filesystem::is_regular_file(path),
                   "TorchScriptClassifier: path '", path, "' is not a file");
  try {
    return torch::jit::load(path, device);
  } catch (const c10::Error& e) {
    throw FileError(detail::str("TorchScriptClassifier: cannot load '", path,
                                "' as TorchScript (save it with torch.jit.save): ",
                                e.what_without_backtrace()));
  }
}
}  // namespace

TorchScriptClassifier::TorchScriptClassifier(const std::string& path, ClassifierOptions options,
                                             c10::Device device)
    : TorchScriptClassifier(load_module(path, device), std::move(options)) {
  path_ = path;
}

TorchScriptClassifier::TorchScriptClassifier(torch::jit::Module module, ClassifierOptions options)
    : Classifier(std::move(options)), module_(std::move(module)) {
  BULWARK_CHECK_TYPE(module_.find_method("forward").has_value(),
                     "TorchScriptClassifier: the module has no forward method");
  for (const at::Tensor& p : module_.parameters(/*recurse=*/true)) {
    first_parameter_ = p;
    break;
  }
}

void TorchScriptClassifier::check_compatible(const at::Tensor& x, const char* where) const {
  detail::check_matches_parameter(x, first_parameter_, where);
}

at::Tensor TorchScriptClassifier::forward_impl(const at::Tensor& x) {
  auto run = [&] {
    c10::IValue out = module_.forward({x});
    BULWARK_CHECK_TYPE(out.isTensor(), "TorchScriptClassifier: forward must return a Tensor of "
                       "logits, got ", out.tagKind());
    return out.toTensor();
  };
  if (!options().eval_mode) return run();
  std::vector<torch::jit::Module> modules;
  for (const auto& m : module_.modules()) modules.push_back(m);  // preorder, self first
  ScopedEval guard(
      modules.size(), [&](size_t i) { return modules[i].is_training(); },
      [&](size_t i, bool on) { modules[i].train(on); });
  return run();
}

std::string TorchScriptClassifier::repr() const {
  std::string base = Classifier::repr();
  if (path_.empty()) return base;
  base.pop_back();
  return base + ", path='" + path_ + "')";
}

}  // namespace bulwark
