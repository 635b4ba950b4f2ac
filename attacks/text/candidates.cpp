#include <bulwark/attacks/text/candidates.h>

#include <algorithm>
#include <unordered_set>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>

namespace bulwark::attacks::text {

std::vector<std::string> WordNetSynonyms::candidates(const AttackState& state,
                                                     int64_t position) const {
  std::vector<std::string> out;
  for (auto& w : state.attack().wordnet().synonyms(state.words()[position])) {
    if (w.find('_') == std::string::npos) out.push_back(std::move(w));
  }
  return out;
}

namespace {
// Ids whose normalized embeddings are nearest to `id`'s, descending cosine, >= min_cosine.
std::vector<std::pair<double, int64_t>> nearest(const at::Tensor& normalized, int64_t id,
                                                int64_t k, double min_cosine) {
  at::Tensor cos = at::mv(normalized, normalized[id]);
  cos.index_put_({at::indexing::Slice(0, 2)}, -2.0);  // <pad>, <unk>
  cos[id] = -2.0;
  const int64_t kk = std::min<int64_t>(k, cos.size(0));
  auto [values, indices] = at::topk(cos, kk);
  std::vector<std::pair<double, int64_t>> out;
  const float* v = values.data_ptr<float>();
  const int64_t* ix = indices.data_ptr<int64_t>();
  for (int64_t i = 0; i < kk; ++i) {
    if (v[i] >= min_cosine) out.emplace_back(v[i], ix[i]);
  }
  return out;
}
}  // namespace

CosineCandidates::CosineCandidates(int64_t k, double min_cosine, std::string name)
    : k_(k), min_cosine_(min_cosine), name_(std::move(name)) {
  BULWARK_CHECK(k >= 1, name_, ": k must be >= 1, got ", k);
  BULWARK_CHECK(min_cosine >= -1.0 && min_cosine <= 1.0, name_,
                ": min_cosine must be in [-1, 1], got ", min_cosine);
}

std::string CosineCandidates::repr() const {
  return name_ + "(k=" + std::to_string(k_) + ", min_cosine=" + std::to_string(min_cosine_) + ")";
}

std::vector<std::string> EmbeddingNeighbours::candidates(const AttackState& state,
                                                         int64_t position) const {
  const int64_t id = state.ids()[position];
  if (id == Vocabulary::kUnk) return {};
  std::vector<std::string> out;
  for (const auto& [c, j] : nearest(state.attack().normalized_embeddings(), id, k_, min_cosine_)) {
    out.push_back(state.attack().vocabulary().token(j));
  }
  return out;
}

std::vector<std::string> FilteredSynonyms::candidates(const AttackState& state,
                                                      int64_t position) const {
  const int64_t id = state.ids()[position];
  if (id == Vocabulary::kUnk) return {};
  const Vocabulary& vocab = state.attack().vocabulary();
  std::vector<std::pair<double, std::string>> scored;
  for (auto& w : WordNetSynonyms().candidates(state, position)) {
    const int64_t j = vocab.id(w);
    if (j == Vocabulary::kUnk) continue;
    const double c = state.cosine(id, j);
    if (c >= min_cosine_) scored.emplace_back(c, std::move(w));
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  if (static_cast<int64_t>(scored.size()) > k_) scored.resize(static_cast<size_t>(k_));
  std::vector<std::string> out;
  for (auto& [c, w] : scored) out.push_back(std::move(w));
  return out;
}

CandidateFunction::CandidateFunction(Fn fn, std::string name, bool thread_safe)
    : fn_(std::move(fn)), name_(std::move(name)), thread_safe_(thread_safe) {
  BULWARK_CHECK_TYPE(static_cast<bool>(fn_), "CandidateFunction: the function is empty");
}

std::vector<std::string> CandidateFunction::candidates(const AttackState& state,
                                                       int64_t position) const {
  return fn_(state.words()[position]);
}

std::vector<std::vector<Substitution>> substitutions(const AttackState& state,
                                                     const WordCandidates& source,
                                                     const std::vector<int64_t>& positions) {
  const int64_t n = static_cast<int64_t>(positions.size());
  std::vector<std::vector<Substitution>> out(positions.size());
  const Vocabulary& vocab = state.attack().vocabulary();
  auto one = [&](int64_t k) {
    const int64_t p = positions[k];
    std::unordered_set<int64_t> ids;
    for (auto& w : source.candidates(state, p)) {
      const int64_t id = vocab.id(w);
      if (ids.count(id) || !state.allowed(p, w, id)) continue;
      ids.insert(id);
      out[k].push_back({p, std::move(w), id});
    }
  };
  if (source.thread_safe()) {
    // Exceptions must not leave an OpenMP region: keep the first and rethrow it after.
    std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 4)
    for (int64_t k = 0; k < n; ++k) {
      try {
        one(k);
      } catch (...) {
#pragma omp critical(bulwark_substitutions)
        if (!error) error = std::current_exception();
      }
    }
    if (error) std::rethrow_exception(error);
  } else {
    for (int64_t k = 0; k < n; ++k) one(k);
  }
  return out;
}

}  // namespace bulwark::attacks::text
