#include <bulwark/text/vocabulary.h>

#include <algorithm>
#include <fstream>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/files.h>

namespace bulwark::text {

Vocabulary::Vocabulary() : Vocabulary(std::vector<std::string>{}) {}

Vocabulary::Vocabulary(const std::vector<std::string>& tokens) {
  tokens_ = {kPadToken, kUnkToken};
  ids_ = {{kPadToken, kPad}, {kUnkToken, kUnk}};
  for (const auto& t : tokens) {
    BULWARK_CHECK(!t.empty(), "Vocabulary: tokens must not be empty");
    BULWARK_CHECK(t.find('\n') == std::string::npos, "Vocabulary: tokens must not contain newlines");
    BULWARK_CHECK(ids_.emplace(t, size()).second, "Vocabulary: token '", t, "' appears twice");
    tokens_.push_back(t);
  }
}

Vocabulary Vocabulary::build(const std::vector<std::vector<std::string>>& documents,
                             int64_t min_freq, int64_t max_size) {
  BULWARK_CHECK(min_freq >= 1, "Vocabulary.build: min_freq must be >= 1, got ", min_freq);
  BULWARK_CHECK(max_size == -1 || max_size >= 2, "Vocabulary.build: max_size must be -1 or >= 2 "
                "(<pad> and <unk> included), got ", max_size);
  std::unordered_map<std::string, int64_t> counts;
  for (const auto& doc : documents) {
    for (const auto& t : doc) ++counts[t];
  }
  counts.erase(kPadToken);
  counts.erase(kUnkToken);
  std::vector<std::pair<std::string, int64_t>> items;
  for (auto& kv : counts) {
    if (kv.second >= min_freq && !kv.first.empty()) items.emplace_back(kv.first, kv.second);
  }
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (max_size > 0 && static_cast<int64_t>(items.size()) > max_size - 2) items.resize(max_size - 2);
  std::vector<std::string> tokens;
  tokens.reserve(items.size());
  for (auto& kv : items) tokens.push_back(std::move(kv.first));
  return Vocabulary(tokens);
}

int64_t Vocabulary::id(const std::string& token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? kUnk : it->second;
}

const std::string& Vocabulary::token(int64_t id) const {
  BULWARK_CHECK(id >= 0 && id < size(), "Vocabulary.token: id must be in [0, ", size(), "), got ", id);
  return tokens_[static_cast<size_t>(id)];
}

std::vector<int64_t> Vocabulary::encode(const std::vector<std::string>& tokens) const {
  std::vector<int64_t> out;
  out.reserve(tokens.size());
  for (const auto& t : tokens) out.push_back(id(t));
  return out;
}

std::vector<std::string> Vocabulary::decode(const std::vector<int64_t>& ids, bool skip_pad) const {
  std::vector<std::string> out;
  for (int64_t i : ids) {
    if (skip_pad && i == kPad) continue;
    out.push_back(token(i));
  }
  return out;
}

at::Tensor Vocabulary::encode_batch(const std::vector<std::vector<std::string>>& documents,
                                    int64_t max_len, int64_t* truncated) const {
  BULWARK_CHECK(max_len >= 1, "Vocabulary.encode_batch: max_len must be >= 1, got ", max_len);
  const auto n = static_cast<int64_t>(documents.size());
  int64_t longest = 0, cut = 0;
  for (const auto& d : documents) {
    const auto len = static_cast<int64_t>(d.size());
    if (max_len > 0 && len > max_len) ++cut;
    longest = std::max(longest, max_len > 0 ? std::min(len, max_len) : len);
  }
  at::Tensor out = at::full({n, std::max<int64_t>(longest, 1)}, kPad, at::kLong);
  auto acc = out.accessor<int64_t, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const auto& d = documents[static_cast<size_t>(i)];
    const int64_t len = std::min<int64_t>(static_cast<int64_t>(d.size()), out.size(1));
    for (int64_t j = 0; j < len; ++j) acc[i][j] = id(d[static_cast<size_t>(j)]);
  }
  if (truncated != nullptr) *truncated = cut;
  return out;
}

void Vocabulary::save(const std::string& path) const {
  std::string text;
  for (const auto& t : tokens_) text += t + '\n';
  write_text_file(path, text, "Vocabulary.save");
}

Vocabulary Vocabulary::load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  BULWARK_CHECK_AS(FileError, f.good(), "Vocabulary.load: cannot read '", path, "'");
  std::vector<std::string> tokens;
  std::string line;
  while (std::getline(f, line)) tokens.push_back(line);
  BULWARK_CHECK_AS(FormatError, tokens.size() >= 2 && tokens[0] == kPadToken && tokens[1] == kUnkToken,
                   "Vocabulary.load: '", path, "' must start with ", kPadToken, " and ", kUnkToken);
  try {
    return Vocabulary(std::vector<std::string>(tokens.begin() + 2, tokens.end()));
  } catch (const InvalidArgument& e) {
    throw FormatError(detail::str("Vocabulary.load: '", path, "': ", e.what()));
  }
}

}  // namespace bulwark::text
