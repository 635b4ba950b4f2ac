// Ren, Deng, He & Che (2019), "Generating Natural Language Adversarial Examples through
// Probability Weighted Word Saliency", ACL.
#include <bulwark/attacks/text/pwws.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include <bulwark/core/error.h>

namespace bulwark::attacks::text {

PWWS::PWWS(PWWSOptions options, std::shared_ptr<WordCandidates> candidates)
    : TextAttack(std::move(options), "PWWS"),
      candidates_(candidates ? std::move(candidates) : std::make_shared<WordNetSynonyms>()) {}

void PWWS::prepare(TextVictim& victim) {
  TextAttack::prepare(victim);
  BULWARK_CHECK(!candidates_->needs_embeddings() || victim.white_box(), name_, ": ",
                candidates_->repr(), " needs a white-box victim");
}

void PWWS::search(AttackState& state) {
  const std::vector<int64_t> positions = state.modifiable_positions();
  if (positions.empty()) return;
  const double base = state.original().score;

  // The candidates of every word, then the saliency of each word that has one (the goal-score
  // gain of replacing it by <unk>) and every candidate text, scored in one call so the victim
  // sees full batches. H_i = softmax(S)_i * dP*_i = exp(S_i) * dP*_i / Z with Z the same for
  // every word, so the order of H needs no saliency of the words without a candidate: they are
  // not scored (the paper's order, fewer texts).
  const auto subs = substitutions(state, *candidates_, positions);
  std::vector<size_t> words;  // indices into positions with at least one candidate
  for (size_t k = 0; k < subs.size(); ++k) {
    if (!subs[k].empty()) words.push_back(k);
  }
  if (words.empty()) return;
  std::vector<std::vector<int64_t>> texts;
  for (size_t k : words) texts.push_back(state.with(positions[k], Vocabulary::kUnk));
  for (size_t k : words) {
    for (const auto& s : subs[k]) texts.push_back(state.with(s.position, s.id));
  }
  const auto scored = state.scorer().score(texts);

  std::vector<double> saliency, gain;
  std::vector<size_t> best;
  size_t at = words.size();
  for (size_t w = 0; w < words.size(); ++w) {
    saliency.push_back(scored[w]->score - base);
    double g = -INFINITY;
    size_t b = 0;
    for (size_t j = 0; j < subs[words[w]].size(); ++j, ++at) {
      if (scored[at]->score - base > g) {
        g = scored[at]->score - base;
        b = j;
      }
    }
    gain.push_back(g);
    best.push_back(b);
  }
  const double smax = *std::max_element(saliency.begin(), saliency.end());
  std::vector<std::pair<double, size_t>> order;  // (exp(S - max S) * dP*, index into words)
  for (size_t w = 0; w < words.size(); ++w) order.emplace_back(std::exp(saliency[w] - smax) * gain[w], w);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });

  // Replace in order of H until the goal is reached. Without a query budget the cumulative
  // texts are scored speculatively in chunks of 8, 16, 32, ... (a call costs about as much as
  // ten texts scored in a batch, so a handful of calls replace up to max_changes one-text calls,
  // for at most 7 texts more or twice the texts a one-by-one pass needs); with a budget, one
  // text at a time so none is spent ahead.
  const size_t steps = std::min<size_t>(order.size(), static_cast<size_t>(state.max_changes()));
  const bool speculate = base_.constraints.query_budget < 0;
  std::vector<int64_t> ids = state.ids();
  size_t done = 0;
  for (size_t chunk = speculate ? 8 : 1; done < steps; chunk = speculate ? 2 * chunk : 1) {
    const size_t end = std::min(steps, done + chunk);
    std::vector<std::vector<int64_t>> cumulative;
    for (size_t j = done; j < end; ++j) {
      const size_t w = order[j].second;
      const auto& s = subs[words[w]][best[w]];
      ids[static_cast<size_t>(s.position)] = s.id;
      cumulative.push_back(ids);
    }
    const auto results = state.scorer().score(cumulative);
    for (size_t j = done; j < end; ++j) {
      const size_t w = order[j].second;
      state.apply(subs[words[w]][best[w]]);
      if (results[j - done]->success) return;
    }
    done = end;
  }
}

std::string PWWS::repr() const {
  return "PWWS(candidates=" + candidates_->repr() + ", " + constraints_repr() + ")";
}

}  // namespace bulwark::attacks::text
