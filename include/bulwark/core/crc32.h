#pragma once
// CRC-32 (zlib's, the polynomial of zip and PNG) of a byte string, as 8 lowercase hex digits: the
// digest saved objects carry (core/saved_object.h), so a damaged or altered file is refused
// rather than loaded with changed numbers. A checksum against accidents, not a signature.

#include <string>
#include <string_view>

namespace bulwark {

std::string crc32_hex(std::string_view bytes);

}  // namespace bulwark
