#include <bulwark/text/tokenizer.h>

#include <cctype>

namespace bulwark::text {

namespace {
bool word_byte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }
}  // namespace

std::vector<TokenSpan> Tokenizer::tokenize_spans(std::string_view text) const {
  std::vector<TokenSpan> out;
  TokenSpan word;
  auto flush = [&](size_t end) {
    if (!word.token.empty()) {
      word.end = end;
      out.push_back(std::move(word));
    }
    word = TokenSpan{};
  };
  const size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (word_byte(c)) {
      if (word.token.empty()) word.begin = i;
      word.token += options_.lowercase ? static_cast<char>(std::tolower(c)) : static_cast<char>(c);
    } else if (c == '\'' && !word.token.empty() && i + 1 < n &&
               std::isalpha(static_cast<unsigned char>(text[i + 1]))) {
      word.token += '\'';
    } else {
      flush(i);
      if (options_.keep_punctuation && std::ispunct(c)) {
        out.push_back(TokenSpan{std::string(1, static_cast<char>(c)), i, i + 1});
      }
    }
  }
  flush(n);
  return out;
}

std::vector<std::string> Tokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> out;
  for (auto& span : tokenize_spans(text)) out.push_back(std::move(span.token));
  return out;
}

std::string Tokenizer::repr() const {
  return std::string("Tokenizer(lowercase=") + (options_.lowercase ? "True" : "False") +
         ", keep_punctuation=" + (options_.keep_punctuation ? "True" : "False") + ")";
}

}  // namespace bulwark::text
