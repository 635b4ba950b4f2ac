#pragma once
// The training loop, the one every bulwark training runs in: standard training of the reference
// models (models::train), adversarial training (defenses::AdversarialTrainer, which supplies
// adversarial minibatch steps), and the Python AdversarialTrainer, which drives this loop with a
// Python model, optimizer and DataLoader.
//
// Epoch e (0-based) gets the seed derive_seed(seed, e): the batch source's order for that epoch
// and the seed of each minibatch step (derive_seed(epoch seed, batch)) follow from it, so a run is
// deterministic under its seed and a run resumed after epoch e (history, model and optimizer
// restored: training_checkpoint.h) replays exactly the epochs of a run that never stopped.

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include <bulwark/data/batches.h>
#include <bulwark/models/optimizer_hooks.h>

namespace bulwark::models {

// Where training is, for progress callbacks (e.g. a Python progress bar).
struct TrainProgress {
  int64_t epoch;    // 0-based
  int64_t epochs;
  int64_t batch;    // 1-based, batches done in this epoch
  int64_t batches;  // per epoch (batches done so far when the source does not know)
  double loss;      // mean loss of this epoch so far
};

struct EpochRecord {
  int64_t epoch = 0;                      // 1-based
  double train_loss = 0;                  // mean loss over the epoch's optimizer updates
  double train_accuracy = 0;              // on the examples trained on (adversarial ones in AT)
  double clean_accuracy = std::nan("");   // validation; NaN without a validation source
  double robust_accuracy = std::nan("");  // validation under attack; NaN without one
  double lr = std::nan("");               // at the end of the epoch, if known
  double seconds = 0;                     // training time of the epoch (validation excluded)
};

// What one minibatch step contributed: the loss summed over its optimizer updates (Free AT
// replays a minibatch), the examples it classified correctly and saw, and its updates.
struct BatchOutcome {
  double loss_sum = 0;
  int64_t correct = 0;
  int64_t examples = 0;
  int64_t updates = 0;
};

// One optimizer update on `loss` (a scalar whose graph reaches the parameters): zero_grad,
// backward, step. A non-finite loss is a NonFiniteError naming `where`, raised before the step.
double optimizer_update(const OptimizerHooks& optimizer, const at::Tensor& loss, const char* where);

// The clean cross-entropy step of standard training: one update on the mean cross-entropy of
// forward(x) against y.
BatchOutcome standard_step(const std::function<at::Tensor(const at::Tensor&)>& forward,
                           const OptimizerHooks& optimizer, const at::Tensor& x, const at::Tensor& y);

struct TrainingLoopOptions {
  int64_t epochs = 1;
  uint64_t seed = 0;
  std::string name = "train";  // the progress bar's label, e.g. "pgd"
  bool progress = true;        // a progress bar on stderr
  std::function<void(const TrainProgress&)> on_batch;  // after every minibatch, if set
};

class TrainingLoop {
 public:
  // One minibatch: (inputs, labels, the step's seed) -> what it contributed. The step makes its
  // own optimizer updates (optimizer_update), so methods with several updates per minibatch fit.
  using Step = std::function<BatchOutcome(const at::Tensor& x, const at::Tensor& y, uint64_t seed)>;
  // Validation after an epoch, with a seed derived from the epoch's: (clean, robust) accuracy.
  using Validate = std::function<std::pair<double, double>(uint64_t seed)>;

  TrainingLoop(OptimizerHooks optimizer, TrainingLoopOptions options);

  // Epoch epoch() + 1: the optimizer's schedule before each minibatch, `step` on each, its
  // end_epoch after the last, then `validate` if set. The record is appended to the history and
  // returned. A NonFiniteError inside a step is re-raised naming the epoch and the minibatch.
  EpochRecord run_epoch(data::BatchSource& train, const Step& step, const Validate& validate = {});

  int64_t epoch() const { return static_cast<int64_t>(history_.size()); }  // epochs done
  int64_t epochs() const { return options_.epochs; }
  uint64_t seed() const { return options_.seed; }
  uint64_t epoch_seed(int64_t epoch) const;  // the seed of 0-based epoch `epoch`
  const OptimizerHooks& optimizer() const { return optimizer_; }
  const std::vector<EpochRecord>& history() const { return history_; }
  // A resumed run's history: records 1..E in order; E must not exceed epochs.
  void set_history(std::vector<EpochRecord> history);

 private:
  OptimizerHooks optimizer_;
  TrainingLoopOptions options_;
  std::vector<EpochRecord> history_;
};

}  // namespace bulwark::models
