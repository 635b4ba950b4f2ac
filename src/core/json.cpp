#include <bulwark/core/json.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <bulwark/core/error.h>
#include <bulwark/core/files.h>

namespace bulwark::json {

namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string number_text(double v) {
  if (std::isnan(v)) return "\"nan\"";
  if (std::isinf(v)) return v > 0 ? "\"inf\"" : "\"-inf\"";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// A recursive-descent reader for the subset dump() writes.
class Reader {
 public:
  Reader(const std::string& text, const std::string& where) : s_(text), where_(where) {}

  void fail(const std::string& what) const {
    throw FormatError(detail::str(where_, ": not a bulwark JSON file: ", what, " at byte ", i_));
  }
  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool eat(char c) {
    skip();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(std::string("expected '") + c + "'");
  }
  std::string str() {
    expect('"');
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c == '\\') {
        if (i_ >= s_.size()) fail("unfinished escape");
        const char e = s_[i_++];
        c = e == 'n' ? '\n' : e;
      }
      out += c;
    }
    if (i_ >= s_.size()) fail("unterminated string");
    ++i_;
    return out;
  }
  double num() {
    skip();
    if (i_ < s_.size() && s_[i_] == '"') {
      const std::string t = str();
      if (t == "inf") return INFINITY;
      if (t == "-inf") return -INFINITY;
      if (t == "nan") return NAN;
      fail("expected a number, got \"" + t + "\"");
    }
    const char* begin = s_.c_str() + i_;
    char* end = nullptr;
    const double v = std::strtod(begin, &end);
    if (end == begin) fail("expected a number");
    i_ += static_cast<size_t>(end - begin);
    return v;
  }
  Value value() {
    skip();
    if (i_ >= s_.size()) fail("unexpected end");
    const char c = s_[i_];
    if (c == '"') {
      const size_t at = i_;
      const std::string t = str();
      if (t == "inf" || t == "-inf" || t == "nan") {
        i_ = at;
        return num();
      }
      return t;
    }
    if (c == '[') {
      ++i_;
      std::vector<double> v;
      if (eat(']')) return v;
      do v.push_back(num());
      while (eat(','));
      expect(']');
      return v;
    }
    if (s_.compare(i_, 4, "true") == 0) return i_ += 4, Value(true);
    if (s_.compare(i_, 5, "false") == 0) return i_ += 5, Value(false);
    return num();
  }
  void end() {
    skip();
    if (i_ != s_.size()) fail("trailing text");
  }

 private:
  const std::string& s_;
  std::string where_;
  size_t i_ = 0;
};

}  // namespace

Object& Object::set(const std::string& key, Value value) {
  values_[key] = std::move(value);
  return *this;
}

std::string Object::dump() const {
  std::ostringstream out;
  out << "{";
  bool first = true;
  for (const auto& [key, value] : values_) {
    out << (first ? "\n  " : ",\n  ") << quote(key) << ": ";
    first = false;
    if (const auto* d = std::get_if<double>(&value)) {
      out << number_text(*d);
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      out << quote(*s);
    } else if (const auto* b = std::get_if<bool>(&value)) {
      out << (*b ? "true" : "false");
    } else {
      const auto& v = std::get<std::vector<double>>(value);
      out << "[";
      for (size_t i = 0; i < v.size(); ++i) out << (i ? ", " : "") << number_text(v[i]);
      out << "]";
    }
  }
  out << "\n}\n";
  return out.str();
}

Object Object::parse(const std::string& text, const std::string& where) {
  Reader r(text, where);
  Object o;
  o.where_ = where;
  r.expect('{');
  if (!r.eat('}')) {
    do {
      const std::string key = r.str();
      r.expect(':');
      o.values_[key] = r.value();
    } while (r.eat(','));
    r.expect('}');
  }
  r.end();
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
