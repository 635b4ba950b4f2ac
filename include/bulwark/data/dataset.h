#pragma once
// An in-memory labelled dataset: inputs (N, ...) and int64 labels (N,).

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace bulwark::data {

struct TensorDataset {
  at::Tensor inputs;  // (N, ...)
  at::Tensor labels;  // (N,) int64
  int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
  // Rows [start, start + count), clipped to the end.
  TensorDataset slice(int64_t start, int64_t count) const;
};

}  // namespace bulwark::data
