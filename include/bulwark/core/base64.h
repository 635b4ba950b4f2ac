#pragma once
// Base64 (RFC 4648, standard alphabet, '=' padding).

#include <string>
#include <string_view>

namespace bulwark {

std::string base64_encode(std::string_view bytes);
// Skips characters outside the alphabet (line breaks in MIME bodies); stops at '='.
std::string base64_decode(std::string_view text);

}  // namespace bulwark
