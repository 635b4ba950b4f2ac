// Token attacks: HotFlip's first-order gain is exact on an embedding bag, every output respects
// every constraint, the same seed gives the same output, bad input is refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include <torch/torch.h>

#include <bulwark/attacks/text/deepwordbug.h>
#include <bulwark/attacks/text/hotflip.h>
#include <bulwark/attacks/text/pwws.h>
#include <bulwark/attacks/text/textfooler.h>
#include <bulwark/core/error.h>
#include <bulwark/core/random.h>
#include <bulwark/models/reference.h>

#include "spam_fixture.h"

using namespace bulwark;
using namespace bulwark::attacks::text;
using bulwark::testing::labels_of;
using bulwark::testing::spam;
using bulwark::testing::Spam;
using Strings = std::vector<std::string>;

namespace {
std::shared_ptr<const Vocabulary> toy_vocabulary(int64_t n) {
  Strings words;
  for (int64_t i = 0; i < n; ++i) words.push_back("w" + std::to_string(i));
  return std::make_shared<const Vocabulary>(words);
}

// Every invariant an attack's output must satisfy.
void check_result(TextVictim& victim, const TextAttack& attack, const TextAttackResult& r,
                  const TextConstraints& c, int64_t max_edit_distance = -1) {
  const auto spans = victim.tokenizer().tokenize(r.original_text);
  REQUIRE(r.num_words == std::min<int64_t>(spans.size(), victim.max_len()));
  if (c.query_budget > 0) CHECK(r.queries <= c.query_budget);
  if (r.status != TextAttackStatus::Success) {
    CHECK(r.modified.empty());
    CHECK(r.adversarial_text == r.original_text);
    return;
  }
  const int64_t max_changes = std::max<int64_t>(
      1, static_cast<int64_t>(std::floor(c.max_change_fraction * r.num_words + 1e-9)));
  CHECK(static_cast<int64_t>(r.modified.size()) <= max_changes);
  CHECK(std::set<int64_t>(r.modified.begin(), r.modified.end()).size() == r.modified.size());
  std::set<int64_t> changed(r.modified.begin(), r.modified.end());
  for (int64_t i = 0; i < r.num_words; ++i) {
    if (changed.count(i)) {
      CHECK(r.adversarial_words[i] != r.original_words[i]);
      CHECK_FALSE(attack.is_stopword(r.original_words[i]));
    } else {
      CHECK(r.adversarial_words[i] == r.original_words[i]);
    }
  }
  if (max_edit_distance > 0) CHECK(r.edit_distance <= max_edit_distance);
  // The adversarial text reads back as the adversarial words, and the victim agrees.
  auto adv = victim.tokenizer().tokenize(r.adversarial_text);
  REQUIRE(adv.size() == spans.size());
  adv.resize(static_cast<size_t>(r.num_words));
  CHECK(adv == r.adversarial_words);
  const at::Tensor ids = at::tensor(victim.vocabulary().encode(adv), at::kLong).unsqueeze(0);
  const int64_t pred = victim.logits(ids).argmax(1).item<int64_t>();
  CHECK(pred == r.adversarial_prediction);
  CHECK(pred != r.label);
}
}  // namespace

