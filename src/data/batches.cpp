#include <bulwark/data/batches.h>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/random.h>

namespace bulwark::data {

TensorBatches::TensorBatches(TensorDataset data, int64_t batch_size, bool shuffle)
    : data_(std::move(data)), batch_size_(batch_size), shuffle_(shuffle) {
  BULWARK_CHECK(batch_size >= 1, "TensorBatches: batch_size must be >= 1, got ", batch_size);
  BULWARK_CHECK(data_.size() >= 1, "TensorBatches: the data set is empty");
  BULWARK_CHECK_SHAPE(data_.labels.defined() && data_.labels.dim() == 1 && data_.labels.size(0) == data_.size(),
                      "TensorBatches: labels must have shape (N,) = (", data_.size(), ",)");
}

void TensorBatches::begin_epoch(uint64_t seed) {
  position_ = 0;
  if (shuffle_) {
    at::Generator gen = make_generator(seed);
    order_ = at::randperm(data_.size(), gen, at::TensorOptions(at::kLong));
  } else {
    order_ = at::Tensor();
  }
}

std::optional<Batch> TensorBatches::next() {
  const int64_t n = data_.size();
  if (position_ >= n) return std::nullopt;
  const int64_t end = std::min(n, position_ + batch_size_);
  Batch b;
  if (order_.defined()) {
    const at::Tensor idx = order_.slice(0, position_, end).to(data_.inputs.device());
    b = {data_.inputs.index_select(0, idx), data_.labels.index_select(0, idx.to(data_.labels.device()))};
  } else {
    b = {data_.inputs.slice(0, position_, end), data_.labels.slice(0, position_, end)};
  }
  position_ = end;
  return b;
}

int64_t TensorBatches::batches() const { return (data_.size() + batch_size_ - 1) / batch_size_; }

FunctionBatches::FunctionBatches(std::function<void(uint64_t)> begin_epoch,
                                 std::function<std::optional<Batch>()> next, int64_t batches)
    : begin_(std::move(begin_epoch)), next_(std::move(next)), batches_(batches) {
  BULWARK_CHECK_TYPE(static_cast<bool>(begin_) && static_cast<bool>(next_),
                     "FunctionBatches: begin_epoch and next must be callables");
}

}  // namespace bulwark::data
