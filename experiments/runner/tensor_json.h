#pragma once
// Results documents for the runner: bulwark's JSON document (core/json.h: nlohmann-json, keys in
// insertion order, non-finite numbers as "nan"/"inf"/"-inf") and the two conversions the stages need.

#include <string>

#include <ATen/core/Tensor.h>

#include <nlohmann/json.hpp>

#include <bulwark/core/json.h>

namespace bulwark::experiments {

using Json = json::Document;

// A tensor as a flat array (int64/bool as integers, floating as numbers).
Json tensor_json(const at::Tensor& t);
// The number under `key` of the object `j`; InvalidArgument when missing or not a number.
double number_at(const Json& j, const std::string& key);

}  // namespace bulwark::experiments
