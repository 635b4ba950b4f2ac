#pragma once
// DeepWordBug (Gao, Lanchantin, Soffa & Qi 2018, "Black-box Generation of Adversarial Text
// Sequences to Evade Deep Learning Classifiers"): character edits on the most important words.

#include <string>
#include <utility>
#include <vector>

#include <bulwark/attacks/text/text_attack.h>

namespace bulwark::attacks::text {

struct DeepWordBugOptions : TextAttackOptions {
  // A misspelling has no part of speech: the same-POS constraint is off by default.
  DeepWordBugOptions() { constraints.same_pos = false; }
  explicit DeepWordBugOptions(TextAttackOptions base) : TextAttackOptions(std::move(base)) {}
  // How words are ranked (F = the goal's class score, higher = closer to the original label):
  // "replace1" (F(x) - F(x with w_i -> <unk>)), "head" (temporal head score
  // F(w_1..w_i) - F(w_1..w_{i-1})), "tail" (temporal tail score F(w_i..w_n) - F(w_{i+1}..w_n)),
  // "combined" (head + lambda * tail).
  std::string scoring = "combined";
  double lambda = 1.0;
  // Character edits tried on a word: any of "swap" (two adjacent characters), "substitute" (a
  // character by a letter), "delete" (a character), "insert" (a letter). Characters are what a
  // reader sees (text/characters.h: a letter with its accents, an emoji sequence); the letters
  // are a-z and the word's own non-ASCII characters.
  std::vector<std::string> edits = {"swap", "substitute", "delete", "insert"};
  int64_t max_edit_distance = 30;  // total Levenshtein distance over the whole text
};

// Words are taken in score order; for each, every single-character edit is generated (in
// parallel) and the edited texts are scored in one batch (identical id sequences only once);
// the edit with the best goal score is kept if it improves on the current text. On a
// word-vocabulary victim an edited word is <unk> unless it lands on another word of the
// vocabulary ("free" -> "fee"), so most edits of a word read the same: among equally good edits
// one is drawn with the attack's seed, as the paper draws its edit at random.
class DeepWordBug : public TextAttack {
 public:
  explicit DeepWordBug(DeepWordBugOptions options = {});
  std::string repr() const override;

  // The single-character edits of `word` of the given kinds, without duplicates or `word`.
  static std::vector<std::string> character_edits(const std::string& word,
                                                  const std::vector<std::string>& kinds);
  // The edit distance in characters (as above), not bytes.
  static int64_t levenshtein(const std::string& a, const std::string& b);

 protected:
  void search(AttackState& state) override;

 private:
  std::vector<double> word_scores(AttackState& state, const std::vector<int64_t>& positions);
  DeepWordBugOptions options_;
};

}  // namespace bulwark::attacks::text
