#pragma once
// Probability Weighted Word Saliency (Ren et al. 2019, "Generating Natural Language Adversarial
// Examples through Probability Weighted Word Saliency").

#include <memory>

#include <bulwark/attacks/text/candidates.h>

namespace bulwark::attacks::text {

struct PWWSOptions : TextAttackOptions {};

// For each modifiable word w_i: the saliency S_i (goal-score gain when w_i becomes <unk>) and
// the best candidate w*_i with its gain dP*_i; words are then replaced by w*_i in the order of
// H_i = softmax(S)_i * dP*_i, cumulatively, until the goal is reached or max_change_fraction is
// spent (Algorithm 1). Candidates: WordNet synonyms by default. All <unk> variants and all
// candidate texts are scored in batches; the greedy pass costs one query per replacement.
class PWWS : public TextAttack {
 public:
  explicit PWWS(PWWSOptions options = {}, std::shared_ptr<WordCandidates> candidates = nullptr);
  std::string repr() const override;

 protected:
  void search(AttackState& state) override;
  void prepare(TextVictim& victim) override;

 private:
  std::shared_ptr<WordCandidates> candidates_;
};

}  // namespace bulwark::attacks::text
