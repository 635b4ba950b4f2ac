#pragma once
// WordNet 3.0 (Miller 1995; Fellbaum 1998) from Debian's wordnet-base: synonyms by part of
// speech, with morphological base forms as WordNet's morphy finds them.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bulwark::text {

enum class POS { Noun, Verb, Adjective, Adverb };

// "n" | "v" | "a" (also "s", satellite adjectives) | "r". Throws InvalidArgument otherwise.
POS parse_pos(std::string_view name);
std::string to_string(POS pos);

// One synset line of a data.<pos> file, e.g.
// "00001740 29 v 04 breathe 0 take_a_breath 0 ... 021 * 00005041 v 0000 ... | gloss".
struct SynsetLine {
  int64_t offset = 0;
  char ss_type = 'n';               // n, v, a, s, r
  std::vector<std::string> words;   // lower-case, '_' kept, adjective markers like "(a)" removed
};
// Throws FormatError naming what is wrong if the line is malformed.
SynsetLine parse_synset_line(std::string_view line);

class WordNet {
 public:
  // $BULWARK_WORDNET_DIR, else /usr/share/wordnet.
  static std::string default_dir();
  // Parsed once per directory and kept for the life of the process (thread-safe).
  static const WordNet& load(const std::string& dir = "");
  // Parses dir/data.{noun,verb,adj,adv} and dir/{noun,verb,adj,adv}.exc (FileError if missing,
  // FormatError naming the file and line if malformed).
  explicit WordNet(const std::string& dir);

  // Lemmas that share a synset with `word` or one of its base forms, in the given part of speech
  // (all four when none is given): lower-case, multiword lemmas with '_' (e.g. "take_a_breath"),
  // sorted, without `word` itself and its base forms.
  std::vector<std::string> synonyms(const std::string& word, std::optional<POS> pos = {}) const;
  // morphy: the base forms of `word` that WordNet knows as lemmas of `pos`: exception-list
  // entries, then the detachment rules (e.g. "ies" -> "y"); `word` itself first if it is a lemma.
  std::vector<std::string> base_forms(const std::string& word, POS pos) const;
  // The parts of speech `word` (or a base form of it) has.
  std::vector<POS> parts_of_speech(const std::string& word) const;
  bool contains(const std::string& lemma, POS pos) const;
  size_t synset_count() const { return synsets_.size(); }

 private:
  struct PerPOS {
    std::unordered_map<std::string, std::vector<int32_t>> lemma_synsets;  // lemma -> synsets
    std::unordered_map<std::string, std::vector<std::string>> exceptions; // inflected -> bases
  };
  std::vector<std::vector<std::string>> synsets_;  // words of each synset
  PerPOS pos_[4];
};

}  // namespace bulwark::text
