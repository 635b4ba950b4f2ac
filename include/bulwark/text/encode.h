#pragma once
// Texts to padded id tensors: tokenize (in parallel) and look up.

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include <bulwark/text/tokenizer.h>
#include <bulwark/text/vocabulary.h>

namespace bulwark::text {

// Tokens of each text, tokenized with OpenMP (the order of the output is the input's).
std::vector<std::vector<std::string>> tokenize_all(const Tokenizer& tokenizer,
                                                   const std::vector<std::string>& texts);

// (N, L) int64 ids, see Vocabulary::encode_batch.
at::Tensor encode_texts(const Tokenizer& tokenizer, const Vocabulary& vocabulary,
                        const std::vector<std::string>& texts, int64_t max_len,
                        int64_t* truncated = nullptr);

}  // namespace bulwark::text
