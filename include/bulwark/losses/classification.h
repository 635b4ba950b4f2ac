#pragma once
// Per-sample classification losses that attacks maximise. logits: (N, K) float; y: (N,) int64.
// Each returns (N,) in the logits' dtype; larger means "more wrong".

#include <string>
#include <string_view>

#include <ATen/core/Tensor.h>

#include <bulwark/core/classifier.h>

namespace bulwark::losses {

// -log softmax(z)_y.
at::Tensor cross_entropy(const at::Tensor& logits, const at::Tensor& y);

// max_{j != y} z_j - z_y: the Carlini & Wagner (2017) margin, positive once misclassified.
at::Tensor margin(const at::Tensor& logits, const at::Tensor& y);

// Difference of logits ratio (Croce & Hein 2020, Eq. 5):
// -(z_y - max_{j != y} z_j) / (z_pi1 - z_pi3 + 1e-12), pi the logits sorted descending. K >= 3.
at::Tensor dlr(const at::Tensor& logits, const at::Tensor& y);

// Targeted DLR (Croce & Hein 2020, Eq. 6), towards class t:
// -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12). K >= 4.
at::Tensor dlr_targeted(const at::Tensor& logits, const at::Tensor& y, const at::Tensor& t);

enum class Loss { CrossEntropy, Margin, DLR };
// "ce" | "margin" (alias "cw") | "dlr".
Loss parse_loss(std::string_view name, const char* arg = "loss");
std::string to_string(Loss loss);
at::Tensor compute(Loss loss, const at::Tensor& logits, const at::Tensor& y);
// The LossFn of `loss` against labels y, for Classifier::logits_and_grad.
LossFn against(Loss loss, const at::Tensor& y);

// Throws unless y is an int64 tensor of shape (n,) with values in [0, k) (k <= 0: not checked).
void check_labels(const at::Tensor& y, int64_t n, int64_t k, const char* where,
                  const char* arg = "y");

}  // namespace bulwark::losses
