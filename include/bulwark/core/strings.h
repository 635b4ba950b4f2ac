#pragma once
// Small string helpers shared by the option parsers.

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace bulwark::detail {

// ASCII lower case, for case-insensitive option names ("LinF", "APS").
inline std::string lowercase(std::string_view name) {
  std::string s(name);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace bulwark::detail
