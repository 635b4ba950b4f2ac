#pragma once
// What every saved fitted object shares (calibrators, conformal predictors, OOD detectors): a
// small self-describing JSON file (core/json.h) that C++ reads without Python,
//   {"format": "bulwark.<family>", "version": 2, "kind": "<class name>", ...fields, "crc32": ...},
// the registry of kinds a family's files may hold, and the typed load on top of a polymorphic
// one. A file of another format or version, an unknown kind, or a file holding another kind than
// asked raises FormatError naming the file. Version 2 adds "crc32", the CRC-32 (core/crc32.h) of
// the object's other fields as Object::dump writes them: a file whose numbers were changed or
// damaged — a flipped digit in a weight, a temperature — is refused as altered (the digest is of
// the values, so re-indenting the file is harmless). Version 1 files, without it, still load.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <bulwark/core/error.h>
#include <bulwark/core/json.h>

namespace bulwark {

void write_header(json::Object& o, const std::string& format, const std::string& kind);
// Adds the digest of everything set so far: call it last, right before writing the file.
void seal(json::Object& o);
// Checks format, version and (version 2) the digest; returns the kind.
std::string read_header(const json::Object& o, const std::string& path, const std::string& format);

// The kinds a family's files may hold: a default-constructed object of each, by its kind().
//   using Kinds = SavedKinds<Detector, MSP, MaxLogit, ...>;
//   std::unique_ptr<Detector> d = Kinds::make(read_header(o, path, "bulwark.ood_detector"), path);
template <typename Base, typename... Kinds>
struct SavedKinds {
  static std::unique_ptr<Base> make(const std::string& kind, const std::string& path) {
    static const std::map<std::string, std::function<std::unique_ptr<Base>()>> kinds = {
        {std::string(Kinds().kind()), [] { return std::unique_ptr<Base>(std::make_unique<Kinds>()); }}...};
    const auto it = kinds.find(kind);
    if (it == kinds.end()) {
      std::string known;
      for (const auto& k : kinds) known += (known.empty() ? "" : ", ") + k.first;
      throw FormatError(detail::str(path, ": unknown kind '", kind, "' (this bulwark reads ", known, ")"));
    }
    return it->second();
  }
};

// *loaded as a T, or FormatError "path: holds a <kind>, not a <T's kind>".
template <typename T, typename Base>
T loaded_as(std::unique_ptr<Base> loaded, const std::string& path) {
  if (auto* t = dynamic_cast<T*>(loaded.get())) return std::move(*t);
  throw FormatError(detail::str(path, ": holds a ", loaded->kind(), ", not a ", T().kind()));
}

}  // namespace bulwark
