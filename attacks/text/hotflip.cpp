// Ebrahimi, Rao, Lowd & Dou (2018), "HotFlip: White-Box Adversarial Examples for Text
// Classification", ACL.
#include <bulwark/attacks/text/hotflip.h>

#include <algorithm>
#include <set>

#include <ATen/ATen.h>

#include <bulwark/attacks/text/candidates.h>
#include <bulwark/core/error.h>

namespace bulwark::attacks::text {

at::Tensor margin(const at::Tensor& logits, const at::Tensor& labels, bool targeted) {
  at::Tensor own = logits.gather(1, labels.unsqueeze(1)).squeeze(1);
  at::Tensor others = logits.scatter(1, labels.unsqueeze(1), -INFINITY).amax(1);
  return targeted ? own - others : others - own;
}

HotFlip::HotFlip(HotFlipOptions options) : TextAttack(options, "HotFlip"), options_(options) {
  BULWARK_CHECK(options.beam_width >= 1, "HotFlip: beam_width must be >= 1, got ",
                options.beam_width);
  BULWARK_CHECK(options.flips_per_state >= 1, "HotFlip: flips_per_state must be >= 1, got ",
                options.flips_per_state);
  BULWARK_CHECK(options.candidates == "vocabulary" || options.candidates == "wordnet" ||
                    options.candidates == "embedding",
                "HotFlip: candidates must be 'vocabulary', 'wordnet' or 'embedding', got '",
                options.candidates, "'");
  BULWARK_CHECK(options.neighbours >= 1, "HotFlip: neighbours must be >= 1, got ",
                options.neighbours);
}

void HotFlip::prepare(TextVictim& victim) {
  TextAttack::prepare(victim);
  victim_ = &victim;
  at::NoGradGuard no_grad;
  embeddings_ = victim.embedding_matrix().detach().to(at::kCPU, at::kFloat).contiguous();
}

at::Tensor HotFlip::first_order_gains(TextVictim& victim, const at::Tensor& ids, int64_t label,
                                      bool targeted) {
  BULWARK_CHECK_SHAPE(ids.dim() == 2 && ids.size(0) == 1, "HotFlip.first_order_gains: ids must "
                      "be (1, L), got ", ids.sizes());
  BULWARK_CHECK(label >= 0, "HotFlip.first_order_gains: label must be >= 0, got ", label);
  const at::Tensor labels = at::full({1}, label, at::kLong);
  const auto lg = victim.embedding_gradient(ids, [&](const at::Tensor& logits) {
    BULWARK_CHECK(label < logits.size(1), "HotFlip.first_order_gains: label ", label,
                  " is not a class of a ", logits.size(1), "-class victim");
    return margin(logits, labels.to(logits.device()), targeted);
  });
  at::NoGradGuard no_grad;
  const at::Tensor e = victim.embedding_matrix().detach().to(at::kCPU, at::kFloat);
  const at::Tensor g = lg.grad[0].to(at::kCPU, at::kFloat);                  // (L, D)
  const at::Tensor own = (g * e.index_select(0, ids[0].cpu())).sum(1, true);  // (L, 1)
  return at::matmul(g, e.t()) - own;
}

namespace {
struct Beam {
  std::vector<int64_t> ids;
  std::vector<Substitution> flips;
  double score;
};
}  // namespace

void HotFlip::search(AttackState& state) {
  const int64_t length = state.size();
  const int64_t vocab = embeddings_.size(0);
  const bool targeted = state.scorer().targeted();
  const int64_t label = state.scorer().label();

  // Which (position, token) pairs may ever be tried: restricted candidate sets per position.
  at::Tensor restrict;  // (L, V) bool, undefined: all of allowed_
  if (options_.candidates != "vocabulary") {
    restrict = at::zeros({length, vocab}, at::kBool);
    const std::vector<int64_t> positions = state.modifiable_positions();
    std::unique_ptr<WordCandidates> source;
    if (options_.candidates == "wordnet") {
      source = std::make_unique<WordNetSynonyms>();
    } else {
      source = std::make_unique<EmbeddingNeighbours>(options_.neighbours, -1.0);
    }
    const auto subs = substitutions(state, *source, positions);
    auto acc = restrict.accessor<bool, 2>();
    for (const auto& list : subs) {
      for (const auto& s : list) {
        if (s.id > Vocabulary::kUnk) acc[s.position][s.id] = true;
      }
    }
  }

  std::vector<Beam> beam{{state.ids(), {}, state.original().score}};
  const int64_t max_flips = state.max_changes();
  for (int64_t round = 0; round < max_flips; ++round) {
    // One backward for the whole beam: gradients of the margin w.r.t. each text's embeddings.
    at::Tensor batch = at::zeros({static_cast<int64_t>(beam.size()), length}, at::kLong);
    for (size_t b = 0; b < beam.size(); ++b) {
      batch[static_cast<int64_t>(b)].copy_(at::tensor(beam[b].ids, at::kLong));
    }
    const at::Tensor labels = at::full({batch.size(0)}, label, at::kLong);
    const auto lg = victim_->embedding_gradient(batch, [&](const at::Tensor& logits) {
      return margin(logits, labels.to(logits.device()), targeted);
    });
    const at::Tensor grads = lg.grad.to(at::kCPU, at::kFloat);  // (B, L, D)

    std::vector<std::vector<int64_t>> texts;
    std::vector<std::pair<size_t, Substitution>> expansions;
    for (size_t b = 0; b < beam.size(); ++b) {
      const auto& ids = beam[b].ids;
      // Only the positions that may still change: not stopwords, not flipped in this text.
      std::vector<int64_t> open;
      {
        std::vector<bool> frozen(static_cast<size_t>(length), false);
        for (const auto& f : beam[b].flips) frozen[static_cast<size_t>(f.position)] = true;
        for (int64_t i = 0; i < length; ++i) {
          if (!frozen[static_cast<size_t>(i)] && state.modifiable(i)) open.push_back(i);
        }
      }
      if (open.empty()) continue;
      const at::Tensor rows = at::tensor(open, at::kLong);
      const at::Tensor g = grads[static_cast<int64_t>(b)].index_select(0, rows);  // (P, D)
      const at::Tensor own_ids = at::tensor(ids, at::kLong).index_select(0, rows);
      at::Tensor gains = at::matmul(g, embeddings_.t()) -
                         (g * embeddings_.index_select(0, own_ids)).sum(1, true);  // (P, V)
      gains.narrow(1, 0, 2).fill_(-INFINITY);  // never <pad> or <unk>
      if (restrict.defined()) gains.masked_fill_(restrict.index_select(0, rows).logical_not(), -INFINITY);
      // The embedding-cosine constraint, densely, so the walk below rarely rejects a flip.
      const double min_cos = state.attack().base_options().constraints.min_cosine;
      if (min_cos > -1.0) {
        const at::Tensor& en = state.attack().normalized_embeddings();
        gains.masked_fill_(at::matmul(en.index_select(0, own_ids), en.t()) < min_cos, -INFINITY);
      }
      // Walk the best gains until flips_per_state flips pass the word-level constraints.
      const int64_t want = options_.flips_per_state;
      for (int64_t k = std::min<int64_t>(4 * want, gains.numel());;
           k = std::min<int64_t>(k * 4, gains.numel())) {
        auto [values, index] = at::topk(gains.view(-1), k);
        const float* v = values.data_ptr<float>();
        const int64_t* ix = index.data_ptr<int64_t>();
        std::vector<std::pair<size_t, Substitution>> picked;
        bool exhausted = k == gains.numel();
        for (int64_t j = 0; j < k && static_cast<int64_t>(picked.size()) < want; ++j) {
          if (!std::isfinite(v[j])) {
            exhausted = true;
            break;
          }
          const int64_t pos = open[static_cast<size_t>(ix[j] / vocab)], tok = ix[j] % vocab;
          const std::string& word = state.attack().vocabulary().token(tok);
          // allowed() reads the state's words; a beam text differs only at its own flips.
          if (!state.allowed(pos, word, tok)) continue;
          picked.push_back({b, {pos, word, tok}});
        }
        if (static_cast<int64_t>(picked.size()) >= want || exhausted) {
          for (auto& p : picked) {
            std::vector<int64_t> t = ids;
            t[static_cast<size_t>(p.second.position)] = p.second.id;
            texts.push_back(std::move(t));
            expansions.push_back(std::move(p));
          }
          break;
        }
      }
    }
    if (texts.empty()) break;
    const auto scored = state.scorer().score(texts);
    // The beam_width best distinct texts; stop at the first success (best score first).
    std::vector<size_t> order(texts.size());
    for (size_t j = 0; j < order.size(); ++j) order[j] = j;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return scored[a]->score > scored[b]->score; });
    std::vector<Beam> next;
    std::set<std::vector<int64_t>> seen;
    for (size_t j : order) {
      if (static_cast<int64_t>(next.size()) >= options_.beam_width) break;
      if (!seen.insert(texts[j]).second) continue;
      Beam nb{texts[j], beam[expansions[j].first].flips, scored[j]->score};
      nb.flips.push_back(expansions[j].second);
      next.push_back(std::move(nb));
    }
    beam = std::move(next);
    if (scored[order.front()]->success) break;
  }
  // Leave the state at the best text found.
  const Beam& best = beam.front();
  if (best.flips.empty() || best.score <= state.original().score) return;
  for (const auto& f : best.flips) state.apply(f);
}

std::string HotFlip::repr() const {
  return "HotFlip(beam_width=" + std::to_string(options_.beam_width) +
         ", flips_per_state=" + std::to_string(options_.flips_per_state) + ", candidates='" +
         options_.candidates + "', " + constraints_repr() + ")";
}

}  // namespace bulwark::attacks::text
