#include <bulwark/text/characters.h>

#include <utility>

namespace bulwark::text {

namespace {
constexpr char32_t kZeroWidthJoiner = 0x200D;

// The code point at s[i] and its length in bytes; a malformed sequence (overlong, surrogate,
// beyond U+10FFFF, cut short) reads as the single byte s[i], length 1, code point U+FFFD.
std::pair<char32_t, size_t> code_point_at(const std::string& s, size_t i) {
  constexpr std::pair<char32_t, size_t> kInvalid{0xFFFD, 1};
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  size_t len = 0;
  char32_t cp = 0;
  if (b0 < 0x80) return {b0, 1};
  if ((b0 & 0xE0) == 0xC0) len = 2, cp = b0 & 0x1F;
  else if ((b0 & 0xF0) == 0xE0) len = 3, cp = b0 & 0x0F;
  else if ((b0 & 0xF8) == 0xF0) len = 4, cp = b0 & 0x07;
  else return kInvalid;
  if (i + len > s.size()) return kInvalid;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return kInvalid;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr char32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kInvalid;
  return {cp, len};
}
}  // namespace

bool attaches(char32_t c) {
  struct Range {
    char32_t lo, hi;
  };
  // Combining marks (general categories Mn, Mc, Me) of the scripts most text is written in, the
  // joiners and the modifiers.
  static constexpr Range kRanges[] = {
      {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x05BF, 0x05BF}, {0x05C1, 0x05C2},
      {0x05C4, 0x05C5}, {0x05C7, 0x05C7}, {0x0610, 0x061A}, {0x064B, 0x065F}, {0x0670, 0x0670},
      {0x06D6, 0x06DC}, {0x06DF, 0x06E4}, {0x06E7, 0x06E8}, {0x06EA, 0x06ED}, {0x0711, 0x0711},
      {0x0730, 0x074A}, {0x0900, 0x0903}, {0x093A, 0x093C}, {0x093E, 0x094F}, {0x0951, 0x0957},
      {0x0962, 0x0963}, {0x0981, 0x0983}, {0x09BC, 0x09BC}, {0x09BE, 0x09CD}, {0x09D7, 0x09D7},
      {0x0A01, 0x0A03}, {0x0A3C, 0x0A51}, {0x0A81, 0x0A83}, {0x0ABC, 0x0ACD}, {0x0B01, 0x0B03},
      {0x0B3C, 0x0B57}, {0x0B82, 0x0B82}, {0x0BBE, 0x0BCD}, {0x0C00, 0x0C04}, {0x0C3E, 0x0C56},
      {0x0C81, 0x0C83}, {0x0CBC, 0x0CD6}, {0x0D00, 0x0D03}, {0x0D3B, 0x0D3C}, {0x0D3E, 0x0D4D},
      {0x0D57, 0x0D57}, {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E}, {0x0EB1, 0x0EB1},
      {0x0EB4, 0x0EBC}, {0x0EC8, 0x0ECD}, {0x0F18, 0x0F19}, {0x0F35, 0x0F39}, {0x0F71, 0x0F84},
      {0x102B, 0x103E}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200C, 0x200D}, {0x20D0, 0x20FF},
      {0x302A, 0x302F}, {0x3099, 0x309A}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0x1F3FB, 0x1F3FF},
      {0xE0020, 0xE007F}, {0xE0100, 0xE01EF},
  };
  for (const Range& r : kRanges) {
    if (c >= r.lo && c <= r.hi) return true;
  }
  return false;
}

std::vector<std::string> characters(const std::string& utf8) {
  std::vector<std::string> out;
  bool joined = false;  // the previous code point was a zero-width joiner
  for (size_t i = 0; i < utf8.size();) {
    const auto [cp, len] = code_point_at(utf8, i);
    if (!out.empty() && (joined || attaches(cp))) {
      out.back().append(utf8, i, len);
    } else {
      out.push_back(utf8.substr(i, len));
    }
    joined = cp == kZeroWidthJoiner;
    i += len;
  }
  return out;
}

}  // namespace bulwark::text
