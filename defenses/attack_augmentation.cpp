#include <bulwark/defenses/attack_augmentation.h>

#include <algorithm>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/random.h>

namespace bulwark::defenses {

namespace at_ = attacks::text;

AttackAugmentation attack_augmentation(at_::TextAttack& attack, at_::TextVictim& victim,
                                       const std::vector<std::string>& texts,
                                       const std::vector<int64_t>& labels,
                                       const AttackAugmentationOptions& options,
                                       const std::function<void(int64_t, int64_t)>& progress) {
  constexpr const char* where = "attack_augmentation";
  const auto n = static_cast<int64_t>(texts.size());
  BULWARK_CHECK(labels.size() == texts.size(), where, ": got ", n, " texts but ", labels.size(), " labels");
  BULWARK_CHECK(!attack.base_options().targeted, where,
                ": the attack must be untargeted (the labels are the true labels), got a targeted ",
                attack.repr());
  BULWARK_CHECK(options.examples == -1 || (options.examples >= 1 && options.examples <= n), where,
                ": examples must be in [1, ", n, "] (the number of texts) or -1 for all, got ",
                options.examples);

  std::vector<int64_t> drawn;
  if (options.examples == -1 || options.examples == n) {
    drawn.resize(n);
    for (int64_t i = 0; i < n; ++i) drawn[i] = i;
  } else {
    at::Generator g = make_generator(options.seed.value_or(default_seed()));
    const at::Tensor perm = at::randperm(n, g, at::kLong).narrow(0, 0, options.examples);
    drawn.assign(perm.data_ptr<int64_t>(), perm.data_ptr<int64_t>() + options.examples);
    std::sort(drawn.begin(), drawn.end());
  }
  std::vector<std::string> chosen_texts;
  std::vector<int64_t> chosen_labels;
  chosen_texts.reserve(drawn.size());
  chosen_labels.reserve(drawn.size());
  for (int64_t i : drawn) {
    chosen_texts.push_back(texts[i]);
    chosen_labels.push_back(labels[i]);
  }

  AttackAugmentation out;
  out.results = attack.run(victim, chosen_texts, chosen_labels, progress);
  std::vector<std::vector<std::string>> words;
  for (size_t k = 0; k < out.results.size(); ++k) {
    const at_::TextAttackResult& r = out.results[k];
    if (r.status != at_::TextAttackStatus::Success) continue;
    out.texts.push_back(r.adversarial_text);
    out.labels.push_back(chosen_labels[k]);
    out.indices.push_back(drawn[k]);
    words.push_back(r.adversarial_words);
  }
  out.ids = words.empty() ? at::zeros({0, 0}, at::kLong)
                          : victim.vocabulary().encode_batch(words, victim.max_len());
  return out;
}

}  // namespace bulwark::defenses
