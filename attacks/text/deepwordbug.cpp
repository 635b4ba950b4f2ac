// Gao, Lanchantin, Soffa & Qi (2018), "Black-box Generation of Adversarial Text Sequences to
// Evade Deep Learning Classifiers", IEEE S&P Workshops.
#include <bulwark/attacks/text/deepwordbug.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include <bulwark/core/error.h>
#include <bulwark/text/characters.h>

namespace bulwark::attacks::text {

DeepWordBug::DeepWordBug(DeepWordBugOptions options)
    : TextAttack(options, "DeepWordBug"), options_(options) {
  const auto& s = options.scoring;
  BULWARK_CHECK(s == "replace1" || s == "head" || s == "tail" || s == "combined",
                "DeepWordBug: scoring must be 'replace1', 'head', 'tail' or 'combined', got '", s,
                "'");
  BULWARK_CHECK(!options.edits.empty(), "DeepWordBug: edits must name at least one edit");
  for (const auto& e : options.edits) {
    BULWARK_CHECK(e == "swap" || e == "substitute" || e == "delete" || e == "insert",
                  "DeepWordBug: edits must be among 'swap', 'substitute', 'delete', 'insert', got '",
                  e, "'");
  }
  BULWARK_CHECK(std::isfinite(options.lambda) && options.lambda >= 0, "DeepWordBug: lambda_ must be >= 0, got ",
                options.lambda);
  BULWARK_CHECK(options.max_edit_distance >= 1, "DeepWordBug: max_edit_distance must be >= 1, got ",
                options.max_edit_distance);
}

std::vector<std::string> DeepWordBug::character_edits(const std::string& word,
                                                      const std::vector<std::string>& kinds) {
  // On characters as a reader sees them (text/characters.h), never on bytes: an edit of "für"
  // or of an emoji sequence stays valid UTF-8 and keeps accents on their letters.
  const std::vector<std::string> w = bulwark::text::characters(word);
  const size_t n = w.size();
  // Letters a-z, and the word's own non-ASCII characters (so a word in another script is edited
  // with letters of that script too).
  std::vector<std::string> alphabet;
  for (char c = 'a'; c <= 'z'; ++c) alphabet.emplace_back(1, c);
  for (const std::string& c : w) {
    if (static_cast<unsigned char>(c[0]) >= 0x80 && std::find(alphabet.begin(), alphabet.end(), c) == alphabet.end()) {
      alphabet.push_back(c);
    }
  }
  auto join = [](const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) out += p;
    return out;
  };
  std::set<std::string> out;
  auto has = [&](const char* k) { return std::find(kinds.begin(), kinds.end(), k) != kinds.end(); };
  if (has("swap")) {
    for (size_t i = 0; i + 1 < n; ++i) {
      std::vector<std::string> e = w;
      std::swap(e[i], e[i + 1]);
      out.insert(join(e));
    }
  }
  if (has("substitute")) {
    for (size_t i = 0; i < n; ++i) {
      for (const std::string& c : alphabet) {
        std::vector<std::string> e = w;
        e[i] = c;
        out.insert(join(e));
      }
    }
  }
  if (has("delete") && n > 1) {
    for (size_t i = 0; i < n; ++i) {
      std::vector<std::string> e = w;
      e.erase(e.begin() + static_cast<std::ptrdiff_t>(i));
      out.insert(join(e));
    }
  }
  if (has("insert")) {
    for (size_t i = 0; i <= n; ++i) {
      for (const std::string& c : alphabet) {
        std::vector<std::string> e = w;
        e.insert(e.begin() + static_cast<std::ptrdiff_t>(i), c);
        out.insert(join(e));
      }
    }
  }
  out.erase(word);
  return {out.begin(), out.end()};
}

