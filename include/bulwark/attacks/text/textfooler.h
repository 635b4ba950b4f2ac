#pragma once
// TextFooler-style greedy word substitution (Jin et al. 2020, "Is BERT Really Robust?").

#include <memory>

#include <bulwark/attacks/text/candidates.h>

namespace bulwark::attacks::text {

struct TextFoolerOptions : TextAttackOptions {
  int64_t max_candidates = 50;  // N: candidates per word, most similar first
  double candidate_cosine = -1.0;  // delta: their minimum embedding cosine (-1: rank only)
};

// Word importance by deletion (Jin et al. eq. 2: the drop in the true class's probability, plus
// the gain of the new class when deleting the word flips the prediction); stopwords filtered;
// then for each word in that order, all candidates are scored on the current text: if some
// reach the goal, the most similar of them (embedding cosine) is taken and the attack stops;
// otherwise the one with the best goal score is taken if it improves on the current text.
//
// Candidates: WordNet synonyms in the victim's vocabulary, filtered and ranked by the victim's
// own embedding cosine (FilteredSynonyms), since the paper's counter-fitted vectors and its
// Universal Sentence Encoder check cannot be downloaded here; pass another WordCandidates to
// plug in a better source.
class TextFooler : public TextAttack {
 public:
  explicit TextFooler(TextFoolerOptions options = {},
                      std::shared_ptr<WordCandidates> candidates = nullptr);
  std::string repr() const override;
  bool needs_white_box() const override { return candidates_->needs_embeddings(); }

 protected:
  void search(AttackState& state) override;

 private:
  TextFoolerOptions options_;
  std::shared_ptr<WordCandidates> candidates_;
};

}  // namespace bulwark::attacks::text
