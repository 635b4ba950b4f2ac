#pragma once
// Shared by the text tests: the reference embedding-bag spam filter (trained in seconds on first
// use, then cached on disk) as a white-box victim, and 16 test e-mails, 8 ham then 8 spam.

#include <memory>
#include <vector>

#include <ATen/ATen.h>

#include <bulwark/attacks/text/victim.h>
#include <bulwark/data/spam_assassin.h>
#include <bulwark/models/reference.h>

namespace bulwark::testing {

struct Spam {
  std::shared_ptr<attacks::text::TextModelVictim> victim;
  data::TextDataset test;
};

inline const Spam& spam() {
  static const Spam s = [] {
    models::SpamClassifierRecipe recipe;
    recipe.training.progress = false;
    auto c = models::trained_spam_classifier(recipe);
    Spam out;
    out.victim = std::make_shared<attacks::text::TextModelVictim>(
        c.model, std::make_shared<const text::Vocabulary>(c.vocabulary), c.tokenizer, c.max_len);
    data::SpamAssassinOptions o;
    o.split = "test";
    auto test = data::spam_assassin(o);
    // Both classes: the first 8 ham and the first 8 spam texts.
    std::vector<int64_t> pick;
    for (int64_t cls : {0, 1}) {
      int64_t k = 0;
      for (int64_t i = 0; i < test.size() && k < 8; ++i) {
        if (test.labels[i].item<int64_t>() == cls) pick.push_back(i), ++k;
      }
    }
    for (int64_t i : pick) out.test.texts.push_back(test.texts[i]);
    out.test.labels = test.labels.index_select(0, at::tensor(pick, at::kLong));
    return out;
  }();
  return s;
}

inline std::vector<int64_t> labels_of(const at::Tensor& t) {
  return {t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel()};
}

}  // namespace bulwark::testing