int64_t DeepWordBug::levenshtein(const std::string& a_text, const std::string& b_text) {
  const std::vector<std::string> a = bulwark::text::characters(a_text);
  const std::vector<std::string> b = bulwark::text::characters(b_text);
  std::vector<int64_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int64_t>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    int64_t diag = row[0];
    row[0] = static_cast<int64_t>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      const int64_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::vector<double> DeepWordBug::word_scores(AttackState& state,
                                             const std::vector<int64_t>& positions) {
  // F = -goal score, so every scoring reads "how much this word holds the text where it is".
  const auto& ids = state.ids();
  const std::string& kind = options_.scoring;
  std::vector<double> scores(positions.size(), 0.0);
  std::vector<std::vector<int64_t>> texts;
  if (kind == "replace1") {
    for (int64_t p : positions) texts.push_back(state.with(p, Vocabulary::kUnk));
    const auto s = state.scorer().score(texts);
    for (size_t k = 0; k < positions.size(); ++k) scores[k] = s[k]->score - state.original().score;
    return scores;
  }
  // Prefixes w_1..w_i (i = 0..n) and suffixes w_i..w_n, each scored once.
  auto prefix = [&](int64_t i) { return std::vector<int64_t>(ids.begin(), ids.begin() + i); };
  auto suffix = [&](int64_t i) { return std::vector<int64_t>(ids.begin() + i, ids.end()); };
  const bool head = kind == "head" || kind == "combined";
  const bool tail = kind == "tail" || kind == "combined";
  for (int64_t p : positions) {
    if (head) {
      texts.push_back(prefix(p + 1));
      texts.push_back(prefix(p));
    }
    if (tail) {
      texts.push_back(suffix(p));
      texts.push_back(suffix(p + 1));
    }
  }
  const auto s = state.scorer().score(texts);
  size_t at = 0;
  for (size_t k = 0; k < positions.size(); ++k) {
    if (head) {
      scores[k] += -s[at]->score + s[at + 1]->score;
      at += 2;
    }
    if (tail) {
      scores[k] += options_.lambda * (-s[at]->score + s[at + 1]->score);
      at += 2;
    }
  }
  return scores;
}

void DeepWordBug::search(AttackState& state) {
  const std::vector<int64_t> positions = state.modifiable_positions();
  if (positions.empty()) return;
  const std::vector<double> scores = word_scores(state, positions);
  std::vector<size_t> order(positions.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });

  const Vocabulary& vocab = state.attack().vocabulary();
  for (size_t k : order) {
    const int64_t p = positions[k];
    if (!state.budget_left()) break;
    const std::string& word = state.words()[p];
    // Edits that pass the constraints, grouped by the id the victim reads.
    std::vector<std::string> edits = character_edits(word, options_.edits);
    std::vector<int64_t> cost(edits.size()), ids(edits.size());
    std::vector<char> ok(edits.size());
#pragma omp parallel for schedule(static)
    for (int64_t j = 0; j < static_cast<int64_t>(edits.size()); ++j) {
      ids[j] = vocab.id(edits[j]);
      cost[j] = levenshtein(word, edits[j]);
      ok[j] = state.edit_distance() + cost[j] <= options_.max_edit_distance &&
              state.allowed(p, edits[j], ids[j]);
    }
    std::unordered_map<int64_t, std::vector<size_t>> by_id;
    std::vector<int64_t> distinct;
    for (size_t j = 0; j < edits.size(); ++j) {
      if (!ok[j]) continue;
      auto& group = by_id[ids[j]];
      if (group.empty()) distinct.push_back(ids[j]);
      group.push_back(j);
    }
    if (distinct.empty()) continue;
    std::vector<std::vector<int64_t>> texts;
    for (int64_t id : distinct) texts.push_back(state.with(p, id));
    const auto scored = state.scorer().score(texts);
    const double current = state.current().score;
    int64_t best = -1;
    double best_score = current;
    for (size_t j = 0; j < distinct.size(); ++j) {
      if (scored[j]->score > best_score) {
        best_score = scored[j]->score;
        best = static_cast<int64_t>(j);
      }
    }
    if (best < 0) continue;
    // Among the edits that read as the best id, the cheapest, then one drawn with the seed.
    auto group = by_id[distinct[static_cast<size_t>(best)]];
    int64_t cheapest = INT64_MAX;
    for (size_t j : group) cheapest = std::min(cheapest, cost[j]);
    group.erase(std::remove_if(group.begin(), group.end(), [&](size_t j) { return cost[j] != cheapest; }),
                group.end());
    const size_t j = group[std::uniform_int_distribution<size_t>(0, group.size() - 1)(state.rng())];
    state.apply({p, edits[j], ids[j]}, cost[j]);
    if (state.current().success) return;
  }
}

std::string DeepWordBug::repr() const {
  std::string edits;
  for (const auto& e : options_.edits) edits += (edits.empty() ? "'" : ", '") + e + "'";
  return "DeepWordBug(scoring='" + options_.scoring + "', edits=[" + edits +
         "], max_edit_distance=" + std::to_string(options_.max_edit_distance) + ", " +
         constraints_repr() + ")";
}

}  // namespace bulwark::attacks::text
