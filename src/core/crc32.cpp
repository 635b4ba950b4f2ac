#include <bulwark/core/crc32.h>

#include <algorithm>
#include <cstdio>

#include <zlib.h>

namespace bulwark {

std::string crc32_hex(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  constexpr size_t kPiece = size_t{1} << 30;  // zlib takes uInt lengths
  for (size_t at = 0; at < bytes.size(); at += kPiece) {
    const size_t n = std::min(bytes.size() - at, kPiece);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + at), static_cast<uInt>(n));
  }
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08lx", static_cast<unsigned long>(crc & 0xffffffffUL));
  return hex;
}

}  // namespace bulwark
