#pragma once
// A word tokenizer for e-mail and similar text.

#include <string>
#include <string_view>
#include <vector>

namespace bulwark::text {

struct TokenizerOptions {
  bool lowercase = true;          // ASCII letters only; other bytes are kept as they are
  bool keep_punctuation = false;  // each ASCII punctuation character becomes a token of its own
};

// One token and where it came from: text.substr(begin, end - begin) is the token before
// lower-casing.
struct TokenSpan {
  std::string token;
  size_t begin = 0;
  size_t end = 0;
};

// Words are maximal runs of ASCII letters, digits and bytes >= 0x80 (so UTF-8 words stay whole),
// with apostrophes allowed between letters ("don't"). Whitespace separates; ASCII punctuation
// separates and is dropped, or kept as one-character tokens with keep_punctuation.
class Tokenizer {
 public:
  explicit Tokenizer(TokenizerOptions options = {}) : options_(options) {}
  std::vector<std::string> tokenize(std::string_view text) const;
  // The same tokens with their byte ranges in `text`, so edits can be written back into it.
  std::vector<TokenSpan> tokenize_spans(std::string_view text) const;
  const TokenizerOptions& options() const { return options_; }
  std::string repr() const;

 private:
  TokenizerOptions options_;
};

}  // namespace bulwark::text