TEST_CASE("HotFlip: the first-order gain is the exact margin change on an embedding bag",
          "[attacks][text]") {
  auto vocab = toy_vocabulary(40);
  auto model = std::make_shared<models::EmbeddingBagClassifier>(vocab->size(), 8, 2, 3);
  TextModelVictim victim(model, vocab);
  at::Generator g = make_generator(5);
  const at::Tensor ids = at::randint(2, vocab->size(), {1, 9}, g);
  for (int64_t label : {0, 1}) {
    const at::Tensor gains = HotFlip::first_order_gains(victim, ids, label, /*targeted=*/false);
    REQUIRE(gains.sizes() == at::IntArrayRef{9, vocab->size()});
    const at::Tensor y = at::full({1}, label, at::kLong);
    const double m0 = margin(victim.logits(ids), y, false).item<double>();
    std::mt19937_64 rng(label);
    for (int trial = 0; trial < 40; ++trial) {
      const int64_t i = static_cast<int64_t>(rng() % 9), b = 2 + static_cast<int64_t>(rng() % 38);
      at::Tensor flipped = ids.clone();
      flipped[0][i] = b;
      const double m1 = margin(victim.logits(flipped), y, false).item<double>();
      CHECK(gains[i][b].item<double>() == Approx(m1 - m0).margin(1e-5));
    }
  }
  // A CNN is not linear in its embeddings: the first-order gain is only an estimate there.
  auto cnn = std::make_shared<models::TextCNN>(vocab->size(), 8, 8, 2, 3);
  TextModelVictim cnn_victim(cnn, vocab);
  const at::Tensor gains = HotFlip::first_order_gains(cnn_victim, ids, 0, false);
  double worst = 0.0;
  for (int64_t b = 2; b < vocab->size(); ++b) {
    at::Tensor flipped = ids.clone();
    flipped[0][4] = b;
    const at::Tensor y = at::zeros({1}, at::kLong);
    const double change = (margin(cnn_victim.logits(flipped), y, false) -
                           margin(cnn_victim.logits(ids), y, false)).item<double>();
    worst = std::max(worst, std::abs(change - gains[4][b].item<double>()));
  }
  CHECK(worst > 1e-4);
}

TEST_CASE("token attacks: every output respects every constraint; same seed, same output",
          "[attacks][text][spam]") {
  const Spam& s = spam();
  TextVictim& victim = *s.victim;
  const auto labels = labels_of(s.test.labels);

  std::vector<std::shared_ptr<TextAttack>> attacks;
  PWWSOptions pwws;
  attacks.push_back(std::make_shared<PWWS>(pwws));
  TextFoolerOptions tf;
  attacks.push_back(std::make_shared<TextFooler>(tf));
  HotFlipOptions hf;
  hf.constraints.min_cosine = 0.1;
  hf.beam_width = 2;
  hf.flips_per_state = 3;
  attacks.push_back(std::make_shared<HotFlip>(hf));
  DeepWordBugOptions dwb;
  dwb.max_edit_distance = 10;
  attacks.push_back(std::make_shared<DeepWordBug>(dwb));

  for (const auto& attack : attacks) {
    INFO(attack->repr());
    const auto results = attack->run(victim, s.test.texts, labels);
    REQUIRE(results.size() == s.test.texts.size());
    const TextConstraints& c = attack->base_options().constraints;
    int64_t successes = 0;
    for (const auto& r : results) {
      check_result(victim, *attack, r,  c, attack == attacks[3] ? 10 : -1);
      successes += r.status == TextAttackStatus::Success;
      if (attack == attacks[2] && r.status == TextAttackStatus::Success) {
        const at::Tensor e = s.victim->embedding_matrix().detach();
        for (int64_t p : r.modified) {
          const auto a = victim.vocabulary().id(r.original_words[p]);
          const auto b = victim.vocabulary().id(r.adversarial_words[p]);
          CHECK(at::cosine_similarity(e[a], e[b], 0).item<double>() >= 0.1 - 1e-6);
        }
      }
    }
    CHECK(successes > 0);
    // Same seed, same output.
    const auto again = attack->run(victim, s.test.texts, labels);
    for (size_t i = 0; i < results.size(); ++i) {
      CHECK(again[i].adversarial_text == results[i].adversarial_text);
      CHECK(again[i].queries == results[i].queries);
    }
  }
}

