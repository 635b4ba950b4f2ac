#include <bulwark/text/encode.h>

namespace bulwark::text {

std::vector<std::vector<std::string>> tokenize_all(const Tokenizer& tokenizer,
                                                   const std::vector<std::string>& texts) {
  std::vector<std::vector<std::string>> out(texts.size());
  const auto n = static_cast<int64_t>(texts.size());
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < n; ++i) out[i] = tokenizer.tokenize(texts[i]);
  return out;
}

at::Tensor encode_texts(const Tokenizer& tokenizer, const Vocabulary& vocabulary,
                        const std::vector<std::string>& texts, int64_t max_len, int64_t* truncated) {
  return vocabulary.encode_batch(tokenize_all(tokenizer, texts), max_len, truncated);
}

}  // namespace bulwark::text
