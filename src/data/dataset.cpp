#include <bulwark/data/dataset.h>

#include <algorithm>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>

namespace bulwark::data {

TensorDataset TensorDataset::slice(int64_t start, int64_t count) const {
  BULWARK_CHECK(start >= 0 && count >= 0, "TensorDataset.slice: start and count must be >= 0, got ",
                start, " and ", count);
  const int64_t end = std::min(size(), start + count);
  start = std::min(start, end);
  return {inputs.slice(0, start, end), labels.slice(0, start, end)};
}

}  // namespace bulwark::data
