#pragma once
// What a token attack talks to: a text classifier over padded token-id sequences, with the
// tokenizer and vocabulary that turn texts into its input. White-box victims also expose their
// embedding matrix and the gradient of a loss with respect to the input embeddings.
//
// Like Classifier: the public calls check what goes in and what comes out, count the queries,
// and never change the model (parameters, .grad, requires_grad, train/eval mode).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>
#include <torch/csrc/jit/api/module.h>

#include <bulwark/core/classifier.h>
#include <bulwark/models/text_models.h>
#include <bulwark/text/tokenizer.h>
#include <bulwark/text/vocabulary.h>

namespace bulwark::attacks::text {

using bulwark::text::Tokenizer;
using bulwark::text::Vocabulary;

class TextVictim {
 public:
  // max_len: texts are cut to this many tokens before the model sees them (>= 1).
  TextVictim(std::shared_ptr<const Vocabulary> vocabulary, Tokenizer tokenizer, int64_t max_len);
  virtual ~TextVictim() = default;
  TextVictim(const TextVictim&) = delete;
  TextVictim& operator=(const TextVictim&) = delete;

  // ids: (N, L) int64 in [0, V), 0 = padding -> logits (N, K) float. Counts N forward samples.
  // ShapeError/TypeError if the model returns anything but (N, K) floating logits.
  at::Tensor logits(const at::Tensor& ids);

  // White-box part. embedding_matrix: (V, D). embedding_gradient: one forward and one
  // backward from the embeddings of `ids` (mask = ids != 0); grad is d sum(loss) / d embeddings,
  // (N, L, D). Both throw InvalidArgument for a black-box victim.
  virtual bool white_box() const { return false; }
  at::Tensor embedding_matrix();
  LogitsAndGrad embedding_gradient(const at::Tensor& ids, const LossFn& loss);

  const Vocabulary& vocabulary() const { return *vocabulary_; }
  std::shared_ptr<const Vocabulary> vocabulary_ptr() const { return vocabulary_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }
  int64_t max_len() const { return max_len_; }
  // K, known after the first call.
  int64_t num_classes() const { return num_classes_.load(); }

  // Every call, from any thread; a result's own come from a QueryMeter (core/query_counts.h).
  QueryCounts queries() const { return queries_.load(); }
  void reset_queries() { queries_.reset(); }
  virtual std::string repr() const;

 protected:
  virtual at::Tensor forward_impl(const at::Tensor& ids) = 0;
  virtual at::Tensor embedding_matrix_impl();
  virtual at::Tensor forward_embedded_impl(const at::Tensor& embeddings, const at::Tensor& mask);
  virtual std::string name() const = 0;
  // The device the model's parameters live on (ids are moved there).
  virtual c10::Device device() const { return c10::kCPU; }

 private:
  at::Tensor checked_output(const at::Tensor& out, int64_t n, const char* where);

  std::shared_ptr<const Vocabulary> vocabulary_;
  Tokenizer tokenizer_;
  int64_t max_len_;
  std::atomic<int64_t> num_classes_{-1};  // set by the first call, from any thread
  QueryTotals queries_;
};

// A C++ text model (EmbeddingBagClassifier, TextCNN or any TextModel): white-box.
class TextModelVictim : public TextVictim {
 public:
  TextModelVictim(std::shared_ptr<models::TextModel> model,
                  std::shared_ptr<const Vocabulary> vocabulary, Tokenizer tokenizer = Tokenizer(),
                  int64_t max_len = 256);
  bool white_box() const override { return true; }
  models::TextModel& model() { return *model_; }

 protected:
  at::Tensor forward_impl(const at::Tensor& ids) override;
  at::Tensor embedding_matrix_impl() override;
  at::Tensor forward_embedded_impl(const at::Tensor& embeddings, const at::Tensor& mask) override;
  std::string name() const override { return "TextModelVictim"; }
  c10::Device device() const override;

 private:
  std::shared_ptr<models::TextModel> model_;
};

// A TorchScript module whose forward maps ids (N, L) to logits. White-box when it also has a
// method forward_embedded(embeddings, mask) and a submodule `embedding` with a `weight`.
class TorchScriptTextVictim : public TextVictim {
 public:
  TorchScriptTextVictim(torch::jit::Module module, std::shared_ptr<const Vocabulary> vocabulary,
                        Tokenizer tokenizer = Tokenizer(), int64_t max_len = 256);
  bool white_box() const override { return white_box_; }

 protected:
  at::Tensor forward_impl(const at::Tensor& ids) override;
  at::Tensor embedding_matrix_impl() override;
  at::Tensor forward_embedded_impl(const at::Tensor& embeddings, const at::Tensor& mask) override;
  std::string name() const override { return "TorchScriptTextVictim"; }
  c10::Device device() const override { return device_; }

 private:
  torch::jit::Module module_;
  bool white_box_ = false;
  c10::Device device_ = c10::kCPU;
};

}  // namespace bulwark::attacks::text
