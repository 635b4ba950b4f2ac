#pragma once
// A JSON document for experiment results: nested objects (keys kept in insertion order, so the
// same run writes the same bytes), arrays, numbers, strings, booleans and null. Numbers are
// written in the shortest form that reads back to the same double; NaN and infinities as null.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <ATen/core/Tensor.h>

namespace bulwark::experiments {

class Json {
 public:
  using Object = std::vector<std::pair<std::string, Json>>;
  using Array = std::vector<Json>;

  Json() = default;  // null
  Json(double v) : value_(v) {}
  Json(int64_t v) : value_(v) {}
  Json(int v) : value_(static_cast<int64_t>(v)) {}
  Json(bool v) : value_(v) {}
  Json(std::string v) : value_(std::move(v)) {}
  Json(const char* v) : value_(std::string(v)) {}
  Json(const std::vector<double>& v);
  Json(const std::vector<int64_t>& v);
  Json(const std::vector<std::string>& v);
  static Json object() { Json j; j.value_ = Object{}; return j; }
  static Json array() { Json j; j.value_ = Array{}; return j; }
  // A 1-d tensor as an array (int64/bool as integers, floating as numbers).
  static Json from_tensor(const at::Tensor& t);

  // Objects: the value under `key`, created (as null) when missing.
  Json& operator[](const std::string& key);
  bool has(const std::string& key) const;
  // The number under `key` (NaN for null); InvalidArgument when missing or not a number.
  double number(const std::string& key) const;
  // Arrays.
  Json& push(Json v);

  bool is_object() const { return std::holds_alternative<Object>(value_); }
  std::string dump(int indent = 1) const;

 private:
  void write(std::string& out, int indent, int depth) const;
  std::variant<std::monostate, double, int64_t, bool, std::string, Array, Object> value_;
};

}  // namespace bulwark::experiments
