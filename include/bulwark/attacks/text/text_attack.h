#pragma once
// What every token- and character-level attack shares: the constraints, the goal, the batched
// and cached scoring of candidate texts, the per-example driver and the result.
//
// An attack is a recipe (Morris et al. 2020, TextAttack): a candidate source, constraints, an
// importance ranking and a search. Subclasses implement the search (search()); this class
// tokenizes each text, keeps the attacked words' byte spans so edits are written back into the
// original text, and scores candidates in large batches through a Scorer.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <bulwark/attacks/text/victim.h>
#include <bulwark/text/wordnet.h>

namespace bulwark::attacks::text {

// The stopword list shipped with bulwark (attacks/text/stopwords.cpp): English function words,
// never modified when TextConstraints::skip_stopwords is on.
const std::vector<std::string>& default_stopwords();

// Shared by all attacks; every output satisfies all of them.
struct TextConstraints {
  // At most floor(max_change_fraction * words) words change (and at least one), counting the
  // words the model sees (after max_len).
  double max_change_fraction = 0.2;
  // Minimum cosine between the victim's embeddings of the original and the new word; -1 turns
  // it off. When on, it needs a white-box victim, and candidates outside the vocabulary (which
  // the model sees as <unk>) are rejected since they have no embedding of their own.
  double min_cosine = -1.0;
  // At most this many texts scored per example, the first check included; -1: no limit.
  int64_t query_budget = -1;
  bool skip_stopwords = true;
  // The stopwords; empty means default_stopwords().
  std::vector<std::string> stopwords;
  // A word-swap candidate must share a part of speech with the original word when WordNet
  // knows both.
  bool same_pos = true;
};

struct TextAttackOptions {
  TextConstraints constraints;
  bool targeted = false;     // labels are targets: success when the prediction equals them
  int64_t batch_size = 256;  // texts per forward when scoring candidates
  std::optional<uint64_t> seed;  // random choices (e.g. DeepWordBug's edits); default bulwark::default_seed()
};

enum class TextAttackStatus { Success, Failure, Skipped };
std::string to_string(TextAttackStatus status);

struct TextAttackResult {
  TextAttackStatus status = TextAttackStatus::Skipped;
  std::string note;                      // why skipped / failed, e.g. "query budget exhausted"
  std::string original_text, adversarial_text;
  std::vector<std::string> original_words, adversarial_words;  // the words the model sees
  std::vector<int64_t> modified;         // positions in those words that changed, ascending
  std::vector<std::pair<int64_t, int64_t>> modified_spans;  // their [begin, end) in original_text
  int64_t label = 0;                     // true label, or the target when targeted
  int64_t original_prediction = 0, adversarial_prediction = 0;
  std::vector<float> original_probabilities, adversarial_probabilities;
  int64_t queries = 0;                   // texts scored for this example
  int64_t backward_queries = 0;          // texts whose embedding gradient was taken
  int64_t num_words = 0;                 // words the model sees
  bool truncated = false;                // the text had more than max_len words
  int64_t edit_distance = 0;             // characters edited (character-level attacks)
  double seconds = 0.0;
  double perturbed_fraction() const {
    return num_words ? static_cast<double>(modified.size()) / num_words : 0.0;
  }
};

// Per-sequence outcome of scoring, kept in the attack's cache.
struct Scored {
  std::vector<float> probabilities;
  double score = 0.0;  // the goal score: 1 - p[label] untargeted, p[target] targeted
  bool success = false;
  int64_t prediction = 0;
};

// Thrown inside an attack when the query budget is spent; the driver turns it into a Failure.
struct QueryBudgetExhausted {};

// Scores token-id sequences through the victim in batches (sorted by length, each batch padded
// only to its longest sequence), caching identical sequences, and enforcing the query budget.
class Scorer {
 public:
  Scorer(TextVictim& victim, int64_t label, bool targeted, int64_t budget, int64_t batch_size);
  // Pointers stay valid for the scorer's life. Throws QueryBudgetExhausted after scoring what
  // the budget allows.
  std::vector<const Scored*> score(const std::vector<std::vector<int64_t>>& sequences);
  const Scored& score(const std::vector<int64_t>& sequence);
  int64_t queries() const { return queries_; }
  int64_t label() const { return label_; }
  bool targeted() const { return targeted_; }
  TextVictim& victim() { return victim_; }

