#include <bulwark/attacks/text/text_attack.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/random.h>

namespace bulwark::attacks::text {

std::string to_string(TextAttackStatus status) {
  switch (status) {
    case TextAttackStatus::Success: return "success";
    case TextAttackStatus::Failure: return "failure";
    case TextAttackStatus::Skipped: return "skipped";
  }
  return "?";
}

// --- Scorer ------------------------------------------------------------------------------------

size_t Scorer::Hash::operator()(const std::vector<int64_t>& v) const {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a over the ids
  for (int64_t x : v) {
    h ^= static_cast<uint64_t>(x);
    h *= 1099511628211ULL;
  }
  return static_cast<size_t>(h);
}

Scorer::Scorer(TextVictim& victim, int64_t label, bool targeted, int64_t budget, int64_t batch_size)
    : victim_(victim), label_(label), targeted_(targeted), budget_(budget),
      batch_size_(batch_size) {}

const Scored& Scorer::score(const std::vector<int64_t>& sequence) {
  return *score(std::vector<std::vector<int64_t>>{sequence}).front();
}

std::vector<const Scored*> Scorer::score(const std::vector<std::vector<int64_t>>& sequences) {
  // The sequences not seen before, each once, sorted by length so batches pad little.
  std::vector<const std::vector<int64_t>*> todo;
  {
    std::unordered_set<std::vector<int64_t>, Hash> pending;
    for (const auto& s : sequences) {
      if (!cache_.count(s) && pending.insert(s).second) todo.push_back(&s);
    }
  }
  bool exhausted = false;
  if (budget_ >= 0 && queries_ + static_cast<int64_t>(todo.size()) > budget_) {
    todo.resize(static_cast<size_t>(std::max<int64_t>(0, budget_ - queries_)));
    exhausted = true;
  }
  std::stable_sort(todo.begin(), todo.end(),
                   [](const auto* a, const auto* b) { return a->size() < b->size(); });
  for (size_t start = 0; start < todo.size(); start += static_cast<size_t>(batch_size_)) {
    const size_t end = std::min(todo.size(), start + static_cast<size_t>(batch_size_));
    int64_t len = 1;
    for (size_t i = start; i < end; ++i) len = std::max<int64_t>(len, todo[i]->size());
    at::Tensor ids = at::zeros({static_cast<int64_t>(end - start), len}, at::kLong);
    auto acc = ids.accessor<int64_t, 2>();
    for (size_t i = start; i < end; ++i) {
      const auto& s = *todo[i];
      for (size_t j = 0; j < s.size(); ++j) acc[i - start][j] = s[j];
    }
    at::Tensor probs = at::softmax(victim_.logits(ids).to(at::kCPU, at::kFloat), 1).contiguous();
    BULWARK_CHECK(label_ < probs.size(1), "TextAttack: label ", label_, " is not a class of a ",
                  probs.size(1), "-class victim");
    const int64_t k = probs.size(1);
    const float* p = probs.data_ptr<float>();
    for (size_t i = start; i < end; ++i) {
      Scored s;
      s.probabilities.assign(p + (i - start) * k, p + (i - start + 1) * k);
      s.prediction = std::max_element(s.probabilities.begin(), s.probabilities.end()) -
                     s.probabilities.begin();
      s.score = targeted_ ? s.probabilities[label_] : 1.0 - s.probabilities[label_];
      s.success = targeted_ ? s.prediction == label_ : s.prediction != label_;
      cache_.emplace(*todo[i], std::move(s));
    }
    queries_ += static_cast<int64_t>(end - start);
  }
  if (exhausted) throw QueryBudgetExhausted{};
  std::vector<const Scored*> out;
  out.reserve(sequences.size());
  for (const auto& s : sequences) out.push_back(&cache_.at(s));
  return out;
}

// --- AttackState -------------------------------------------------------------------------------

AttackState::AttackState(const TextAttack& attack, Scorer& scorer, std::vector<std::string> words,
                         std::mt19937_64 rng)
    : attack_(attack), scorer_(scorer), words_(std::move(words)), rng_(rng) {
  ids_ = attack.vocabulary().encode(words_);
  modified_.assign(words_.size(), false);
  const double fraction = attack.base_options().constraints.max_change_fraction;
  max_changes_ = std::max<int64_t>(
      1, static_cast<int64_t>(std::floor(fraction * static_cast<double>(words_.size()) + 1e-9)));
}

bool AttackState::modifiable(int64_t position) const {
  return position >= 0 && position < size() && !modified_[position] && budget_left() &&
         !(attack_.base_options().constraints.skip_stopwords && attack_.is_stopword(words_[position]));
}

std::vector<int64_t> AttackState::modifiable_positions() const {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < size(); ++i) {
    if (modifiable(i)) out.push_back(i);
  }
  return out;
}

