#include <bulwark/core/crc32.h>

#include <algorithm>
#include <cstdio>

#include <zlib.h>

namespace bulwark {

Crc32& Crc32::update(std::string_view bytes) {
  uLong crc = crc_;
  constexpr size_t kPiece = size_t{1} << 30;  // zlib takes uInt lengths
  for (size_t at = 0; at < bytes.size(); at += kPiece) {
    const size_t n = std::min(bytes.size() - at, kPiece);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + at), static_cast<uInt>(n));
  }
  crc_ = static_cast<uint32_t>(crc);
  return *this;
}

std::string Crc32::hex() const {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08lx", static_cast<unsigned long>(crc_));
  return hex;
}

}  // namespace bulwark
