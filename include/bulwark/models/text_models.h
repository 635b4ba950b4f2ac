#pragma once
// Reference text classifiers over token ids (id 0 = <pad>). Both expose their embedding layer:
// forward(ids) = forward_embedded(embed(ids), mask), so token attacks can take gradients with
// respect to the input embeddings.

#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace bulwark::models {

class TextModel : public torch::nn::Module {
 public:
  // ids: (N, L) int64 -> logits (N, K). Padding (id 0) does not affect the result.
  at::Tensor forward(const at::Tensor& ids);
  // ids (N, L) -> embeddings (N, L, D).
  at::Tensor embed(const at::Tensor& ids);
  // embeddings (N, L, D), mask (N, L) (1 for tokens, 0 for padding) -> logits (N, K).
  virtual at::Tensor forward_embedded(const at::Tensor& embeddings, const at::Tensor& mask) = 0;
  // The (V, D) embedding matrix.
  const at::Tensor& embedding_matrix() const { return embedding->weight; }

  torch::nn::Embedding embedding{nullptr};

 protected:
  TextModel(int64_t vocab_size, int64_t dim);
};

// Mean of the token embeddings (padding excluded), then a linear layer: an embedding-bag model,
// linear in the embeddings, so a first-order flip gain is exact for it.
class EmbeddingBagClassifier : public TextModel {
 public:
  EmbeddingBagClassifier(int64_t vocab_size, int64_t dim = 64, int64_t num_classes = 2,
                         uint64_t seed = 0);
  at::Tensor forward_embedded(const at::Tensor& embeddings, const at::Tensor& mask) override;
  torch::nn::Linear fc{nullptr};
};

// A 1D convolutional classifier (Kim 2014): convolutions of widths 3, 4, 5 over the embeddings,
// ReLU, max over time (padding positions masked out), a linear layer.
class TextCNN : public TextModel {
 public:
  TextCNN(int64_t vocab_size, int64_t dim = 64, int64_t filters = 64, int64_t num_classes = 2,
          uint64_t seed = 0);
  at::Tensor forward_embedded(const at::Tensor& embeddings, const at::Tensor& mask) override;
  torch::nn::Conv1d conv3{nullptr}, conv4{nullptr}, conv5{nullptr};
  torch::nn::Linear fc{nullptr};
};

// Re-draws every parameter of `module` from a generator seeded with `seed`: weights of
// embeddings N(0, 1) (torch's default), others U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
void reinitialize(torch::nn::Module& module, uint64_t seed);

}  // namespace bulwark::models