TEST_CASE("token attacks: query budget, truncation, empty texts, summary", "[attacks][text][spam]") {
  const Spam& s = spam();
  TextVictim& victim = *s.victim;
  PWWSOptions o;
  o.constraints.query_budget = 20;
  PWWS pwws(o);
  const auto labels = labels_of(s.test.labels);
  const auto results = pwws.run(victim, s.test.texts, labels);
  int64_t exhausted = 0;
  for (const auto& r : results) {
    CHECK(r.queries <= 20);
    exhausted += r.note == "query budget exhausted";
  }
  CHECK(exhausted > 0);

  // A text longer than max_len: only its first max_len words are attacked, the rest is kept.
  std::string long_text = s.test.texts[10];
  while (victim.tokenizer().tokenize(long_text).size() <= 300) long_text += " " + s.test.texts[11];
  const auto r = PWWS().attack(victim, long_text, 1);
  CHECK(r.truncated);
  CHECK(r.num_words == victim.max_len());
  if (r.status == TextAttackStatus::Success) {
    CHECK(r.adversarial_text.substr(r.adversarial_text.size() - 200) ==
          long_text.substr(long_text.size() - 200));
  }

  const auto empty = PWWS().attack(victim, "  ... !!! ", 0);
  CHECK(empty.status == TextAttackStatus::Skipped);
  CHECK(empty.note == "no tokens");
  CHECK(empty.queries == 0);

  const auto summary = summarize(results, {5, 20});
  CHECK(summary.examples == static_cast<int64_t>(results.size()));
  CHECK(summary.successes + summary.failures + summary.skipped == summary.examples);
  CHECK(summary.success_curve.back() == Approx(summary.success_rate));
  CHECK(summary.success_curve.front() <= summary.success_curve.back());
}

TEST_CASE("token attacks: bad input is refused with a clear error", "[attacks][text]") {
  PWWSOptions o;
  o.constraints.query_budget = 0;
  CHECK_THROWS_AS(PWWS(o), InvalidArgument);
  o.constraints.query_budget = -1;
  o.constraints.max_change_fraction = 0.0;
  CHECK_THROWS_AS(PWWS(o), InvalidArgument);
  HotFlipOptions h;
  h.candidates = "everything";
  CHECK_THROWS_AS(HotFlip(h), InvalidArgument);
  DeepWordBugOptions d;
  d.scoring = "middle";
  CHECK_THROWS_AS(DeepWordBug(d), InvalidArgument);

  auto vocab = toy_vocabulary(10);
  auto model = std::make_shared<models::EmbeddingBagClassifier>(vocab->size(), 4, 2, 0);
  TextModelVictim victim(model, vocab);
  CHECK_THROWS_AS(PWWS().run(victim, {"w2 w3"}, {0, 1}), ShapeError);
  CHECK_THROWS_AS(victim.logits(at::full({1, 3}, 12, at::kLong)), InvalidArgument);
  CHECK_THROWS_AS(victim.logits(at::zeros({1, 3}, at::kFloat)), TypeError);
  CHECK_THROWS_AS(TextModelVictim(model, toy_vocabulary(11)), InvalidArgument);

  // A victim that returns one logit per text.
  struct OneLogit : TextVictim {
    using TextVictim::TextVictim;
    at::Tensor forward_impl(const at::Tensor& ids) override { return at::zeros({ids.size(0), 1}); }
    std::string name() const override { return "OneLogit"; }
  } bad(vocab, Tokenizer(), 16);
  CHECK_THROWS_AS(PWWS().run(bad, {"w2 w3 w4"}, {0}), ShapeError);
  // min_cosine needs embeddings; HotFlip needs gradients.
  PWWSOptions cos;
  cos.constraints.min_cosine = 0.5;
  CHECK_THROWS_AS(PWWS(cos).run(bad, {"w2"}, {0}), InvalidArgument);
  CHECK_THROWS_AS(HotFlip().run(bad, {"w2"}, {0}), InvalidArgument);
}

TEST_CASE("DeepWordBug: character edits and edit distance", "[attacks][text]") {
  const auto edits = DeepWordBug::character_edits("abc", {"swap", "delete"});
  CHECK(edits == Strings{"ab", "ac", "acb", "bac", "bc"});
  CHECK(DeepWordBug::character_edits("ab", {"substitute"}).size() == 50);
  CHECK(DeepWordBug::character_edits("ab", {"insert"}).size() == 3 * 26 - 2);  // "aab", "abb" twice
  CHECK(DeepWordBug::levenshtein("kitten", "sitting") == 3);
  CHECK(DeepWordBug::levenshtein("", "abc") == 3);
  CHECK(DeepWordBug::levenshtein("abc", "acb") == 2);
}

