// The text stage: the reference spam filter (text.arch, trained or loaded from the model cache)
// under each token attack of text.attacks on text.samples SpamAssassin test e-mails (a seeded
// shuffle of the test split); success rate, accuracy under attack, words changed, queries, per
// class, and a few adversarial e-mails with their edits marked for the report.
#include <algorithm>

#include <ATen/ATen.h>

#include <bulwark/attacks/text/deepwordbug.h>
#include <bulwark/attacks/text/hotflip.h>
#include <bulwark/attacks/text/pwws.h>
#include <bulwark/attacks/text/textfooler.h>
#include <bulwark/core/progress.h>
#include <bulwark/core/random.h>
#include <bulwark/data/spam_assassin.h>
#include <bulwark/models/reference.h>

#include "experiment.h"

namespace bulwark::experiments {

namespace at_ = attacks::text;

namespace {
std::unique_ptr<at_::TextAttack> make_text_attack(const std::string& name, uint64_t seed) {
  if (name == "pwws") {
    at_::PWWSOptions o;
    o.seed = seed;
    return std::make_unique<at_::PWWS>(o);
  }
  if (name == "hotflip") {  // greedy: one flip per round, ~14 texts scored per e-mail
    at_::HotFlipOptions o;
    o.beam_width = 1;
    o.flips_per_state = 1;
    o.seed = seed;
    return std::make_unique<at_::HotFlip>(o);
  }
  if (name == "textfooler") {
    at_::TextFoolerOptions o;
    o.seed = seed;
    return std::make_unique<at_::TextFooler>(o);
  }
  at_::DeepWordBugOptions o;
  o.seed = seed;
  return std::make_unique<at_::DeepWordBug>(o);
}

// The part of the e-mail around its first edits, with the edits as spans into it (UTF-8 bytes):
// the report renders it, nothing parses markup.
Json excerpt_json(const at_::TextAttackResult& res) {
  const at_::TextExcerpt x = at_::text_excerpt(res);
  Json j = Json::object();
  j["text"] = x.text;
  j["offset"] = x.offset;
  j["cut_start"] = x.cut_start;
  j["cut_end"] = x.cut_end;
  Json& edits = j["edits"];
  edits = Json::array();
  for (const at_::TextEdit& e : x.edits) {
    Json& ed = edits.emplace_back(Json::object());
    ed["word"] = e.word;
    ed["begin"] = e.begin;
    ed["end"] = e.end;
    ed["from"] = e.before;
    ed["to"] = e.after;
  }
  return j;
}
}  // namespace

void text_stage(Experiment& e) {
  const Config& c = e.config();
  models::SpamClassifierRecipe recipe;
  recipe.arch = c.text_arch;
  recipe.training.seed = static_cast<uint64_t>(c.seed);
  recipe.training.progress = false;
  recipe.use_cache = c.cache;
  auto spam = models::trained_spam_classifier(recipe);
  at_::TextModelVictim victim(spam.model, std::make_shared<const text::Vocabulary>(spam.vocabulary), spam.tokenizer,
                              spam.max_len);
  data::SpamAssassinOptions so;
  so.split = "test";
  const auto test = data::spam_assassin(so);
  at::Generator g = make_generator(derive_seed(static_cast<uint64_t>(c.seed), 300));
  const at::Tensor order = at::randperm(test.size(), g, at::kLong).slice(0, 0, std::min(c.text_samples, test.size()));
  std::vector<std::string> texts;
  std::vector<int64_t> labels;
  for (int64_t k = 0; k < order.size(0); ++k) {
    const int64_t i = order[k].item<int64_t>();
    texts.push_back(test.texts[static_cast<size_t>(i)]);
    labels.push_back(test.labels[i].item<int64_t>());
  }

  Json& out = e.results()["text"];
  out["model"] = c.text_arch == "bag" ? "embedding bag" : "1D CNN";
  out["samples"] = static_cast<int64_t>(texts.size());
  Table& table = e.new_table(table_name("text"), {"attack", "success_rate", "accuracy_under_attack", "clean_accuracy",
                                 "mean_words_changed_percent", "mean_queries", "spam_to_ham_success",
                                 "ham_to_spam_success"});
  Progress bar("text", static_cast<int64_t>(c.text_attack_list.size() * texts.size()));
  int64_t done = 0;
  for (size_t a = 0; a < c.text_attack_list.size(); ++a) {
    const std::string& name = c.text_attack_list[a];
    auto attack = make_text_attack(name, derive_seed(static_cast<uint64_t>(c.seed), 400 + a));
    const auto results = attack->run(victim, texts, labels, [&](int64_t d, int64_t) { bar.update(done + d, name); });
    done += static_cast<int64_t>(texts.size());
    const auto s = at_::summarize(results);
    // Per class: success among the attacked e-mails of each true label.
    double per_class[2] = {0, 0}, attacked[2] = {0, 0};
    double seconds = 0;
    for (const auto& r : results) {
      seconds += r.seconds;
      if (r.status == at_::TextAttackStatus::Skipped || r.label < 0 || r.label > 1) continue;
      attacked[r.label] += 1;
      per_class[r.label] += r.status == at_::TextAttackStatus::Success;
    }
    e.timings()["text_" + name] = seconds;
    Json& r = out["attacks"][name];
    r["attack"] = attack->repr();
    r["success_rate"] = s.success_rate;
    r["accuracy_under_attack"] = s.accuracy_under_attack;
    r["clean_accuracy"] = s.original_accuracy;
    r["mean_words_changed_percent"] = s.mean_perturbed_percent;
    r["mean_queries"] = s.mean_queries;
    r["spam_to_ham_success"] = attacked[1] > 0 ? per_class[1] / attacked[1] : std::nan("");
    r["ham_to_spam_success"] = attacked[0] > 0 ? per_class[0] / attacked[0] : std::nan("");
    r["budgets"] = s.budgets;
    r["success_curve"] = s.success_curve;
    Json& examples = r["examples"];
    examples = Json::array();
    int64_t kept = 0;
    for (const auto& res : results) {
      if (kept >= c.text_examples) break;
      if (res.status != at_::TextAttackStatus::Success) continue;
      Json& ex = examples.emplace_back(Json::object());
      ex["label"] = res.label;
      ex["adversarial_prediction"] = res.adversarial_prediction;
      ex["words_changed"] = static_cast<int64_t>(res.modified.size());
      ex["words"] = res.num_words;
      Json& edits = ex["edits"];
      edits = Json::array();
      for (int64_t p : res.modified) {
        Json& ed = edits.emplace_back(Json::object());
        ed["from"] = res.original_words[static_cast<size_t>(p)];
        ed["to"] = res.adversarial_words[static_cast<size_t>(p)];
      }
      ex["excerpt"] = excerpt_json(res);
      ++kept;
    }
    table.rows.push_back({name, cell(s.success_rate), cell(s.accuracy_under_attack), cell(s.original_accuracy),
                          cell(s.mean_perturbed_percent), cell(s.mean_queries), cell(number_at(r, "spam_to_ham_success")),
                          cell(number_at(r, "ham_to_spam_success"))});
  }
  bar.finish();
}

}  // namespace bulwark::experiments
