#include <bulwark/models/text_models.h>

#include <cmath>
#include <limits>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/random.h>

namespace bulwark::models {

TextModel::TextModel(int64_t vocab_size, int64_t dim) {
  BULWARK_CHECK(vocab_size >= 2, "TextModel: vocab_size must be >= 2, got ", vocab_size);
  BULWARK_CHECK(dim >= 1, "TextModel: dim must be >= 1, got ", dim);
  GlobalRngGuard keep_global_rng;
  embedding = register_module("embedding", torch::nn::Embedding(vocab_size, dim));
}

at::Tensor TextModel::embed(const at::Tensor& ids) {
  BULWARK_CHECK_TYPE(ids.scalar_type() == at::kLong, "TextModel: ids must be int64, got ",
                     ids.scalar_type());
  BULWARK_CHECK_SHAPE(ids.dim() == 2, "TextModel: ids must have shape (N, L), got ", ids.sizes());
  return embedding->forward(ids);
}

at::Tensor TextModel::forward(const at::Tensor& ids) {
  return forward_embedded(embed(ids), ids.ne(0).to(embedding->weight.scalar_type()));
}

EmbeddingBagClassifier::EmbeddingBagClassifier(int64_t vocab_size, int64_t dim,
                                               int64_t num_classes, uint64_t seed)
    : TextModel(vocab_size, dim) {
  GlobalRngGuard keep_global_rng;
  fc = register_module("fc", torch::nn::Linear(dim, num_classes));
  reinitialize(*this, seed);
}

at::Tensor EmbeddingBagClassifier::forward_embedded(const at::Tensor& e, const at::Tensor& mask) {
  const at::Tensor m = mask.unsqueeze(-1);
  const at::Tensor mean = (e * m).sum(1) / m.sum(1).clamp_min(1.0);
  return fc->forward(mean);
}

TextCNN::TextCNN(int64_t vocab_size, int64_t dim, int64_t filters, int64_t num_classes,
                 uint64_t seed)
    : TextModel(vocab_size, dim) {
  GlobalRngGuard keep_global_rng;
  conv3 = register_module("conv3", torch::nn::Conv1d(torch::nn::Conv1dOptions(dim, filters, 3).padding(1)));
  conv4 = register_module("conv4", torch::nn::Conv1d(torch::nn::Conv1dOptions(dim, filters, 4).padding(2)));
  conv5 = register_module("conv5", torch::nn::Conv1d(torch::nn::Conv1dOptions(dim, filters, 5).padding(2)));
  fc = register_module("fc", torch::nn::Linear(3 * filters, num_classes));
  reinitialize(*this, seed);
}

at::Tensor TextCNN::forward_embedded(const at::Tensor& e, const at::Tensor& mask) {
  const at::Tensor x = (e * mask.unsqueeze(-1)).transpose(1, 2);  // (N, D, L)
  const int64_t len = e.size(1);
  std::vector<at::Tensor> pooled;
  for (auto* conv : {&conv3, &conv4, &conv5}) {
    // Outputs aligned with positions 0..L-1; positions over padding cannot win the max.
    at::Tensor h = at::relu((*conv)->forward(x)).slice(2, 0, len);
    h = h.masked_fill(mask.unsqueeze(1).eq(0), -std::numeric_limits<float>::infinity());
    at::Tensor best = std::get<0>(h.max(2));
    pooled.push_back(at::where(at::isinf(best), at::zeros_like(best), best));  // empty texts
  }
  return fc->forward(at::cat(pooled, 1));
}

void reinitialize(torch::nn::Module& module, uint64_t seed) {
  at::Generator gen = make_generator(seed);
  at::NoGradGuard no_grad;
  for (const auto& item : module.named_parameters()) {
    at::Tensor p = item.value();
    if (item.key().rfind("embedding.", 0) == 0) {
      p.normal_(0, 1, gen);
      continue;
    }
    const std::string owner = item.key().substr(0, item.key().rfind('.'));
    const at::Tensor w = module.named_parameters()[owner + ".weight"];
    const double bound = 1.0 / std::sqrt(static_cast<double>(w[0].numel()));
    p.uniform_(-bound, bound, gen);
  }
}

}  // namespace bulwark::models
