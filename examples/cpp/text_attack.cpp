// Red-teaming a spam filter from C++ (LibTorch): the reference spam filter (trained on the
// SpamAssassin training split, or loaded from the cache), or a TorchScript text model with
// --torchscript, attacked by PWWS, HotFlip, TextFooler or DeepWordBug on the first --n test
// e-mails; prints the metrics and the first success with its edits marked.
//
//   build/examples/cpp/bulwark-text-attack --attack pwws --n 50 --arch cnn
//   build/examples/cpp/bulwark-text-attack --attack hotflip --targeted   # spam -> ham only
#include <cstdio>
#include <memory>

#include <torch/script.h>

#include <bulwark/attacks/text/deepwordbug.h>
#include <bulwark/attacks/text/hotflip.h>
#include <bulwark/attacks/text/pwws.h>
#include <bulwark/attacks/text/textfooler.h>
#include <bulwark/data/spam_assassin.h>
#include <bulwark/models/reference.h>

#include "../../experiments/cli.h"

namespace po = boost::program_options;
using namespace bulwark;
using namespace bulwark::attacks::text;

namespace {
std::unique_ptr<TextAttack> make_attack(const std::string& name, TextAttackOptions base) {
  if (name == "pwws") return std::make_unique<PWWS>(PWWSOptions{base});
  if (name == "textfooler") return std::make_unique<TextFooler>(TextFoolerOptions{base});
  if (name == "hotflip") return std::make_unique<HotFlip>(HotFlipOptions{base});
  if (name == "deepwordbug") {
    DeepWordBugOptions o{base};
    o.constraints.same_pos = false;
    return std::make_unique<DeepWordBug>(o);
  }
  throw InvalidArgument("--attack must be pwws, textfooler, hotflip or deepwordbug, got '" + name + "'");
}
}  // namespace

int main(int argc, char** argv) {
  std::string attack_name = "pwws", arch = "bag", torchscript;
  int64_t n = 20, budget = -1;
  double fraction = 0.2;
  bool targeted = false;
  po::options_description opts("bulwark-text-attack: token and character attacks on a spam filter");
  opts.add_options()
      ("help", "show this help")
      ("attack", po::value(&attack_name)->default_value(attack_name), "pwws, textfooler, hotflip, deepwordbug")
      ("arch", po::value(&arch)->default_value(arch), "reference spam filter: bag or cnn")
      ("torchscript", po::value(&torchscript), "attack this TorchScript model (ids -> logits) over the reference vocabulary instead")
      ("n", po::value(&n)->default_value(n), "test e-mails attacked")
      ("max-change-fraction", po::value(&fraction)->default_value(fraction), "most words changed, as a fraction")
      ("query-budget", po::value(&budget)->default_value(budget), "texts scored per e-mail (-1: no limit)")
      ("targeted", po::bool_switch(&targeted), "spam e-mails only, goal: classified as ham");
  return cli::run(argc, argv, opts, [&](const po::variables_map&) {
    BULWARK_CHECK(n >= 1, "--n must be >= 1, got ", n);
    models::SpamClassifierRecipe recipe;
    recipe.arch = arch;
    recipe.training.progress = false;
    const auto spam = models::trained_spam_classifier(recipe);
    auto vocabulary = std::make_shared<const text::Vocabulary>(spam.vocabulary);
    std::shared_ptr<TextVictim> victim;
    if (torchscript.empty()) {
      victim = std::make_shared<TextModelVictim>(spam.model, vocabulary, spam.tokenizer, spam.max_len);
    } else {
      victim = std::make_shared<TorchScriptTextVictim>(torch::jit::load(torchscript), vocabulary,
                                                       spam.tokenizer, spam.max_len);
    }
    TextAttackOptions base;
    base.constraints.max_change_fraction = fraction;
    base.constraints.query_budget = budget;
    base.targeted = targeted;
    const auto attack = make_attack(attack_name, base);

    data::SpamAssassinOptions split;
    split.split = "test";
    const auto test = data::spam_assassin(split);
    std::vector<std::string> texts;
    std::vector<int64_t> labels;
    for (int64_t i = 0; i < test.size() && static_cast<int64_t>(texts.size()) < n; ++i) {
      const int64_t y = test.labels[i].item<int64_t>();
      if (targeted && y != 1) continue;
      texts.push_back(test.texts[i]);
      labels.push_back(targeted ? 0 : y);  // targeted: the target is ham
    }
    std::printf("%s\non %s\n", attack->repr().c_str(), victim->repr().c_str());
    const auto results = attack->run(*victim, texts, labels);
    const auto s = summarize(results);
    std::printf("%ld e-mails: %ld successes, %ld failures, %ld skipped\n", s.examples, s.successes,
                s.failures, s.skipped);
    std::printf("success rate %.1f%%, accuracy under attack %.1f%%, words changed %.1f%%, "
                "queries %.0f, %.3f s per e-mail\n",
                100 * s.success_rate, 100 * s.accuracy_under_attack, s.mean_perturbed_percent,
                s.mean_queries, s.seconds_per_example);
    for (const auto& r : results) {
      if (r.status != TextAttackStatus::Success) continue;
      const TextExcerpt x = text_excerpt(r, 250, 1500);  // the edits as spans into a piece of the e-mail
      std::printf("\nfirst success (label %ld -> %ld, %zu of %ld words):\n%s%s%s\n", r.label,
                  r.adversarial_prediction, r.modified.size(), r.num_words, x.cut_start ? "..." : "",
                  render_edits(x.text, x.edits, "terminal").c_str(), x.cut_end ? "..." : "");
      break;
    }
    return 0;
  });
}
