#pragma once
// A tensor as one JSON-safe string, so fitted objects with large arrays (a KNN detector's
// feature bank) stay one self-describing file: "<dtype>;<d0>,<d1>,...;<base64 of the raw
// little-endian bytes, row-major>". dtype: float32, float64 or int64. Exact: bits round-trip.

#include <string>

#include <ATen/core/Tensor.h>

namespace bulwark {

std::string encode_tensor(const at::Tensor& t);
// Throws FormatError naming `where` when the text is malformed or its size does not match.
at::Tensor decode_tensor(const std::string& text, const std::string& where);

}  // namespace bulwark
