#pragma once
// The small self-describing files fitted objects are saved to: one flat JSON object whose values
// are numbers, strings, booleans or arrays of numbers. Non-finite numbers are written as the
// strings "inf", "-inf" and "nan" (JSON has no literal for them) and read back as numbers.

#include <map>
#include <string>
#include <variant>
#include <vector>

namespace bulwark::json {

using Value = std::variant<double, std::string, bool, std::vector<double>>;

class Object {
 public:
  Object& set(const std::string& key, Value value);
  std::string dump() const;
  // Throws FormatError (naming `where`) on malformed text.
  static Object parse(const std::string& text, const std::string& where);

  bool has(const std::string& key) const { return values_.count(key) > 0; }
  // Throw FormatError naming `where` when the key is missing or of another type.
  double number(const std::string& key) const;
  const std::string& string(const std::string& key) const;
  bool boolean(const std::string& key) const;
  std::vector<double> numbers(const std::string& key) const;

  // Atomically (write_text_file): a crash never leaves half a file.
  void write_file(const std::string& path) const;
  static Object read_file(const std::string& path);

 private:
  const Value& at(const std::string& key) const;
  std::map<std::string, Value> values_;
  std::string where_ = "json";
};

}  // namespace bulwark::json
