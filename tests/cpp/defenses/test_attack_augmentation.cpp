// Augmentation with token-attack examples: every returned text is a success of the attack, under
// its true label, from the text at its index; the ids are what the model saw and it gets them
// wrong; the draw is seeded; the model is left as it was; bad input is refused.
#include <catch2/catch.hpp>

#include <algorithm>

#include <torch/torch.h>

#include <bulwark/attacks/text/hotflip.h>
#include <bulwark/attacks/text/pwws.h>
#include <bulwark/core/error.h>
#include <bulwark/defenses/attack_augmentation.h>

#include "spam_fixture.h"

using namespace bulwark;
using namespace bulwark::attacks::text;
using bulwark::defenses::attack_augmentation;
using bulwark::defenses::AttackAugmentationOptions;

namespace {
HotFlip greedy_hotflip() {
  HotFlipOptions o;
  o.beam_width = 1;
  o.flips_per_state = 1;
  return HotFlip(o);
}
}  // namespace

TEST_CASE("attack_augmentation: successes only, true labels, the ids the model saw", "[defenses][text][spam]") {
  const auto& s = testing::spam();
  TextModelVictim& victim = *s.victim;
  const auto labels = testing::labels_of(s.test.labels);
  HotFlip hotflip = greedy_hotflip();
  auto& model = victim.model();
  model.train();
  std::vector<at::Tensor> before;
  for (const auto& p : model.parameters()) before.push_back(p.detach().clone());

  const auto aug = attack_augmentation(hotflip, victim, s.test.texts, labels);
  REQUIRE(aug.results.size() == s.test.texts.size());
  const auto successes = std::count_if(aug.results.begin(), aug.results.end(), [](const TextAttackResult& r) {
    return r.status == TextAttackStatus::Success;
  });
  CHECK(successes >= 8);  // greedy HotFlip flips ~99% of this filter's e-mails
  REQUIRE(static_cast<int64_t>(aug.texts.size()) == successes);
  REQUIRE(aug.labels.size() == aug.texts.size());
  REQUIRE(aug.indices.size() == aug.texts.size());
  CHECK(std::is_sorted(aug.indices.begin(), aug.indices.end()));
  REQUIRE(aug.ids.dim() == 2);
  REQUIRE(aug.ids.size(0) == successes);
  CHECK(aug.ids.size(1) <= victim.max_len());

  const at::Tensor pred = victim.logits(aug.ids).argmax(1);
  for (int64_t k = 0; k < successes; ++k) {
    const int64_t i = aug.indices[k];
    CHECK(aug.labels[k] == labels[i]);
    CHECK(aug.results[i].original_text == s.test.texts[i]);
    CHECK(aug.texts[k] == aug.results[i].adversarial_text);
    CHECK(aug.texts[k] != s.test.texts[i]);
    // Re-tokenizing the adversarial text gives the same ids (the attacks keep each word one
    // token), and the model gets them wrong.
    auto words = victim.tokenizer().tokenize(aug.texts[k]);
    words.resize(std::min<size_t>(words.size(), static_cast<size_t>(victim.max_len())));
    auto ids = victim.vocabulary().encode(words);
    ids.resize(static_cast<size_t>(aug.ids.size(1)), 0);
    CHECK(at::equal(aug.ids[k], at::tensor(ids, at::kLong)));
    CHECK(pred[k].item<int64_t>() != aug.labels[k]);
  }
  // The model is as it was: parameters and train mode.
  CHECK(model.is_training());
  const auto params = model.parameters();
  for (size_t j = 0; j < params.size(); ++j) CHECK(at::equal(params[j], before[j]));
  model.eval();
}

TEST_CASE("attack_augmentation: a seeded draw of `examples` texts", "[defenses][text][spam]") {
  const auto& s = testing::spam();
  const auto labels = testing::labels_of(s.test.labels);
  PWWSOptions po;
  po.constraints.query_budget = 30;  // only the draw matters here
  PWWS pwws(po);
  auto drawn = [&](uint64_t seed) {
    AttackAugmentationOptions o;
    o.examples = 5;
    o.seed = seed;
    const auto aug = attack_augmentation(pwws, *s.victim, s.test.texts, labels, o);
    std::vector<std::string> texts;
    for (const auto& r : aug.results) texts.push_back(r.original_text);
    return texts;
  };
  const auto a = drawn(1), b = drawn(1), c = drawn(2);
  CHECK(a.size() == 5);
  CHECK(a == b);
  CHECK(a != c);
  for (const auto& t : a) CHECK(std::find(s.test.texts.begin(), s.test.texts.end(), t) != s.test.texts.end());
}

TEST_CASE("attack_augmentation: bad input is refused", "[defenses][text][spam]") {
  const auto& s = testing::spam();
  const auto labels = testing::labels_of(s.test.labels);
  PWWS pwws;
  AttackAugmentationOptions o;
  o.examples = 0;
  CHECK_THROWS_AS(attack_augmentation(pwws, *s.victim, s.test.texts, labels, o), InvalidArgument);
  o.examples = static_cast<int64_t>(s.test.texts.size()) + 1;
  CHECK_THROWS_WITH(attack_augmentation(pwws, *s.victim, s.test.texts, labels, o),
                    Catch::Contains("examples must be in [1, 16]"));
  CHECK_THROWS_AS(attack_augmentation(pwws, *s.victim, s.test.texts, {0, 1}), InvalidArgument);
  PWWSOptions targeted;
  targeted.targeted = true;
  PWWS pwws_targeted(targeted);
  CHECK_THROWS_WITH(attack_augmentation(pwws_targeted, *s.victim, s.test.texts, labels),
                    Catch::Contains("untargeted"));
}
