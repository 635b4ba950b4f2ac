#pragma once
// HotFlip (Ebrahimi, Rao, Lowd & Dou 2018, "HotFlip: White-Box Adversarial Examples for Text
// Classification"), at the word level.

#include <string>

#include <bulwark/attacks/text/text_attack.h>

namespace bulwark::attacks::text {

struct HotFlipOptions : TextAttackOptions {
  int64_t beam_width = 5;       // texts kept after each round of flips
  int64_t flips_per_state = 5;  // best first-order flips tried from each kept text
  // "vocabulary" (every token but <pad>/<unk>), "wordnet" (synonyms in the vocabulary) or
  // "embedding" (the `neighbours` nearest tokens by embedding cosine).
  std::string candidates = "vocabulary";
  int64_t neighbours = 50;
};

// The objective is the logit margin m = max_{j != y} z_j - z_y (targeted: z_t - max_{j != t} z_j),
// positive exactly when the goal is reached. One backward pass gives g_i = dm/de_i for every
// position; the first-order gain of flipping token a at position i to token b is
// g_i . (E_b - E_a), for all positions and candidates at once (a (L, D) x (D, V) product).
// Beam search: from each kept text the flips_per_state best allowed flips are scored with real
// forwards (batched), the beam_width best texts are kept, gradients are recomputed for them,
// until the goal is reached or max_change_fraction is spent.
class HotFlip : public TextAttack {
 public:
  explicit HotFlip(HotFlipOptions options = {});
  std::string repr() const override;
  bool needs_white_box() const override { return true; }

  // The first-order gains (L, V) of the margin for the one text `ids` (1, L) with label `label`
  // (targeted: the target): gains[i][b] = g_i . (E_b - E_{ids[i]}). For an embedding-bag model
  // the margin is linear in the embeddings, so the gain is exactly the margin's change.
  static at::Tensor first_order_gains(TextVictim& victim, const at::Tensor& ids, int64_t label,
                                      bool targeted);

 protected:
  void search(AttackState& state) override;
  void prepare(TextVictim& victim) override;

 private:
  HotFlipOptions options_;
  TextVictim* victim_ = nullptr;
  at::Tensor embeddings_;  // (V, D) float CPU
};

// m(logits) per sample: max_{j != y} z_j - z_y, or z_t - max_{j != t} z_j when targeted.
at::Tensor margin(const at::Tensor& logits, const at::Tensor& labels, bool targeted);

}  // namespace bulwark::attacks::text