double AttackState::cosine(int64_t a, int64_t b) const {
  const at::Tensor& e = attack_.normalized_embeddings();
  BULWARK_ASSERT(e.defined());
  const int64_t d = e.size(1);
  const float* pa = e.data_ptr<float>() + a * d;
  const float* pb = e.data_ptr<float>() + b * d;
  double dot = 0.0;
  for (int64_t i = 0; i < d; ++i) dot += static_cast<double>(pa[i]) * pb[i];
  return dot;
}

bool AttackState::allowed(int64_t position, const std::string& word, int64_t id) const {
  if (id == ids_[position] || word == words_[position] || word.empty()) return false;
  // The edit must read back as exactly this one token.
  const auto tokens = attack_.tokenizer().tokenize(word);
  if (tokens.size() != 1 || tokens.front() != word) return false;
  const TextConstraints& c = attack_.base_options().constraints;
  if (c.min_cosine > -1.0) {
    if (id == Vocabulary::kUnk || ids_[position] == Vocabulary::kUnk) return false;
    if (cosine(ids_[position], id) < c.min_cosine) return false;
  }
  if (c.same_pos) {
    const auto& wn = attack_.wordnet();
    const auto a = wn.parts_of_speech(words_[position]);
    if (!a.empty()) {
      const auto b = wn.parts_of_speech(word);
      if (!b.empty() && std::none_of(a.begin(), a.end(), [&](auto p) {
            return std::find(b.begin(), b.end(), p) != b.end();
          })) {
        return false;
      }
    }
  }
  return true;
}

std::vector<int64_t> AttackState::with(int64_t position, int64_t id) const {
  std::vector<int64_t> out = ids_;
  out[position] = id;
  return out;
}

std::vector<int64_t> AttackState::without(int64_t position) const {
  std::vector<int64_t> out;
  out.reserve(ids_.size());
  for (int64_t i = 0; i < size(); ++i) {
    if (i != position) out.push_back(ids_[i]);
  }
  return out;
}

void AttackState::apply(const Substitution& s, int64_t edit_distance) {
  BULWARK_ASSERT(modifiable(s.position));
  words_[s.position] = s.word;
  ids_[s.position] = s.id;
  modified_[s.position] = true;
  modified_positions_.push_back(s.position);
  edit_distance_ += edit_distance;
}

// --- TextAttack --------------------------------------------------------------------------------

TextAttack::TextAttack(TextAttackOptions options, std::string name)
    : base_(std::move(options)), name_(std::move(name)) {
  if (!base_.seed) base_.seed = default_seed();
  const TextConstraints& c = base_.constraints;
  BULWARK_CHECK(c.max_change_fraction > 0.0 && c.max_change_fraction <= 1.0, name_,
                ": max_change_fraction must be in (0, 1], got ", c.max_change_fraction);
  BULWARK_CHECK(c.min_cosine >= -1.0 && c.min_cosine <= 1.0, name_,
                ": min_cosine must be in [-1, 1] (-1: off), got ", c.min_cosine);
  BULWARK_CHECK(c.query_budget == -1 || c.query_budget >= 1, name_,
                ": query_budget must be >= 1, or -1 (None) for no limit, got ", c.query_budget);
  BULWARK_CHECK(base_.batch_size >= 1, name_, ": batch_size must be >= 1, got ", base_.batch_size);
  for (const auto& w : c.stopwords.empty() ? default_stopwords() : c.stopwords) stopwords_.insert(w);
}

const bulwark::text::WordNet& TextAttack::wordnet() const { return bulwark::text::WordNet::load(); }

