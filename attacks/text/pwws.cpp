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

  // Word saliency: the goal-score gain of replacing each word by <unk>.
  std::vector<std::vector<int64_t>> texts;
  for (int64_t p : positions) texts.push_back(state.with(p, Vocabulary::kUnk));
  const auto unk = state.scorer().score(texts);

  // The best candidate of each word and its gain, all candidate texts in one scoring call.
  const auto subs = substitutions(state, *candidates_, positions);
  texts.clear();
  for (const auto& list : subs) {
    for (const auto& s : list) texts.push_back(state.with(s.position, s.id));
  }
  const auto scored = state.scorer().score(texts);

  const size_t n = positions.size();
  std::vector<double> saliency(n), gain(n, -INFINITY);
  std::vector<int64_t> best(n, -1);
  size_t at = 0;
  for (size_t k = 0; k < n; ++k) {
    saliency[k] = unk[k]->score - base;
    for (size_t j = 0; j < subs[k].size(); ++j, ++at) {
      const double g = scored[at]->score - base;
      if (g > gain[k]) {
        gain[k] = g;
        best[k] = static_cast<int64_t>(j);
      }
    }
  }
  // H_i = softmax(S)_i * dP*_i over the words that have a candidate.
  const double smax = *std::max_element(saliency.begin(), saliency.end());
  double z = 0.0;
  for (double s : saliency) z += std::exp(s - smax);
  std::vector<std::pair<double, size_t>> order;
  for (size_t k = 0; k < n; ++k) {
    if (best[k] >= 0) order.emplace_back(std::exp(saliency[k] - smax) / z * gain[k], k);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });

  for (const auto& [h, k] : order) {
    if (!state.budget_left()) break;
    state.apply(subs[k][static_cast<size_t>(best[k])]);
    if (state.current().success) return;
  }
}

std::string PWWS::repr() const {
  return "PWWS(candidates=" + candidates_->repr() + ", " + constraints_repr() + ")";
}

}  // namespace bulwark::attacks::text
