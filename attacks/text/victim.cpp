#include <bulwark/attacks/text/victim.h>

#include <vector>

#include <torch/autograd.h>
#include <torch/nn/functional/embedding.h>

#include <bulwark/core/error.h>
#include <bulwark/core/probabilities.h>
#include <bulwark/core/scoped_eval.h>

namespace bulwark::attacks::text {

TextVictim::TextVictim(std::shared_ptr<const Vocabulary> vocabulary, Tokenizer tokenizer,
                       int64_t max_len)
    : vocabulary_(std::move(vocabulary)), tokenizer_(std::move(tokenizer)), max_len_(max_len) {
  BULWARK_CHECK_TYPE(vocabulary_ != nullptr, "TextVictim: vocabulary is null");
  BULWARK_CHECK(max_len >= 1, "TextVictim: max_len must be >= 1, got ", max_len);
}

namespace {
void check_ids(const at::Tensor& ids, int64_t vocab_size, const char* where) {
  BULWARK_CHECK_TYPE(ids.defined() && ids.scalar_type() == at::kLong, where,
                     ": ids must be an int64 tensor, got ",
                     ids.defined() ? c10::toString(ids.scalar_type()) : "an undefined tensor");
  BULWARK_CHECK_SHAPE(ids.dim() == 2 && ids.size(0) >= 1 && ids.size(1) >= 1, where,
                      ": ids must have shape (N >= 1, L >= 1), got ", ids.sizes());
  const auto lo = ids.min().item<int64_t>(), hi = ids.max().item<int64_t>();
  BULWARK_CHECK(lo >= 0 && hi < vocab_size, where, ": ids must lie in [0, ", vocab_size,
                "), got values in [", lo, ", ", hi, "]");
}
}  // namespace

at::Tensor TextVictim::checked_output(const at::Tensor& out, int64_t n, const char* where) {
  BULWARK_CHECK_TYPE(out.defined() && at::isFloatingType(out.scalar_type()), where,
                     ": the model must return floating-point logits, got ",
                     out.defined() ? c10::toString(out.scalar_type()) : "nothing");
  BULWARK_CHECK_SHAPE(out.dim() == 2 && out.size(0) == n && out.size(1) >= 2, where,
                      ": the model must return logits of shape (N, K) with N = ", n,
                      " and K >= 2, got ", out.sizes());
  int64_t unset = -1;
  num_classes_.compare_exchange_strong(unset, out.size(1));
  BULWARK_CHECK_SHAPE(out.size(1) == num_classes_.load(), where, ": the model returned ", out.size(1),
                      " classes, earlier calls ", num_classes_.load());
  check_finite(out, where, "the model's logits");  // a NaN is never a successful edit
  return out;
}

at::Tensor TextVictim::logits(const at::Tensor& ids) {
  constexpr const char* where = "TextVictim.logits";
  check_ids(ids, vocabulary_->size(), where);
  at::Tensor out = forward_impl(ids.to(device()));
  queries_.add({1, ids.size(0), 0, 0});
  return checked_output(out, ids.size(0), where);
}

at::Tensor TextVictim::embedding_matrix() {
  BULWARK_CHECK(white_box(), name(), ": a black-box victim has no embedding matrix; this attack "
                "needs a white-box victim (a TextModel, or a module with `embedding` and "
                "`forward_embedded`)");
  at::Tensor e = embedding_matrix_impl();
  BULWARK_CHECK_SHAPE(e.dim() == 2 && e.size(0) == vocabulary_->size(), name(),
                      ": the embedding matrix must be (V, D) with V = ", vocabulary_->size(),
                      " (the vocabulary), got ", e.sizes());
  return e;
}

LogitsAndGrad TextVictim::embedding_gradient(const at::Tensor& ids, const LossFn& loss) {
  constexpr const char* where = "TextVictim.embedding_gradient";
  check_ids(ids, vocabulary_->size(), where);
  at::Tensor weight = embedding_matrix().detach();
  at::Tensor dev_ids = ids.to(weight.device());
  at::Tensor emb;
  at::Tensor out, l, grad;
  {
    at::AutoGradMode enable(true);
    emb = weight.index_select(0, dev_ids.reshape(-1))
              .view({ids.size(0), ids.size(1), weight.size(1)})
              .requires_grad_(true);
    at::Tensor mask = dev_ids.ne(0).to(weight.scalar_type());
    out = checked_output(forward_embedded_impl(emb, mask), ids.size(0), where);
    l = loss(out);
    grad = torch::autograd::grad({l.sum()}, {emb}, {}, /*retain_graph=*/false,
                                 /*create_graph=*/false, /*allow_unused=*/true)[0];
  }
  if (!grad.defined()) grad = at::zeros_like(emb);
  queries_.add({1, ids.size(0), 1, ids.size(0)});
  return {out.detach(), l.detach(), grad.detach()};
}

at::Tensor TextVictim::embedding_matrix_impl() {
  throw InvalidArgument(name() + ": not a white-box victim");
}

at::Tensor TextVictim::forward_embedded_impl(const at::Tensor&, const at::Tensor&) {
  throw InvalidArgument(name() + ": not a white-box victim");
}

std::string TextVictim::repr() const {
  return name() + "(vocabulary=" + std::to_string(vocabulary_->size()) +
         ", max_len=" + std::to_string(max_len_) + ", white_box=" +
         (white_box() ? "True" : "False") + ")";
}

// --- C++ TextModel ---------------------------------------------------------------------------

namespace {
template <typename F>
auto module_in_eval(torch::nn::Module& module, F&& f) {
  auto modules = module.modules(/*include_self=*/true);
  ScopedEval guard(
      modules.size(), [&](size_t i) { return modules[i]->is_training(); },
      [&](size_t i, bool on) { modules[i]->train(on); });
  return f();
}

template <typename F>
auto script_in_eval(torch::jit::Module& module, F&& f) {
  std::vector<torch::jit::Module> modules;
  for (const auto& m : module.modules()) modules.push_back(m);
  ScopedEval guard(
      modules.size(), [&](size_t i) { return modules[i].is_training(); },
      [&](size_t i, bool on) { modules[i].train(on); });
  return f();
}
}  // namespace

TextModelVictim::TextModelVictim(std::shared_ptr<models::TextModel> model,
                                 std::shared_ptr<const Vocabulary> vocabulary, Tokenizer tokenizer,
                                 int64_t max_len)
    : TextVictim(std::move(vocabulary), std::move(tokenizer), max_len), model_(std::move(model)) {
  BULWARK_CHECK_TYPE(model_ != nullptr, "TextModelVictim: model is null");
  const int64_t v = model_->embedding_matrix().size(0);
  BULWARK_CHECK(v == this->vocabulary().size(), "TextModelVictim: the model embeds ", v,
                " tokens but the vocabulary has ", this->vocabulary().size());
}

at::Tensor TextModelVictim::forward_impl(const at::Tensor& ids) {
  at::NoGradGuard no_grad;
  return module_in_eval(*model_, [&] { return model_->forward(ids); });
}

at::Tensor TextModelVictim::embedding_matrix_impl() { return model_->embedding_matrix(); }

at::Tensor TextModelVictim::forward_embedded_impl(const at::Tensor& embeddings,
                                                  const at::Tensor& mask) {
  return module_in_eval(*model_, [&] { return model_->forward_embedded(embeddings, mask); });
}

c10::Device TextModelVictim::device() const { return model_->embedding_matrix().device(); }

// --- TorchScript -----------------------------------------------------------------------------

TorchScriptTextVictim::TorchScriptTextVictim(torch::jit::Module module,
                                             std::shared_ptr<const Vocabulary> vocabulary,
                                             Tokenizer tokenizer, int64_t max_len)
    : TextVictim(std::move(vocabulary), std::move(tokenizer), max_len), module_(std::move(module)) {
  BULWARK_CHECK_TYPE(module_.find_method("forward").has_value(),
                     "TorchScriptTextVictim: the module has no forward method");
  white_box_ = module_.find_method("forward_embedded").has_value() &&
               module_.hasattr("embedding") && module_.attr("embedding").isModule() &&
               module_.attr("embedding").toModule().hasattr("weight");
  for (const at::Tensor& p : module_.parameters(/*recurse=*/true)) {
    device_ = p.device();
    break;
  }
}

at::Tensor TorchScriptTextVictim::forward_impl(const at::Tensor& ids) {
  at::NoGradGuard no_grad;
  c10::IValue out = script_in_eval(module_, [&] { return module_.forward({ids}); });
  BULWARK_CHECK_TYPE(out.isTensor(), "TorchScriptTextVictim: forward must return a Tensor of "
                     "logits, got ", out.tagKind());
  return out.toTensor();
}

at::Tensor TorchScriptTextVictim::embedding_matrix_impl() {
  return module_.attr("embedding").toModule().attr("weight").toTensor();
}

at::Tensor TorchScriptTextVictim::forward_embedded_impl(const at::Tensor& embeddings,
                                                        const at::Tensor& mask) {
  c10::IValue out = script_in_eval(module_, [&] {
    return module_.get_method("forward_embedded")({embeddings, mask});
  });
  BULWARK_CHECK_TYPE(out.isTensor(), "TorchScriptTextVictim: forward_embedded must return a "
                     "Tensor of logits, got ", out.tagKind());
  return out.toTensor();
}

}  // namespace bulwark::attacks::text
