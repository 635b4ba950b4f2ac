#pragma once
// Adversarial training of text classifiers by augmentation with token-attack examples, the
// recipe of TextAttack's trainer (Morris et al. 2020) and of Jin et al. 2020 (TextFooler, §5.3):
// every few epochs, attack a sample of the training texts with the current model and train on
// the training set plus each successful adversarial text under its true label.
//
// One call makes one round of examples; the loop (how many clean epochs first, how often to
// refresh the examples, whether they replace or accumulate) stays the caller's.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include <bulwark/attacks/text/text_attack.h>

namespace bulwark::defenses {

struct AttackAugmentationOptions {
  // Training texts attacked in this round, drawn without replacement; -1: all of them.
  int64_t examples = -1;
  std::optional<uint64_t> seed;  // the draw; default bulwark::default_seed()
};

struct AttackAugmentation {
  // The successful adversarial texts (whole texts, edits written in, a truncated tail kept),
  // their true labels and their positions in the given texts, ascending.
  std::vector<std::string> texts;
  std::vector<int64_t> labels;
  std::vector<int64_t> indices;
  // The same examples as the model sees them: (M, L) int64 token ids, padded with 0, L their
  // longest length (at most the victim's max_len); (0, 0) when no attack succeeded.
  at::Tensor ids;
  // Every attacked text's result, in the order of the drawn indices (skipped ones included:
  // texts the model already gets wrong are not attacked).
  std::vector<attacks::text::TextAttackResult> results;
};

// Attacks `options.examples` of (texts, labels) with `attack` against `victim` (the model being
// trained; it is scored in eval mode and left as it was) and returns the successes. The attack
// must be untargeted: labels are the true labels.
AttackAugmentation attack_augmentation(attacks::text::TextAttack& attack, attacks::text::TextVictim& victim,
                                       const std::vector<std::string>& texts,
                                       const std::vector<int64_t>& labels,
                                       const AttackAugmentationOptions& options = {},
                                       const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace bulwark::defenses
