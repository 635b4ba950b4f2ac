#include "json_tree.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>

namespace bulwark::experiments {

Json::Json(const std::vector<double>& v) : value_(Array(v.begin(), v.end())) {}
Json::Json(const std::vector<int64_t>& v) : value_(Array(v.begin(), v.end())) {}
Json::Json(const std::vector<std::string>& v) : value_(Array(v.begin(), v.end())) {}

Json Json::from_tensor(const at::Tensor& t) {
  Json out = array();
  const at::Tensor c = t.detach().to(at::kCPU).contiguous().view({-1});
  auto& a = std::get<Array>(out.value_);
  a.reserve(static_cast<size_t>(c.numel()));
  if (at::isFloatingType(c.scalar_type())) {
    const at::Tensor d = c.to(at::kDouble);
    for (int64_t i = 0; i < d.numel(); ++i) a.emplace_back(d.data_ptr<double>()[i]);
  } else {
    const at::Tensor l = c.to(at::kLong);
    for (int64_t i = 0; i < l.numel(); ++i) a.emplace_back(l.data_ptr<int64_t>()[i]);
  }
  return out;
}

Json& Json::operator[](const std::string& key) {
  if (std::holds_alternative<std::monostate>(value_)) value_ = Object{};
  BULWARK_CHECK(is_object(), "Json: [\"", key, "\"] on a value that is not an object");
  auto& o = std::get<Object>(value_);
  for (auto& kv : o) {
    if (kv.first == key) return kv.second;
  }
  o.emplace_back(key, Json());
  return o.back().second;
}

bool Json::has(const std::string& key) const {
  if (!is_object()) return false;
  for (const auto& kv : std::get<Object>(value_)) {
    if (kv.first == key) return true;
  }
  return false;
}

double Json::number(const std::string& key) const {
  BULWARK_CHECK(is_object(), "Json: number(\"", key, "\") on a value that is not an object");
  for (const auto& kv : std::get<Object>(value_)) {
    if (kv.first != key) continue;
    const auto& v = kv.second.value_;
    if (const double* d = std::get_if<double>(&v)) return *d;
    if (const int64_t* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    if (std::holds_alternative<std::monostate>(v)) return std::nan("");
    break;
  }
  throw InvalidArgument(detail::str("Json: no number under \"", key, "\""));
}

Json& Json::push(Json v) {
  if (std::holds_alternative<std::monostate>(value_)) value_ = Array{};
  BULWARK_CHECK(std::holds_alternative<Array>(value_), "Json: push on a value that is not an array");
  auto& a = std::get<Array>(value_);
  a.push_back(std::move(v));
  return a.back();
}

namespace {
void write_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void write_number(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  out.append(buf, r.ptr);
}

// Arrays of numbers stay on one line; everything else one entry per line.
bool is_flat(const Json::Array& a);
}  // namespace

void Json::write(std::string& out, int indent, int depth) const {
  const std::string pad(static_cast<size_t>(indent * (depth + 1)), ' ');
  const std::string end_pad(static_cast<size_t>(indent * depth), ' ');
  if (std::holds_alternative<std::monostate>(value_)) {
    out += "null";
  } else if (const double* d = std::get_if<double>(&value_)) {
    write_number(out, *d);
  } else if (const int64_t* i = std::get_if<int64_t>(&value_)) {
    out += std::to_string(*i);
  } else if (const bool* b = std::get_if<bool>(&value_)) {
    out += *b ? "true" : "false";
  } else if (const std::string* s = std::get_if<std::string>(&value_)) {
    write_string(out, *s);
  } else if (const Array* a = std::get_if<Array>(&value_)) {
    if (a->empty()) {
      out += "[]";
      return;
    }
    const bool flat = is_flat(*a);
    out += '[';
    for (size_t k = 0; k < a->size(); ++k) {
      if (k) out += flat ? ", " : ",";
      if (!flat) out += "\n" + pad;
      (*a)[k].write(out, indent, depth + 1);
    }
    if (!flat) out += "\n" + end_pad;
    out += ']';
  } else {
    const Object& o = std::get<Object>(value_);
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += '{';
    for (size_t k = 0; k < o.size(); ++k) {
      if (k) out += ',';
      out += "\n" + pad;
      write_string(out, o[k].first);
      out += ": ";
      o[k].second.write(out, indent, depth + 1);
    }
    out += "\n" + end_pad + "}";
  }
}

namespace {
bool is_flat(const Json::Array& a) {
  for (const auto& v : a) {
    if (v.is_object()) return false;
  }
  return true;
}
}  // namespace

std::string Json::dump(int indent) const {
  std::string out;
  write(out, indent, 0);
  out += '\n';
  return out;
}

}  // namespace bulwark::experiments
