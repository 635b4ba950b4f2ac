#include <bulwark/core/module_classifier.h>

#include <vector>

#include <bulwark/core/error.h>
#include <bulwark/core/scoped_eval.h>

namespace bulwark {

ModuleClassifier::ModuleClassifier(std::shared_ptr<torch::nn::Module> module, Forward forward,
                                   ClassifierOptions options)
    : Classifier(std::move(options)), module_(std::move(module)), forward_(std::move(forward)) {
  BULWARK_CHECK_TYPE(module_ != nullptr, "ModuleClassifier: module is null");
  BULWARK_CHECK_TYPE(static_cast<bool>(forward_), "ModuleClassifier: forward is empty");
  auto params = module_->parameters(/*recurse=*/true);
  if (!params.empty()) first_parameter_ = params.front();
}

void ModuleClassifier::check_compatible(const at::Tensor& x, const char* where) const {
  detail::check_matches_parameter(x, first_parameter_, where);
}

namespace {
// Runs f with the module in eval mode (when asked), giving every submodule its mode back.
template <typename F>
auto in_eval_mode(torch::nn::Module& module, bool eval_mode, F&& f) {
  if (!eval_mode) return f();
  // modules() lists the tree in preorder and train(on) is recursive, so restoring the saved
  // flags in that order gives every submodule its own mode back.
  auto modules = module.modules(/*include_self=*/true);
  ScopedEval guard(
      modules.size(), [&](size_t i) { return modules[i]->is_training(); },
      [&](size_t i, bool on) { modules[i]->train(on); });
  return f();
}
}  // namespace

at::Tensor ModuleClassifier::forward_impl(const at::Tensor& x) {
  return in_eval_mode(*module_, options().eval_mode, [&] { return forward_(x); });
}

ModuleClassifier& ModuleClassifier::expose_features(Forward features, Forward head) {
  BULWARK_CHECK_TYPE(static_cast<bool>(features) && static_cast<bool>(head),
                     "ModuleClassifier.expose_features: features and head must be callable");
  features_ = std::move(features);
  head_ = std::move(head);
  return *this;
}

LogitsAndFeatures ModuleClassifier::logits_and_features_impl(const at::Tensor& x) {
  return in_eval_mode(*module_, options().eval_mode, [&] {
    at::Tensor f = features_(x);
    at::Tensor z = head_(f);
    return LogitsAndFeatures{z, f};
  });
}

}  // namespace bulwark
