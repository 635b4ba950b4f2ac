#pragma once
// The header every saved fitted object shares, and the typed load on top of a polymorphic one:
//   {"format": "bulwark.<family>", "version": 1, "kind": "<class name>", ...}
// A file of another format or version, or holding another kind, raises FormatError naming it.

#include <memory>
#include <string>

#include <bulwark/core/error.h>
#include <bulwark/core/json.h>

namespace bulwark {

void write_header(json::Object& o, const std::string& format, const std::string& kind);
// Checks format and version; returns the kind.
std::string read_header(const json::Object& o, const std::string& path, const std::string& format);

// *loaded as a T, or FormatError "path: holds a <kind>, not a <T's kind>".
template <typename T, typename Base>
T loaded_as(std::unique_ptr<Base> loaded, const std::string& path) {
  if (auto* t = dynamic_cast<T*>(loaded.get())) return std::move(*t);
  throw FormatError(detail::str(path, ": holds a ", loaded->kind(), ", not a ", T().kind()));
}

}  // namespace bulwark
