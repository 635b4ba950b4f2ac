#include <bulwark/text/tokenizer.h>

#include <cctype>

namespace bulwark::text {

namespace {
bool word_byte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }
}  // namespace

std::vector<std::string> Tokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) out.push_back(std::move(word));
    word.clear();
  };
  const size_t n = text.size();
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (word_byte(c)) {
      word += options_.lowercase ? static_cast<char>(std::tolower(c)) : static_cast<char>(c);
    } else if (c == '\'' && !word.empty() && i + 1 < n &&
               std::isalpha(static_cast<unsigned char>(text[i + 1]))) {
      word += '\'';
    } else {
      flush();
      if (options_.keep_punctuation && std::ispunct(c)) out.emplace_back(1, static_cast<char>(c));
    }
  }
  flush();
  return out;
}

std::string Tokenizer::repr() const {
  return std::string("Tokenizer(lowercase=") + (options_.lowercase ? "True" : "False") +
         ", keep_punctuation=" + (options_.keep_punctuation ? "True" : "False") + ")";
}

}  // namespace bulwark::text
