#include <bulwark/core/json.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include <bulwark/core/error.h>
#include <bulwark/core/files.h>

namespace bulwark::json {

namespace {

// The convention's one place: a non-finite double becomes its string.
void name_non_finite(Document& j) {
  if (j.is_number_float()) {
    const double v = j.get<double>();
    if (std::isnan(v)) j = "nan";
    else if (std::isinf(v)) j = v > 0 ? "inf" : "-inf";
  } else if (j.is_structured()) {
    for (auto& item : j) name_non_finite(item);
  }
}

bool non_finite_name(const Document& j, double& out) {
  if (!j.is_string()) return false;
  const auto& s = j.get_ref<const std::string&>();
  if (s == "nan") out = NAN;
  else if (s == "inf") out = INFINITY;
  else if (s == "-inf") out = -INFINITY;
  else return false;
  return true;
}

}  // namespace

std::string dump(const Document& doc, int indent) {
  Document named = doc;
  name_non_finite(named);
  // Invalid UTF-8 in a string (an e-mail excerpt cut by bytes, say) is replaced, never fatal.
  return named.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Document parse(const std::string& text, const std::string& where) {
  try {
    return Document::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw FormatError(detail::str(where, ": not a JSON file: ", e.what()));
  }
}

double number(const Document& value, const std::string& where) {
  double v = 0;
  if (value.is_number()) return value.get<double>();
  if (non_finite_name(value, v)) return v;
  throw FormatError(detail::str(where, " must be a number, got ", value.dump()));
}

Object& Object::set(const std::string& key, Value value) {
  values_[key] = std::move(value);
  return *this;
}

Object& Object::erase(const std::string& key) {
  values_.erase(key);
  return *this;
}

std::string Object::dump() const {
  Document doc = Document::object();
  for (const auto& [key, value] : values_) {
    std::visit([&, &key = key](const auto& v) { doc[key] = v; }, value);
  }
  return json::dump(doc, 2);
}

Object Object::parse(const std::string& text, const std::string& where) {
  const Document doc = json::parse(text, where);
  if (!doc.is_object()) throw FormatError(detail::str(where, ": expected a JSON object"));
  Object o;
  o.where_ = where;
  for (const auto& [key, value] : doc.items()) {
    const std::string field = detail::str(where, ": field '", key, "'");
    double v = 0;
    if (value.is_number() || non_finite_name(value, v)) {
      o.values_[key] = json::number(value, field);
    } else if (value.is_string()) {
      o.values_[key] = value.get<std::string>();
    } else if (value.is_boolean()) {
      o.values_[key] = value.get<bool>();
    } else if (value.is_array()) {
      std::vector<double> numbers;
      numbers.reserve(value.size());
      for (const auto& item : value) numbers.push_back(json::number(item, field + " (an array of numbers)"));
      o.values_[key] = std::move(numbers);
    } else {
      throw FormatError(detail::str(field, " must be a number, string, boolean or array of numbers"));
    }
  }
  return o;
}

const Value& Object::at(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) throw FormatError(detail::str(where_, ": missing field '", key, "'"));
  return it->second;
}

double Object::number(const std::string& key) const {
  const auto* v = std::get_if<double>(&at(key));
  if (!v) throw FormatError(detail::str(where_, ": field '", key, "' must be a number"));
  return *v;
}

int64_t Object::integer(const std::string& key, int64_t lo, int64_t hi) const {
  const double v = number(key);
  if (!(std::isfinite(v) && v == std::floor(v) && v >= static_cast<double>(lo) && v <= static_cast<double>(hi))) {
    throw FormatError(detail::str(where_, ": field '", key, "' must be an integer in [", lo, ", ", hi, "], got ", v));
  }
  return static_cast<int64_t>(v);
}

const std::string& Object::string(const std::string& key) const {
  const auto* v = std::get_if<std::string>(&at(key));
  if (!v) throw FormatError(detail::str(where_, ": field '", key, "' must be a string"));
  return *v;
}

bool Object::boolean(const std::string& key) const {
  const auto* v = std::get_if<bool>(&at(key));
  if (!v) throw FormatError(detail::str(where_, ": field '", key, "' must be true or false"));
  return *v;
}

std::vector<double> Object::numbers(const std::string& key) const {
  const auto* v = std::get_if<std::vector<double>>(&at(key));
  if (!v) throw FormatError(detail::str(where_, ": field '", key, "' must be an array of numbers"));
  return *v;
}

void Object::write_file(const std::string& path) const { write_text_file(path, dump(), "json"); }

Object Object::read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw FileError(detail::str("cannot read '", path, "'"));
  std::ostringstream s;
  s << f.rdbuf();
  return parse(s.str(), path);
}

}  // namespace bulwark::json
