#include <bulwark/models/training_loop.h>

#include <chrono>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <bulwark/core/error.h>
#include <bulwark/core/probabilities.h>
#include <bulwark/core/progress.h>
#include <bulwark/core/random.h>

namespace bulwark::models {

double optimizer_update(const OptimizerHooks& optimizer, const at::Tensor& loss, const char* where) {
  check_finite(loss, where, "the training loss");  // before the step: the weights stay finite
  optimizer.zero_grad();
  loss.backward();
  optimizer.step();
  return loss.item<double>();
}

BatchOutcome standard_step(const std::function<at::Tensor(const at::Tensor&)>& forward,
                           const OptimizerHooks& optimizer, const at::Tensor& x, const at::Tensor& y) {
  constexpr const char* where = "train";
  const at::Tensor z = forward(x);
  BULWARK_CHECK_SHAPE(z.defined() && z.dim() == 2 && z.size(0) == x.size(0), where,
                      ": forward must return logits (N, K) for N = ", x.size(0));
  const double loss = optimizer_update(optimizer, at::cross_entropy_loss(z, y), where);
  at::NoGradGuard no_grad;
  return {loss, z.argmax(1).eq(y).sum().item<int64_t>(), x.size(0), 1};
}

TrainingLoop::TrainingLoop(OptimizerHooks optimizer, TrainingLoopOptions options)
    : optimizer_(std::move(optimizer)), options_(std::move(options)) {
  constexpr const char* where = "TrainingLoop";
  BULWARK_CHECK_TYPE(static_cast<bool>(optimizer_.zero_grad) && static_cast<bool>(optimizer_.step), where,
                     ": optimizer.zero_grad and optimizer.step are required");
  BULWARK_CHECK(options_.epochs >= 1, where, ": epochs must be >= 1, got ", options_.epochs);
}

uint64_t TrainingLoop::epoch_seed(int64_t epoch) const {
  return derive_seed(options_.seed, static_cast<uint64_t>(epoch));
}

EpochRecord TrainingLoop::run_epoch(data::BatchSource& train, const Step& step, const Validate& validate) {
  constexpr const char* where = "TrainingLoop";
  torch::autograd::AutoGradMode grad_on(true);  // also when called under no_grad
  const int64_t e = epoch();
  BULWARK_CHECK(e < options_.epochs, where, ": all ", options_.epochs, " epochs are done");
  const uint64_t seed = epoch_seed(e);
  const int64_t batches = train.batches();
  const auto start = std::chrono::steady_clock::now();
  train.begin_epoch(seed);
  Progress bar(detail::str(options_.name, " epoch ", e + 1, "/", options_.epochs), batches, options_.progress);
  double loss_sum = 0;
  int64_t updates = 0, correct = 0, examples = 0, b = 0;
  while (std::optional<data::Batch> batch = train.next()) {
    BULWARK_CHECK_TYPE(batch->inputs.defined() && batch->labels.defined(), where,
                       ": the batch source returned an undefined tensor");
    if (optimizer_.schedule) {
      optimizer_.schedule(static_cast<double>(e) +
                          (batches > 0 ? static_cast<double>(b) / static_cast<double>(batches) : 0.0));
    }
    BatchOutcome r;
    try {
      r = step(batch->inputs, batch->labels, derive_seed(seed, static_cast<uint64_t>(b)));
    } catch (const NonFiniteError& err) {
      // A diverged model: stop at once, its weights as after the last finite update (and the
      // last checkpoint, written per epoch, intact), rather than train on NaN.
      throw NonFiniteError(detail::str(err.what(), " (epoch ", e + 1, ", batch ", b + 1,
                                       "): training stopped before this step; the model diverged, try a "
                                       "lower learning rate"));
    }
    loss_sum += r.loss_sum;
    updates += r.updates;
    correct += r.correct;
    examples += r.examples;
    ++b;
    const double mean_loss = loss_sum / static_cast<double>(updates);
    bar.update(b, detail::str("loss ", mean_loss, " acc ",
                              static_cast<double>(correct) / static_cast<double>(examples)));
    if (options_.on_batch) options_.on_batch({e, options_.epochs, b, batches > 0 ? batches : b, mean_loss});
  }
  BULWARK_CHECK(b > 0, where, ": the training batch source gave no batch in epoch ", e + 1);
  EpochRecord rec;
  rec.epoch = e + 1;
  rec.train_loss = loss_sum / static_cast<double>(updates);
  rec.train_accuracy = static_cast<double>(correct) / static_cast<double>(examples);
  rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (optimizer_.end_epoch) optimizer_.end_epoch();
  if (optimizer_.lr) rec.lr = optimizer_.lr();
  bar.finish(detail::str("loss ", rec.train_loss, " acc ", rec.train_accuracy));
  if (validate) std::tie(rec.clean_accuracy, rec.robust_accuracy) = validate(derive_seed(seed, ~0ULL));
  history_.push_back(rec);
  return rec;
}

void TrainingLoop::set_history(std::vector<EpochRecord> history) {
  BULWARK_CHECK(static_cast<int64_t>(history.size()) <= options_.epochs, "TrainingLoop.set_history: ",
                history.size(), " epochs done, more than epochs = ", options_.epochs);
  for (size_t i = 0; i < history.size(); ++i) {
    BULWARK_CHECK(history[i].epoch == static_cast<int64_t>(i) + 1, "TrainingLoop.set_history: record ", i,
                  " must be epoch ", i + 1, ", got ", history[i].epoch);
  }
  history_ = std::move(history);
}

}  // namespace bulwark::models
