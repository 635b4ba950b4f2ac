#pragma once
// Minibatch sources for training loops: restarted each epoch with that epoch's seed, so an
// epoch's order depends only on (seed, epoch) and a resumed run replays the same batches.

#include <cstdint>
#include <functional>
#include <optional>

#include <ATen/core/Tensor.h>

#include <bulwark/data/dataset.h>

namespace bulwark::data {

struct Batch {
  at::Tensor inputs;  // (B, ...)
  at::Tensor labels;  // (B,) int64
};

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Starts a pass over the data; `seed` fixes this pass's order.
  virtual void begin_epoch(uint64_t seed) = 0;
  // The next minibatch of the pass, or nullopt at its end.
  virtual std::optional<Batch> next() = 0;
  // Minibatches per pass, or -1 when unknown.
  virtual int64_t batches() const { return -1; }
};

// Minibatches of an in-memory dataset, reshuffled each epoch from a generator seeded with the
// epoch's seed (never torch's global generator); the last one may be smaller.
class TensorBatches : public BatchSource {
 public:
  TensorBatches(TensorDataset data, int64_t batch_size, bool shuffle = true);
  void begin_epoch(uint64_t seed) override;
  std::optional<Batch> next() override;
  int64_t batches() const override;

 private:
  TensorDataset data_;
  int64_t batch_size_;
  bool shuffle_;
  at::Tensor order_;
  int64_t position_ = 0;
};

// A source made of two callables, e.g. a Python DataLoader's iterator.
class FunctionBatches : public BatchSource {
 public:
  FunctionBatches(std::function<void(uint64_t)> begin_epoch, std::function<std::optional<Batch>()> next,
                  int64_t batches = -1);
  void begin_epoch(uint64_t seed) override { begin_(seed); }
  std::optional<Batch> next() override { return next_(); }
  int64_t batches() const override { return batches_; }

 private:
  std::function<void(uint64_t)> begin_;
  std::function<std::optional<Batch>()> next_;
  int64_t batches_;
};

}  // namespace bulwark::data