 private:
  struct Hash {
    size_t operator()(const std::vector<int64_t>& v) const;
  };
  TextVictim& victim_;
  int64_t label_;
  bool targeted_;
  int64_t budget_, batch_size_;
  int64_t queries_ = 0;
  std::unordered_map<std::vector<int64_t>, Scored, Hash> cache_;
};

// A word-level substitution the search may apply: position, new word, its id.
struct Substitution {
  int64_t position = 0;
  std::string word;
  int64_t id = 0;
};

class TextAttack;

// One example under attack: the words the model sees, their ids, what changed so far, and the
// constraints' bookkeeping. Searches read it and call apply().
class AttackState {
 public:
  AttackState(const TextAttack& attack, Scorer& scorer, std::vector<std::string> words,
              std::mt19937_64 rng);

  const std::vector<std::string>& words() const { return words_; }
  const std::vector<int64_t>& ids() const { return ids_; }
  int64_t size() const { return static_cast<int64_t>(ids_.size()); }
  int64_t max_changes() const { return max_changes_; }
  int64_t changes() const { return static_cast<int64_t>(modified_positions_.size()); }
  bool budget_left() const { return changes() < max_changes_; }
  // Not a stopword, not modified yet, and changes left.
  bool modifiable(int64_t position) const;
  // Positions modifiable() allows, ascending.
  std::vector<int64_t> modifiable_positions() const;
  // Whether `word` (id `id`) may replace the word at `position` under the shared constraints:
  // different id, a single token as the tokenizer reads it, embedding cosine, part of speech.
  bool allowed(int64_t position, const std::string& word, int64_t id) const;
  // Cosine of the victim's embeddings of ids a and b (needs a white-box victim).
  double cosine(int64_t a, int64_t b) const;

  // The current ids with one substitution / with `id` at `position` / without `position`.
  std::vector<int64_t> with(int64_t position, int64_t id) const;
  std::vector<int64_t> without(int64_t position) const;
  void apply(const Substitution& s, int64_t edit_distance = 0);

  Scorer& scorer() { return scorer_; }
  const Scored& current() { return scorer_.score(ids_); }
  const Scored& original() const { return *original_; }
  std::mt19937_64& rng() { return rng_; }
  const TextAttack& attack() const { return attack_; }
  const std::vector<int64_t>& modified_positions() const { return modified_positions_; }
  int64_t edit_distance() const { return edit_distance_; }

 private:
  friend class TextAttack;
  const TextAttack& attack_;
  Scorer& scorer_;
  std::vector<std::string> words_;
  std::vector<int64_t> ids_;
  std::vector<bool> modified_;
  std::vector<int64_t> modified_positions_;
  int64_t max_changes_ = 1;
  int64_t edit_distance_ = 0;
  const Scored* original_ = nullptr;
  std::mt19937_64 rng_;
};

class TextAttack {
 public:
  virtual ~TextAttack() = default;

  // Attacks each text. labels: true labels, or targets when targeted. Texts the victim already
  // gets wrong (or, targeted, already puts in the target class), and texts without a token, are
  // Skipped. `progress`, if given, is called after each example with (done, total).
  std::vector<TextAttackResult> run(TextVictim& victim, const std::vector<std::string>& texts,
                                    const std::vector<int64_t>& labels,
                                    const std::function<void(int64_t, int64_t)>& progress = {});
  TextAttackResult attack(TextVictim& victim, const std::string& text, int64_t label,
                          int64_t index = 0);