void TextAttack::prepare(TextVictim& victim) {
  tokenizer_ = &victim.tokenizer();
  vocabulary_ = &victim.vocabulary();
  normalized_embeddings_ = at::Tensor();
  BULWARK_CHECK(!needs_white_box() || victim.white_box(), name_,
                ": needs a white-box victim (embedding matrix and gradients), got ", victim.repr());
  const bool want_cosine = base_.constraints.min_cosine > -1.0;
  BULWARK_CHECK(!want_cosine || victim.white_box(), name_,
                ": min_cosine needs the victim's embeddings, but the victim is black-box; set "
                "min_cosine=-1 (off)");
  if (victim.white_box()) {
    at::NoGradGuard no_grad;
    at::Tensor e = victim.embedding_matrix().detach().to(at::kCPU, at::kFloat);
    normalized_embeddings_ = (e / e.norm(2, 1, true).clamp_min(1e-12)).contiguous();
  }
  if (base_.constraints.same_pos) wordnet();  // parse once, outside the timed examples
}

std::vector<TextAttackResult> TextAttack::run(
    TextVictim& victim, const std::vector<std::string>& texts, const std::vector<int64_t>& labels,
    const std::function<void(int64_t, int64_t)>& progress) {
  BULWARK_CHECK_SHAPE(texts.size() == labels.size(), name_, ": got ", texts.size(), " texts but ",
                      labels.size(), " labels");
  prepare(victim);
  std::vector<TextAttackResult> out;
  out.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    out.push_back(attack(victim, texts[i], labels[i], static_cast<int64_t>(i)));
    if (progress) progress(static_cast<int64_t>(i + 1), static_cast<int64_t>(texts.size()));
  }
  return out;
}