TEST_CASE("Scorer: identical texts are scored once; queries counted per text", "[attacks][text]") {
  auto vocab = toy_vocabulary(10);
  auto model = std::make_shared<models::EmbeddingBagClassifier>(vocab->size(), 4, 2, 0);
  TextModelVictim victim(model, vocab);
  Scorer scorer(victim, 0, false, -1, 2);
  const std::vector<std::vector<int64_t>> texts = {{2, 3}, {4}, {2, 3}, {5, 6, 7}, {4}};
  const auto a = scorer.score(texts);
  CHECK(scorer.queries() == 3);
  CHECK(victim.queries().forward_samples == 3);
  CHECK(victim.queries().forward_calls == 2);  // batches of 2
  CHECK(a[0] == a[2]);
  scorer.score(texts);
  CHECK(scorer.queries() == 3);
  // Padding is trimmed per batch and does not change a score.
  const at::Tensor z = at::softmax(victim.logits(at::tensor({4}, at::kLong).view({1, 1})), 1);
  CHECK(a[1]->probabilities[1] == Approx(z[0][1].item<float>()).margin(1e-6));
}

TEST_CASE("edits as spans: excerpts keep edits and characters whole; renderers escape the text",
          "[attacks][text]") {
  // A hand-made result: "ü [[a -> b]] <b>x</b> \x1b[31m" repeated, then the edited word.
  std::string pad;
  for (int i = 0; i < 30; ++i) pad += "\xC3\xBC [[a -> b]] <b>x</b> \x1b[31m ";
  TextAttackResult r;
  r.original_text = pad + "money now";
  r.original_words = {"money", "now"};
  r.adversarial_words = {"cash", "now"};
  r.modified = {0};
  const auto begin = static_cast<int64_t>(pad.size());
  r.modified_spans = {{begin, begin + 5}};
  const auto edits = text_edits(r);
  REQUIRE(edits.size() == 1);
  CHECK(edits[0].before == "money");
  CHECK(edits[0].after == "cash");

  for (int64_t context : {0, 1, 7, 40, 101}) {
    for (int64_t length : {1, 3, 50, 333}) {
      const TextExcerpt x = text_excerpt(r, context, length);
      CHECK(r.original_text.compare(static_cast<size_t>(x.offset), x.text.size(), x.text) == 0);
      CHECK(x.cut_start == (x.offset > 0));
      CHECK(x.cut_end == (x.offset + static_cast<int64_t>(x.text.size()) < static_cast<int64_t>(r.original_text.size())));
      // No cut inside a character: never starts on a UTF-8 continuation byte.
      if (!x.text.empty()) CHECK((static_cast<unsigned char>(x.text[0]) & 0xC0) != 0x80);
      REQUIRE(x.edits.size() == 1);  // the first edit is always inside, whole
      CHECK(x.text.substr(static_cast<size_t>(x.edits[0].begin), 5) == "money");
    }
  }

  const std::string html = render_edits(r, "html");
  CHECK(html.find("<b>") == std::string::npos);
  CHECK(html.find("&lt;b&gt;x&lt;/b&gt;") != std::string::npos);
  CHECK(html.find("<del style=\"color:#b00\">money</del> <ins style=\"color:#070\">cash</ins>") != std::string::npos);
  const std::string term = render_edits(r, "terminal");
  CHECK(term.find("\x1b[31m ") == std::string::npos);
  CHECK(term.find("\\x1b[31m") != std::string::npos);
  const std::string md = render_edits(r, "markdown");
  CHECK(md.find("[[") == std::string::npos);
  CHECK(md.find("\\[\\[a \\-\\> b\\]\\]") != std::string::npos);
  CHECK(md.find("~~money~~ **cash** now") != std::string::npos);
  CHECK(render_edits(r, "plain").find("[[money -> cash]] now") != std::string::npos);
  CHECK_THROWS_AS(render_edits(r, "latex"), InvalidArgument);
  CHECK_THROWS_AS(render_edits("abc", {TextEdit{0, 2, 9, "c", "d"}}), InvalidArgument);
}