  const TextAttackOptions& base_options() const { return base_; }
  bool is_stopword(const std::string& word) const { return stopwords_.count(word) > 0; }
  virtual std::string repr() const = 0;
  virtual bool needs_white_box() const { return false; }

  // Set per run: the victim's unit-normalized embedding matrix (V, D) on the CPU (white-box).
  const at::Tensor& normalized_embeddings() const { return normalized_embeddings_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  const Vocabulary& vocabulary() const { return *vocabulary_; }
  const bulwark::text::WordNet& wordnet() const;

 protected:
  explicit TextAttack(TextAttackOptions options, std::string name);
  // Runs the search on `state` until success, exhaustion of the candidates or the constraints;
  // it may throw QueryBudgetExhausted.
  virtual void search(AttackState& state) = 0;
  // Called once per run before the first example (e.g. to cache the embedding matrix).
  virtual void prepare(TextVictim& victim);
  std::string constraints_repr() const;

  TextAttackOptions base_;
  std::string name_;

 private:
  std::unordered_set<std::string> stopwords_;
  at::Tensor normalized_embeddings_;
  const Tokenizer* tokenizer_ = nullptr;
  const Vocabulary* vocabulary_ = nullptr;
};

// --- metrics -----------------------------------------------------------------------------------

struct TextAttackSummary {
  int64_t examples = 0, successes = 0, failures = 0, skipped = 0;
  double original_accuracy = 0.0;      // (successes + failures) / examples (untargeted)
  double accuracy_under_attack = 0.0;  // failures / examples
  double success_rate = 0.0;           // successes / (successes + failures)
  double mean_perturbed_percent = 0.0; // % of words changed, over successes
  double mean_queries = 0.0;           // over successes and failures
  double seconds_per_example = 0.0;    // over successes and failures
  // success_curve[i]: fraction of attacked examples (successes + failures) that succeeded
  // within budgets[i] queries.
  std::vector<int64_t> budgets;
  std::vector<double> success_curve;
};

// Budgets: the given ones, or 1, 2, 5, 10, 20, 50, ... up to the largest query count.
TextAttackSummary summarize(const std::vector<TextAttackResult>& results,
                            std::vector<int64_t> budgets = {});

// --- edits as data -----------------------------------------------------------------------------
// The edits travel as spans end to end (results, results.json, the report); every renderer
// reads the spans, none parses a marked-up string, so a text may contain anything.

// One edit: bytes [begin, end) of a text (UTF-8) held `before`, and `after` replaced it.
struct TextEdit {
  int64_t word = 0;  // the position in original_words / adversarial_words
  int64_t begin = 0, end = 0;
  std::string before, after;
};

// The result's edits, ascending, with begin/end into original_text.
std::vector<TextEdit> text_edits(const TextAttackResult& result);

// A piece of the original text around the first edits, for a report: from `context` bytes
// before the first edit, about `length` bytes long, never cutting an edit or a UTF-8 character.
struct TextExcerpt {
  std::string text;                  // original_text[offset, offset + text.size())
  int64_t offset = 0;
  bool cut_start = false, cut_end = false;  // text was left out before / after it
  std::vector<TextEdit> edits;       // the edits inside it, begin/end relative to text
};
TextExcerpt text_excerpt(const TextAttackResult& result, int64_t context = 250, int64_t length = 800);

// `text` with each edit marked: "plain" ([[old -> new]], for reading only: nothing parses it),
// "terminal" (ANSI colours, old struck red, new green; the text's own control characters shown
// as \xNN so it cannot drive the terminal), "html" (<del>/<ins>, everything escaped) or
// "markdown" (~~old~~ **new**, Markdown and HTML characters escaped).
std::string render_edits(const std::string& text, const std::vector<TextEdit>& edits,
                         const std::string& format = "plain");
std::string render_edits(const TextAttackResult& result, const std::string& format = "plain");

}  // namespace bulwark::attacks::text
