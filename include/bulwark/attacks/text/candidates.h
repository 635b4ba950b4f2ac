#pragma once
// Where word-swap attacks get their candidate words from. Pluggable: counter-fitted vectors and
// the Universal Sentence Encoder that TextFooler used cannot be downloaded here, so the
// built-in sources are WordNet and the victim's own embeddings, and any function word -> words
// can stand in for a better one.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <bulwark/attacks/text/text_attack.h>

namespace bulwark::attacks::text {

class WordCandidates {
 public:
  virtual ~WordCandidates() = default;
  // Candidate words for the word at `position` of the state's current text, before the
  // shared constraints filter them.
  virtual std::vector<std::string> candidates(const AttackState& state, int64_t position) const = 0;
  virtual std::string repr() const = 0;
  // Whether candidates() may run on several threads at once.
  virtual bool thread_safe() const { return true; }
  virtual bool needs_embeddings() const { return false; }
};

// WordNet synonyms (single words only: a multiword lemma would change the token count).
class WordNetSynonyms : public WordCandidates {
 public:
  std::vector<std::string> candidates(const AttackState& state, int64_t position) const override;
  std::string repr() const override { return "WordNetSynonyms()"; }
};

// Candidates chosen by the victim's embedding cosine to the original word: at most k, each at
// least min_cosine, most similar first. Needs a white-box victim.
class CosineCandidates : public WordCandidates {
 public:
  std::string repr() const override;
  bool needs_embeddings() const override { return true; }

 protected:
  CosineCandidates(int64_t k, double min_cosine, std::string name);
  int64_t k_;
  double min_cosine_;
  std::string name_;
};

// The k vocabulary words nearest to the word in the victim's embedding space. <pad>, <unk> and
// the word itself excluded.
class EmbeddingNeighbours : public CosineCandidates {
 public:
  explicit EmbeddingNeighbours(int64_t k = 50, double min_cosine = 0.0)
      : CosineCandidates(k, min_cosine, "EmbeddingNeighbours") {}
  std::vector<std::string> candidates(const AttackState& state, int64_t position) const override;
};

// WordNet synonyms that are in the victim's vocabulary, ranked and filtered by embedding cosine:
// TextFooler's candidate filter with the victim's embeddings standing in for counter-fitted
// vectors.
class FilteredSynonyms : public CosineCandidates {
 public:
  explicit FilteredSynonyms(int64_t k = 50, double min_cosine = 0.0)
      : CosineCandidates(k, min_cosine, "FilteredSynonyms") {}
  std::vector<std::string> candidates(const AttackState& state, int64_t position) const override;
};

// Any function word -> candidate words (e.g. a Python callable).
class CandidateFunction : public WordCandidates {
 public:
  using Fn = std::function<std::vector<std::string>(const std::string& word)>;
  CandidateFunction(Fn fn, std::string name, bool thread_safe = false);
  std::vector<std::string> candidates(const AttackState& state, int64_t position) const override;
  std::string repr() const override { return name_; }
  bool thread_safe() const override { return thread_safe_; }

 private:
  Fn fn_;
  std::string name_;
  bool thread_safe_;
};

// The candidates for each of `positions` that pass the shared constraints, one per distinct id
// (out-of-vocabulary words all read as <unk>: the first is kept), generated in parallel with
// OpenMP when the source allows it.
std::vector<std::vector<Substitution>> substitutions(const AttackState& state,
                                                     const WordCandidates& source,
                                                     const std::vector<int64_t>& positions);

}  // namespace bulwark::attacks::text
