#pragma once
// A Classifier over a C++ torch::nn::Module (LibTorch).

#include <functional>
#include <memory>
#include <string>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <bulwark/core/classifier.h>

namespace bulwark {

class ModuleClassifier : public Classifier {
 public:
  using Forward = std::function<at::Tensor(const at::Tensor&)>;

  // `forward` computes logits with `module`; the module is used for train/eval mode and
  // for checking x's dtype and device against its parameters.
  ModuleClassifier(std::shared_ptr<torch::nn::Module> module, Forward forward,
                   ClassifierOptions options = {});

  // Any module with `at::Tensor forward(at::Tensor)`.
  template <typename M, typename = std::enable_if_t<std::is_base_of_v<torch::nn::Module, M>>>
  explicit ModuleClassifier(std::shared_ptr<M> module, ClassifierOptions options = {})
      : ModuleClassifier(
            module, [m = module.get()](const at::Tensor& x) { return m->forward(x); },
            std::move(options)) {}

  // A module holder such as torch::nn::Sequential or one made with TORCH_MODULE.
  template <typename M>
  explicit ModuleClassifier(const torch::nn::ModuleHolder<M>& holder, ClassifierOptions options = {})
      : ModuleClassifier(holder.ptr(), std::move(options)) {}

  const std::shared_ptr<torch::nn::Module>& module() const { return module_; }

  // Exposes penultimate features: logits_and_features(x) runs features(x) and head on the
  // result (the last layer), in one forward. E.g. for models::FashionCNN:
  //   clf.expose_features([&](auto& x) { return net->features(x); },
  //                       [&](auto& f) { return net->fc2(f); });
  ModuleClassifier& expose_features(Forward features, Forward head);
  bool has_features() const override { return static_cast<bool>(features_); }

 protected:
  at::Tensor forward_impl(const at::Tensor& x) override;
  LogitsAndFeatures logits_and_features_impl(const at::Tensor& x) override;
  void check_compatible(const at::Tensor& x, const char* where) const override;
  std::string name() const override { return "ModuleClassifier"; }

 private:
  std::shared_ptr<torch::nn::Module> module_;
  Forward forward_;
  Forward features_, head_;
  at::Tensor first_parameter_;  // same TensorImpl as the module's: follows .to(device)
};

}  // namespace bulwark