TextAttackResult TextAttack::attack(TextVictim& victim, const std::string& text, int64_t label,
                                    int64_t index) {
  if (tokenizer_ != &victim.tokenizer()) prepare(victim);
  BULWARK_CHECK(label >= 0, name_, ": labels must be >= 0, got ", label, " at index ", index);
  const auto start = std::chrono::steady_clock::now();
  TextAttackResult r;
  r.label = label;
  r.original_text = text;
  r.adversarial_text = text;
  const auto spans = victim.tokenizer().tokenize_spans(text);
  const auto seen = std::min<size_t>(spans.size(), static_cast<size_t>(victim.max_len()));
  r.truncated = spans.size() > seen;
  r.num_words = static_cast<int64_t>(seen);
  for (size_t i = 0; i < seen; ++i) r.original_words.push_back(spans[i].token);
  r.adversarial_words = r.original_words;
  if (seen == 0) {
    r.note = "no tokens";
    return r;
  }
  Scorer scorer(victim, label, base_.targeted, base_.constraints.query_budget, base_.batch_size);
  std::mt19937_64 rng(derive_seed(*base_.seed, static_cast<uint64_t>(index)));
  AttackState state(*this, scorer, r.original_words, rng);
  const Scored& first = scorer.score(state.ids());
  state.original_ = &first;
  r.original_prediction = r.adversarial_prediction = first.prediction;
  r.original_probabilities = r.adversarial_probabilities = first.probabilities;
  const QueryMeter meter;  // this call's gradient queries, whatever other threads ask the victim
  if (first.success) {
    r.note = base_.targeted ? "already in the target class" : "misclassified before the attack";
  } else {
    r.status = TextAttackStatus::Failure;
    try {
      search(state);
    } catch (const QueryBudgetExhausted&) {
      r.note = "query budget exhausted";
    }
    // The search leaves the state at its best text; a budget stop may leave it unscored.
    const Scored* final_score = nullptr;
    try {
      final_score = &scorer.score(state.ids());
    } catch (const QueryBudgetExhausted&) {
    }
    if (final_score != nullptr) {
      r.adversarial_prediction = final_score->prediction;
      r.adversarial_probabilities = final_score->probabilities;
      if (final_score->success) {
        r.status = TextAttackStatus::Success;
        r.note.clear();
      }
    }
    if (r.status == TextAttackStatus::Success) {
      r.adversarial_words = state.words();
      r.modified = state.modified_positions();
      std::sort(r.modified.begin(), r.modified.end());
      r.edit_distance = state.edit_distance();
      // Write the edits back into the text, from the end so earlier offsets stay valid.
      std::string adv = text;
      for (auto it = r.modified.rbegin(); it != r.modified.rend(); ++it) {
        const auto& sp = spans[static_cast<size_t>(*it)];
        std::string word = state.words()[static_cast<size_t>(*it)];
        const std::string orig = text.substr(sp.begin, sp.end - sp.begin);
        const bool all_upper = orig.size() > 1 && std::all_of(orig.begin(), orig.end(), [](char c) {
          return !std::isalpha(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c));
        });
        if (all_upper) {
          for (auto& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        } else if (std::isupper(static_cast<unsigned char>(orig[0]))) {
          word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
        }
        adv.replace(sp.begin, sp.end - sp.begin, word);
      }
      r.adversarial_text = std::move(adv);
      for (int64_t p : r.modified) {
        r.modified_spans.emplace_back(static_cast<int64_t>(spans[p].begin),
                                      static_cast<int64_t>(spans[p].end));
      }
    } else if (r.note.empty()) {
      r.note = "no successful edit within the constraints";
    }
  }
  r.queries = scorer.queries();
  r.backward_queries = meter.counts().backward_samples;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::string TextAttack::constraints_repr() const {
  const TextConstraints& c = base_.constraints;
  std::string s = "max_change_fraction=" + std::to_string(c.max_change_fraction);
  if (c.min_cosine > -1.0) s += ", min_cosine=" + std::to_string(c.min_cosine);
  s += ", query_budget=" + (c.query_budget < 0 ? std::string("None") : std::to_string(c.query_budget));
  s += std::string(", skip_stopwords=") + (c.skip_stopwords ? "True" : "False");
  s += std::string(", same_pos=") + (c.same_pos ? "True" : "False");
  s += std::string(", targeted=") + (base_.targeted ? "True" : "False");
  return s;
}

// --- metrics -----------------------------------------------------------------------------------

TextAttackSummary summarize(const std::vector<TextAttackResult>& results,
                            std::vector<int64_t> budgets) {
  for (const int64_t b : budgets) {
    BULWARK_CHECK(b >= 1, "summarize: budgets must be >= 1, got ", b);
  }
  TextAttackSummary s;
  s.examples = static_cast<int64_t>(results.size());
  double perturbed = 0.0, queries = 0.0, seconds = 0.0;
  int64_t max_queries = 1;
  for (const auto& r : results) {
    switch (r.status) {
      case TextAttackStatus::Success:
        ++s.successes;
        perturbed += 100.0 * r.perturbed_fraction();
        break;
      case TextAttackStatus::Failure: ++s.failures; break;
      case TextAttackStatus::Skipped: ++s.skipped; continue;
    }
    queries += static_cast<double>(r.queries);
    seconds += r.seconds;
    max_queries = std::max(max_queries, r.queries);
  }
  const int64_t attacked = s.successes + s.failures;
  if (s.examples > 0) {
    s.original_accuracy = static_cast<double>(attacked) / s.examples;
    s.accuracy_under_attack = static_cast<double>(s.failures) / s.examples;
  }
  if (attacked > 0) {
    s.success_rate = static_cast<double>(s.successes) / attacked;
    s.mean_queries = queries / attacked;
    s.seconds_per_example = seconds / attacked;
  }
  if (s.successes > 0) s.mean_perturbed_percent = perturbed / s.successes;
  if (budgets.empty()) {
    for (int64_t scale = 1; budgets.empty() || budgets.back() < max_queries; scale *= 10) {
      for (int64_t m : {1, 2, 5}) {
        if (budgets.empty() || budgets.back() < max_queries) budgets.push_back(m * scale);
      }
    }
  }
  std::sort(budgets.begin(), budgets.end());
  for (int64_t b : budgets) {
    int64_t within = 0;
    for (const auto& r : results) within += r.status == TextAttackStatus::Success && r.queries <= b;
    s.success_curve.push_back(attacked ? static_cast<double>(within) / attacked : 0.0);
  }
  s.budgets = std::move(budgets);
  return s;
}

std::vector<TextEdit> text_edits(const TextAttackResult& r) {
  BULWARK_CHECK_AS(Error, r.modified.size() == r.modified_spans.size(),
                   "text_edits: the result has ", r.modified.size(), " modified words but ", r.modified_spans.size(),
                   " spans");
  std::vector<TextEdit> out;
  out.reserve(r.modified.size());
  for (size_t k = 0; k < r.modified.size(); ++k) {
    const auto [begin, end] = r.modified_spans[k];
    const auto word = static_cast<size_t>(r.modified[k]);
    out.push_back({r.modified[k], begin, end, r.original_text.substr(static_cast<size_t>(begin), static_cast<size_t>(end - begin)),
                   r.adversarial_words.at(word)});
  }
  return out;
}

namespace {
// The nearest UTF-8 character boundary at or before byte `at` of `s`.
size_t char_boundary(const std::string& s, size_t at) {
  at = std::min(at, s.size());
  while (at > 0 && at < s.size() && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80) --at;
  return at;
}
}  // namespace

TextExcerpt text_excerpt(const TextAttackResult& r, int64_t context, int64_t length) {
  BULWARK_CHECK(context >= 0, "text_excerpt: context must be >= 0, got ", context);
  BULWARK_CHECK(length >= 1, "text_excerpt: length must be >= 1, got ", length);
  const std::string& text = r.original_text;
  const std::vector<TextEdit> edits = text_edits(r);
  const size_t first = edits.empty() ? 0 : static_cast<size_t>(edits.front().begin);
  size_t start = char_boundary(text, first > static_cast<size_t>(context) ? first - static_cast<size_t>(context) : 0);
  size_t end = char_boundary(text, start + static_cast<size_t>(length));
  if (!edits.empty()) end = std::max(end, static_cast<size_t>(edits.front().end));  // the first edit, always
  for (const TextEdit& e : edits) {  // an edit the end falls into is kept whole
    if (static_cast<size_t>(e.begin) < end && static_cast<size_t>(e.end) > end) end = static_cast<size_t>(e.end);
  }
  TextExcerpt x;
  x.text = text.substr(start, end - start);
  x.offset = static_cast<int64_t>(start);
  x.cut_start = start > 0;
  x.cut_end = end < text.size();
  for (TextEdit e : edits) {
    if (static_cast<size_t>(e.begin) < start || static_cast<size_t>(e.end) > end) continue;
    e.begin -= x.offset;
    e.end -= x.offset;
    x.edits.push_back(std::move(e));
  }
  return x;
}

namespace {
std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// Control characters (ESC above all) as visible \xNN, so a text cannot move the cursor or
// change colours; newlines and tabs stay.
std::string terminal_escape(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\t') || u == 0x7f) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

// Markdown on one line: whitespace runs as one space, every character with a meaning in
// Markdown or HTML escaped (a backslash, or an entity for & so "&amp;" stays literal), other
// control characters as \xNN.
std::string markdown_escape(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      space = true;
      continue;
    }
    if (space) out += ' ';
    space = false;
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += terminal_escape(std::string(1, c));
    } else if (c == '&') {
      out += "&amp;";
    } else if (std::strchr("\\`*_{}[]()<>#+-.!|~", c) != nullptr) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  if (space) out += ' ';
  return out;
}
}  // namespace

