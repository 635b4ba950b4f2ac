#pragma once
// The idx format of MNIST and Fashion-MNIST (LeCun et al.), plain or gzip-compressed.

#include <string>

#include <ATen/core/Tensor.h>

namespace bulwark::data {

// Reads an idx file of unsigned bytes (type code 0x08) into a uint8 tensor with the file's
// dimensions. Throws FileError if it cannot be opened and FormatError if it is malformed
// (bad magic, unsupported type, absurd dimensions, truncated data, corrupt gzip, trailing bytes).
at::Tensor read_idx(const std::string& path);

}  // namespace bulwark::data
