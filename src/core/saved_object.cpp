#include <bulwark/core/saved_object.h>

#include <bulwark/core/crc32.h>

namespace bulwark {

namespace {
// 2: the object carries the CRC-32 of its values under kDigest. Version 1 files, without it,
// still load.
constexpr double kVersion = 2.0;
constexpr double kOldestReadable = 1.0;
constexpr const char* kDigest = "crc32";
}  // namespace

void write_header(json::Object& o, const std::string& format, const std::string& kind) {
  o.set("format", format).set("version", kVersion).set("kind", kind);
}

void seal(json::Object& o) {
  o.erase(kDigest);
  o.set(kDigest, crc32_hex(o.dump()));
}

std::string read_header(const json::Object& o, const std::string& path, const std::string& format) {
  if (!o.has("format") || o.string("format") != format) {
    throw FormatError(detail::str(path, ": not a ", format, " file"));
  }
  const double version = o.number("version");
  if (!(version == kVersion || version == kOldestReadable)) {
    throw FormatError(detail::str(path, ": format version ", version, " is not supported"));
  }
  if (version == kVersion) {
    BULWARK_CHECK_AS(FormatError, o.has(kDigest), path, ": the file has no \"", kDigest,
                     "\" digest (version 2 files carry one)");
    json::Object rest = o;
    const std::string computed = crc32_hex(rest.erase(kDigest).dump());
    BULWARK_CHECK_AS(FormatError, o.string(kDigest) == computed, path, ": the contents do not match their CRC-32 (",
                     o.string(kDigest), " stored, ", computed, " computed): the file was altered or damaged");
  }
  return o.string("kind");
}

}  // namespace bulwark
