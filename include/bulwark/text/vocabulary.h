#pragma once
// Token <-> id maps for text models. Id 0 is <pad>, id 1 is <unk>.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <ATen/core/Tensor.h>

namespace bulwark::text {

class Vocabulary {
 public:
  static constexpr int64_t kPad = 0;
  static constexpr int64_t kUnk = 1;
  static constexpr const char* kPadToken = "<pad>";
  static constexpr const char* kUnkToken = "<unk>";

  // Just <pad> and <unk>.
  Vocabulary();
  // From explicit tokens (after <pad>, <unk>), in order; duplicates are an error.
  explicit Vocabulary(const std::vector<std::string>& tokens);

  // Tokens seen at least min_freq times, most frequent first (ties: alphabetical), at most
  // max_size entries in all (-1: no limit), so the result does not depend on document order.
  static Vocabulary build(const std::vector<std::vector<std::string>>& documents,
                          int64_t min_freq = 1, int64_t max_size = -1);

  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  int64_t id(const std::string& token) const;          // kUnk if unknown
  bool contains(const std::string& token) const { return ids_.count(token) > 0; }
  const std::string& token(int64_t id) const;          // throws for ids outside [0, size)
  const std::vector<std::string>& tokens() const { return tokens_; }

  std::vector<int64_t> encode(const std::vector<std::string>& tokens) const;
  // Ids back to tokens; <pad> dropped when skip_pad.
  std::vector<std::string> decode(const std::vector<int64_t>& ids, bool skip_pad = true) const;
  // (N, L) int64 padded with kPad, L = the longest document after truncation to max_len
  // (max_len <= 0: no limit). `truncated`, if given, receives how many documents were cut.
  at::Tensor encode_batch(const std::vector<std::vector<std::string>>& documents, int64_t max_len,
                          int64_t* truncated = nullptr) const;

  // One token per line, in id order (<pad>, <unk> first). load() checks that layout.
  void save(const std::string& path) const;
  static Vocabulary load(const std::string& path);

 private:
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int64_t> ids_;
};

}  // namespace bulwark::text
