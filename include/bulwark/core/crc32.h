#pragma once
// CRC-32 (zlib's, the polynomial of zip and PNG), as 8 lowercase hex digits: the digest saved
// objects carry (core/saved_object.h) and the model cache keeps beside each file
// (models/checkpoint.h), so a damaged or altered file is refused rather than loaded with changed
// numbers. A checksum against accidents, not a signature.

#include <cstdint>
#include <string>
#include <string_view>

namespace bulwark {

// Incremental, for data read in pieces: Crc32 c; c.update(a); c.update(b); c.hex().
class Crc32 {
 public:
  Crc32& update(std::string_view bytes);
  std::string hex() const;

 private:
  uint32_t crc_ = 0;
};

inline std::string crc32_hex(std::string_view bytes) { return Crc32().update(bytes).hex(); }

}  // namespace bulwark
