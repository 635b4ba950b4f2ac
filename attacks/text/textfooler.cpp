// Jin, Jin, Zhou & Szolovits (2020), "Is BERT Really Robust? A Strong Baseline for Natural
// Language Attack on Text Classification and Entailment", AAAI.
#include <bulwark/attacks/text/textfooler.h>

#include <algorithm>

#include <bulwark/core/error.h>

namespace bulwark::attacks::text {

TextFooler::TextFooler(TextFoolerOptions options, std::shared_ptr<WordCandidates> candidates)
    : TextAttack(options, "TextFooler"), options_(options) {
  BULWARK_CHECK(options.max_candidates >= 1, "TextFooler: max_candidates must be >= 1, got ",
                options.max_candidates);
  BULWARK_CHECK(options.candidate_cosine >= -1.0 && options.candidate_cosine <= 1.0,
                "TextFooler: candidate_cosine must be in [-1, 1], got ", options.candidate_cosine);
  candidates_ = candidates ? std::move(candidates)
                           : std::make_shared<FilteredSynonyms>(options.max_candidates,
                                                                options.candidate_cosine);
}

void TextFooler::search(AttackState& state) {
  const std::vector<int64_t> positions = state.modifiable_positions();
  if (positions.empty()) return;
  const Scored& base = state.original();
  const int64_t y = state.scorer().label();

  // Importance by deletion, all deletions in one scoring call.
  std::vector<std::vector<int64_t>> texts;
  for (int64_t p : positions) texts.push_back(state.without(p));
  const auto deleted = state.scorer().score(texts);
  std::vector<std::pair<double, int64_t>> order;
  for (size_t k = 0; k < positions.size(); ++k) {
    const Scored& d = *deleted[k];
    double importance = d.score - base.score;
    if (!state.scorer().targeted() && d.prediction != y) {
      const auto other = static_cast<size_t>(d.prediction);
      importance += d.probabilities[other] - base.probabilities[other];
    }
    order.emplace_back(importance, positions[k]);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });

  for (const auto& [importance, p] : order) {
    if (!state.budget_left()) break;
    const auto subs = substitutions(state, *candidates_, {p}).front();
    if (subs.empty()) continue;
    texts.clear();
    for (const auto& s : subs) texts.push_back(state.with(p, s.id));
    const auto scored = state.scorer().score(texts);
    const double current = state.current().score;
    int64_t pick = -1;
    double best_similarity = -INFINITY, best_score = current;
    for (size_t j = 0; j < subs.size(); ++j) {
      if (scored[j]->success) {
        // Among the successes, the most similar word (the paper's sentence similarity).
        const double sim = state.attack().normalized_embeddings().defined()
                               ? state.cosine(state.ids()[p], subs[j].id)
                               : -static_cast<double>(j);
        if (sim > best_similarity) {
          best_similarity = sim;
          pick = static_cast<int64_t>(j);
        }
      }
    }
    if (pick < 0) {
      for (size_t j = 0; j < subs.size(); ++j) {
        if (scored[j]->score > best_score) {
          best_score = scored[j]->score;
          pick = static_cast<int64_t>(j);
        }
      }
    }
    if (pick < 0) continue;
    state.apply(subs[static_cast<size_t>(pick)]);
    if (state.current().success) return;
  }
}

std::string TextFooler::repr() const {
  return "TextFooler(candidates=" + candidates_->repr() + ", " + constraints_repr() + ")";
}

}  // namespace bulwark::attacks::text
