#include <bulwark/text/wordnet.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include <bulwark/core/error.h>

namespace bulwark::text {

namespace {

constexpr POS kAll[] = {POS::Noun, POS::Verb, POS::Adjective, POS::Adverb};
const char* file_suffix(POS p) {
  switch (p) {
    case POS::Noun: return "noun";
    case POS::Verb: return "verb";
    case POS::Adjective: return "adj";
    case POS::Adverb: return "adv";
  }
  return "";
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Whitespace-separated fields of a line.
std::vector<std::string_view> fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\r') ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool all_of(std::string_view s, int (*pred)(int)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) { return pred(static_cast<unsigned char>(c)) != 0; });
}

// The detachment rules of WordNet's morphy (morph.c): suffix -> ending, per part of speech.
const std::vector<std::pair<std::string, std::string>>& rules(POS p) {
  static const std::vector<std::pair<std::string, std::string>> noun = {
      {"s", ""}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"},
      {"men", "man"}, {"ies", "y"}};
  static const std::vector<std::pair<std::string, std::string>> verb = {
      {"s", ""}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""}, {"ing", "e"},
      {"ing", ""}};
  static const std::vector<std::pair<std::string, std::string>> adj = {
      {"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}};
  static const std::vector<std::pair<std::string, std::string>> none;
  switch (p) {
    case POS::Noun: return noun;
    case POS::Verb: return verb;
    case POS::Adjective: return adj;
    case POS::Adverb: return none;
  }
  return none;
}

}  // namespace

POS parse_pos(std::string_view name) {
  if (name == "n" || name == "noun") return POS::Noun;
  if (name == "v" || name == "verb") return POS::Verb;
  if (name == "a" || name == "s" || name == "adj" || name == "adjective") return POS::Adjective;
  if (name == "r" || name == "adv" || name == "adverb") return POS::Adverb;
  throw InvalidArgument(detail::str("pos must be one of 'n', 'v', 'a', 'r', got '",
                                    std::string(name), "'"));
}

std::string to_string(POS pos) {
  switch (pos) {
    case POS::Noun: return "n";
    case POS::Verb: return "v";
    case POS::Adjective: return "a";
    case POS::Adverb: return "r";
  }
  return "";
}

SynsetLine parse_synset_line(std::string_view line) {
  const auto f = fields(line.substr(0, line.find('|')));
  auto bad = [&](const std::string& what) {
    return FormatError(detail::str("WordNet: malformed synset line (", what, "): '",
                                   std::string(line.substr(0, 80)), "'"));
  };
  if (f.size() < 6) throw bad("fewer than 6 fields");
  SynsetLine out;
  if (f[0].size() != 8 || !all_of(f[0], ::isdigit)) throw bad("offset is not 8 digits");
  out.offset = std::strtoll(std::string(f[0]).c_str(), nullptr, 10);
  if (!all_of(f[1], ::isdigit)) throw bad("lex_filenum is not a number");
  if (f[2].size() != 1 || std::string_view("nvasr").find(f[2][0]) == std::string_view::npos) {
    throw bad("ss_type is not one of n v a s r");
  }
  out.ss_type = f[2][0];
  if (f[3].size() != 2 || !all_of(f[3], ::isxdigit)) throw bad("w_cnt is not two hex digits");
  const long w_cnt = std::strtol(std::string(f[3]).c_str(), nullptr, 16);
  if (w_cnt < 1) throw bad("w_cnt is 0");
  size_t i = 4;
  for (long w = 0; w < w_cnt; ++w, i += 2) {
    if (i + 1 >= f.size()) throw bad("fewer words than w_cnt");
    std::string word = lower(std::string(f[i]));
    if (const size_t paren = word.find('('); paren != std::string::npos && word.back() == ')') {
      word.erase(paren);  // adjective position markers: (a), (p), (ip)
    }
    if (word.empty()) throw bad("an empty word");
    if (!all_of(f[i + 1], ::isxdigit)) throw bad("lex_id is not hex");
    out.words.push_back(std::move(word));
  }
  if (i >= f.size() || !all_of(f[i], ::isdigit)) throw bad("p_cnt missing or not a number");
  const long p_cnt = std::strtol(std::string(f[i]).c_str(), nullptr, 10);
  if (p_cnt < 0 || i + 1 + static_cast<size_t>(p_cnt) * 4 > f.size()) {
    throw bad("fewer pointers than p_cnt");
  }
  return out;
}

std::string WordNet::default_dir() {
  const char* env = std::getenv("BULWARK_WORDNET_DIR");
  return env != nullptr && *env != '\0' ? env : "/usr/share/wordnet";
}

const WordNet& WordNet::load(const std::string& dir_arg) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<WordNet>> cache;
  const std::string dir = dir_arg.empty() ? default_dir() : dir_arg;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = cache[dir];
  if (!slot) slot = std::make_unique<WordNet>(dir);
  return *slot;
}

WordNet::WordNet(const std::string& dir) {
  namespace fs = std::filesystem;
  for (POS p : kAll) {
    const fs::path data = fs::path(dir) / (std::string("data.") + file_suffix(p));
    BULWARK_CHECK_AS(FileError, fs::is_regular_file(data), "WordNet: '", data.string(),
                     "' not found; install Debian's wordnet-base or set BULWARK_WORDNET_DIR");
    std::ifstream in(data, std::ios::binary);
    std::string line;
    int64_t number = 0;
    PerPOS& per = pos_[static_cast<int>(p)];
    while (std::getline(in, line)) {
      ++number;
      if (line.empty() || line[0] == ' ') continue;  // the license header
      SynsetLine s;
      try {
        s = parse_synset_line(line);
      } catch (const FormatError& e) {
        throw FormatError(detail::str(data.string(), " line ", number, ": ", e.what()));
      }
      const auto id = static_cast<int32_t>(synsets_.size());
      for (const auto& w : s.words) {
        auto& list = per.lemma_synsets[w];
        if (list.empty() || list.back() != id) list.push_back(id);
      }
      synsets_.push_back(std::move(s.words));
    }
    const fs::path exc = fs::path(dir) / (std::string(file_suffix(p)) + ".exc");
    std::ifstream ex(exc, std::ios::binary);  // optional: adverbs have almost none
    while (std::getline(ex, line)) {
      const auto f = fields(line);
      if (f.size() < 2) continue;
      auto& bases = per.exceptions[lower(std::string(f[0]))];
      for (size_t k = 1; k < f.size(); ++k) bases.push_back(lower(std::string(f[k])));
    }
  }
}

bool WordNet::contains(const std::string& lemma, POS pos) const {
  return pos_[static_cast<int>(pos)].lemma_synsets.count(lemma) > 0;
}

std::vector<std::string> WordNet::base_forms(const std::string& word_in, POS pos) const {
  const std::string word = lower(word_in);
  const PerPOS& per = pos_[static_cast<int>(pos)];
  std::vector<std::string> out;
  auto add = [&](const std::string& w) {
    if (contains(w, pos) && std::find(out.begin(), out.end(), w) == out.end()) out.push_back(w);
  };
  add(word);
  if (auto it = per.exceptions.find(word); it != per.exceptions.end()) {
    for (const auto& b : it->second) add(b);
  }
  for (const auto& [suffix, ending] : rules(pos)) {
    if (word.size() > suffix.size() &&
        word.compare(word.size() - suffix.size(), suffix.size(), suffix) == 0) {
      add(word.substr(0, word.size() - suffix.size()) + ending);
    }
  }
  return out;
}

std::vector<std::string> WordNet::synonyms(const std::string& word_in,
                                           std::optional<POS> pos) const {
  const std::string word = lower(word_in);
  std::set<std::string> out, self{word};
  for (POS p : kAll) {
    if (pos && *pos != p) continue;
    for (const auto& base : base_forms(word, p)) {
      self.insert(base);
      for (int32_t id : pos_[static_cast<int>(p)].lemma_synsets.at(base)) {
        out.insert(synsets_[static_cast<size_t>(id)].begin(), synsets_[static_cast<size_t>(id)].end());
      }
    }
  }
  std::vector<std::string> result;
  for (const auto& w : out) {
    if (!self.count(w)) result.push_back(w);
  }
  return result;
}

std::vector<POS> WordNet::parts_of_speech(const std::string& word) const {
  std::vector<POS> out;
  for (POS p : kAll) {
    if (!base_forms(word, p).empty()) out.push_back(p);
  }
  return out;
}

}  // namespace bulwark::text