std::string render_edits(const std::string& text, const std::vector<TextEdit>& edits, const std::string& format) {
  BULWARK_CHECK(format == "plain" || format == "terminal" || format == "html" || format == "markdown",
                "render_edits: format must be 'plain', 'terminal', 'html' or 'markdown', got '", format, "'");
  auto escape = [&](const std::string& t) {
    if (format == "html") return html_escape(t);
    if (format == "terminal") return terminal_escape(t);
    if (format == "markdown") return markdown_escape(t);
    return t;
  };
  std::string out;
  size_t at = 0;
  for (const TextEdit& e : edits) {
    BULWARK_CHECK(e.begin >= static_cast<int64_t>(at) && e.begin <= e.end && e.end <= static_cast<int64_t>(text.size()),
                  "render_edits: edits must be ascending, apart and inside the text (", text.size(),
                  " bytes), got [", e.begin, ", ", e.end, ")");
    out += escape(text.substr(at, static_cast<size_t>(e.begin) - at));
    if (format == "plain") {
      out += "[[" + e.before + " -> " + e.after + "]]";
    } else if (format == "terminal") {
      out += "\033[9;31m" + escape(e.before) + "\033[0m \033[1;32m" + escape(e.after) + "\033[0m";
    } else if (format == "html") {
      out += "<del style=\"color:#b00\">" + escape(e.before) + "</del> <ins style=\"color:#070\">" + escape(e.after) +
             "</ins>";
    } else {
      const std::string before = escape(e.before), after = escape(e.after);
      if (!before.empty()) out += "~~" + before + "~~";
      if (!before.empty() && !after.empty()) out += ' ';
      if (!after.empty()) out += "**" + after + "**";
    }
    at = static_cast<size_t>(e.end);
  }
  out += escape(text.substr(at));
  return out;
}

std::string render_edits(const TextAttackResult& r, const std::string& format) {
  return render_edits(r.original_text, text_edits(r), format);
}

}  // namespace bulwark::attacks::text
