#pragma once
// Puts a module tree in eval mode for a scope and gives each module its own mode back after,
// also when the forward throws. Shared by the C++, TorchScript and Python adapters.

#include <cstddef>
#include <functional>
#include <vector>

namespace bulwark {

class ScopedEval {
 public:
  using IsTraining = std::function<bool(size_t)>;
  using SetTraining = std::function<void(size_t, bool)>;

  // Modules 0..n-1 in preorder (parents before children). Does nothing if none is training.
  ScopedEval(size_t n, const IsTraining& is_training, SetTraining set_training)
      : set_(std::move(set_training)) {
    bool any = false;
    saved_.resize(n);
    for (size_t i = 0; i < n; ++i) any |= saved_[i] = is_training(i);
    if (!any) {
      saved_.clear();
      return;
    }
    for (size_t i = 0; i < n; ++i) set_(i, false);
  }
  ~ScopedEval() {
    for (size_t i = 0; i < saved_.size(); ++i) set_(i, saved_[i]);
  }
  ScopedEval(const ScopedEval&) = delete;
  ScopedEval& operator=(const ScopedEval&) = delete;

 private:
  SetTraining set_;
  std::vector<bool> saved_;
};

}  // namespace bulwark
