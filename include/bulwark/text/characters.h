#pragma once
// Characters as a reader sees them, for character-level text attacks: a UTF-8 string split into
// clusters, each a code point with what attaches to it — combining marks (accents written as
// separate code points, Arabic and Hebrew vowel signs, Indic vowel signs and viramas), variation
// selectors, emoji skin-tone modifiers, and code points joined by a zero-width joiner (emoji
// sequences such as a family). An approximation of Unicode's extended grapheme clusters
// (UAX #29) without its Hangul-jamo and regional-indicator rules; an edit that works on these
// clusters never splits an accent from its letter or produces invalid UTF-8.

#include <string>
#include <vector>

namespace bulwark::text {

// The clusters of `utf8`, in order; joined they give `utf8` back. A byte that does not start a
// well-formed UTF-8 sequence (text in another encoding) is a character of its own, so no input
// makes this fail.
std::vector<std::string> characters(const std::string& utf8);

// Whether `code_point` attaches to the code point before it (the rule above).
bool attaches(char32_t code_point);

}  // namespace bulwark::text
