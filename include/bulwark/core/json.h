#pragma once
// JSON through nlohmann-json, with one convention for every file bulwark writes (saved objects,
// results.json, timings.json, training histories):
//   * non-finite numbers are written as the strings "nan", "inf" and "-inf" (JSON has no literal
//     for them; null would lose the sign of an infinity) and read back as numbers;
//   * objects keep their keys in insertion order, so the same run writes the same bytes;
//   * finite doubles are written in the shortest form that reads back to the same double.
// Python reads the same convention with bulwark.report.load_json.

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>  // the full header where documents are built: json.cpp, the runner

namespace bulwark::json {

// A JSON document (nested objects, arrays, numbers, strings, booleans, null).
using Document = nlohmann::ordered_json;

// The text of `doc` under the convention above, `indent` spaces per level, ending in a newline.
std::string dump(const Document& doc, int indent = 1);
// Throws FormatError naming `where` on malformed text. Non-finite strings stay strings here:
// number() turns them into numbers where a number is expected.
Document parse(const std::string& text, const std::string& where);
// The number `value` holds: a JSON number or one of "nan", "inf", "-inf"; FormatError naming
// `where` otherwise.
double number(const Document& value, const std::string& where);

// The flat object a fitted object is saved as: numbers, strings, booleans and arrays of numbers
// under sorted keys, with typed reads that name the file and the field.
using Value = std::variant<double, std::string, bool, std::vector<double>>;

class Object {
 public:
  Object& set(const std::string& key, Value value);
  Object& erase(const std::string& key);
  std::string dump() const;
  // Throws FormatError (naming `where`) on malformed text, or on a value of another type.
  static Object parse(const std::string& text, const std::string& where);

  bool has(const std::string& key) const { return values_.count(key) > 0; }
  // Throw FormatError naming `where` when the key is missing or of another type.
  double number(const std::string& key) const;
  // A whole number in [lo, hi]: a file is input, and a count of 1e19 must not become a negative
  // int64 (FormatError naming the file, the field and the range).
  int64_t integer(const std::string& key, int64_t lo, int64_t hi) const;
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
