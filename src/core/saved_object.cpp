#include <bulwark/core/saved_object.h>

namespace bulwark {

namespace {
constexpr double kVersion = 1.0;
}

void write_header(json::Object& o, const std::string& format, const std::string& kind) {
  o.set("format", format).set("version", kVersion).set("kind", kind);
}

std::string read_header(const json::Object& o, const std::string& path, const std::string& format) {
  if (!o.has("format") || o.string("format") != format) {
    throw FormatError(detail::str(path, ": not a ", format, " file"));
  }
  if (o.number("version") != kVersion) {
    throw FormatError(detail::str(path, ": format version ", o.number("version"), " is not supported"));
  }
  return o.string("kind");
}

}  // namespace bulwark
