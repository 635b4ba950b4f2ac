#pragma once
// AdversarialTrainer: adversarial training in bulwark's one training loop (models::TrainingLoop)
// with the per-batch losses (adversarial_losses.h) or Free AT (free_adversarial_training.h) as
// its minibatch step, for any optimizer (through OptimizerHooks) and any minibatch source
// (data::BatchSource).
//
// Each epoch e gets the seed derive_seed(seed, e): the batch source's order for that epoch and
// every attack's random start (derive_seed(epoch seed, batch)) follow from it, so a run is
// deterministic under its seed, and a run resumed from a checkpoint written after epoch e
// replays exactly the epochs a run that never stopped would have (given the model and
// optimizer state saved with it: save_checkpoint/load_checkpoint). After each epoch the trainer
// measures clean and robust accuracy (PGD with val_steps steps at the training eps, in the
// training norm) on the validation source, if there is one, and appends an EpochRecord to its
// history. Randomness inside the model (dropout) draws from torch's global generator, which
// bulwark never seeds: seed it yourself for bitwise-repeatable runs of such models.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <bulwark/core/classifier.h>
#include <bulwark/data/batches.h>
#include <bulwark/defenses/adversarial_losses.h>
#include <bulwark/defenses/free_adversarial_training.h>
#include <bulwark/models/optimizer_hooks.h>
#include <bulwark/models/training_checkpoint.h>
#include <bulwark/models/training_loop.h>
#include <bulwark/ops/norm.h>

namespace torch::nn {
class Module;
}
namespace torch::optim {
class Optimizer;
}

namespace bulwark::defenses {

enum class TrainingMethod { Standard, PGD, Fast, Free, TRADES, MART };
// "standard", "pgd", "fast", "free", "trades", "mart"; `arg` names the argument in the error
// (e.g. "AdversarialTrainer: method"), as ops::parse_norm.
TrainingMethod parse_training_method(const std::string& name, const char* arg = "method");
std::string to_string(TrainingMethod method);

struct AdversarialTrainingOptions {
  TrainingMethod method = TrainingMethod::PGD;
  double eps = 0.1;
  ops::Norm norm = ops::Norm::Linf;  // PGD and MART; Fast, Free and TRADES are L-inf
  int64_t steps = 10;                // PGD / TRADES / MART inner steps
  std::optional<double> step_size;   // default: each method's own (pgd 2.5 eps / steps, trades
                                     // eps / 4, fast 1.25 eps, free eps)
  double beta = 6.0;                 // TRADES / MART
  int64_t replays = 4;               // Free AT's m
  int64_t epochs = 10;
  std::optional<uint64_t> seed;      // default: bulwark::default_seed()
  int64_t val_steps = 10;            // robust validation: PGD steps
  bool progress = true;              // a progress bar on stderr
  std::function<void(const models::TrainProgress&)> on_batch;  // after every minibatch, if set
};

class AdversarialTrainer {
 public:
  // crafter: the attack's view of the model (its eval_mode decides the mode while crafting);
  // forward: the training forward (the caller's mode), whose graph reaches the parameters.
  AdversarialTrainer(Classifier& crafter, Forward forward, models::OptimizerHooks optimizer,
                     AdversarialTrainingOptions options);

  // Trains the remaining epochs (epoch() + 1 .. options.epochs), calling on_epoch after each
  // (e.g. to write a checkpoint). Returns the whole history.
  const std::vector<models::EpochRecord>& fit(data::BatchSource& train, data::BatchSource* validation = nullptr,
                                              const std::function<void(const models::EpochRecord&)>& on_epoch = {});
  // One epoch; the record is appended to the history.
  models::EpochRecord train_epoch(data::BatchSource& train, data::BatchSource* validation = nullptr);
  // (clean accuracy, robust accuracy under PGD) on a source, passed with `seed`.
  std::pair<double, double> validate(data::BatchSource& validation, uint64_t seed);

  int64_t epoch() const { return loop_->epoch(); }  // epochs done
  const std::vector<models::EpochRecord>& history() const { return loop_->history(); }
  const AdversarialTrainingOptions& options() const { return options_; }
  uint64_t epoch_seed(int64_t epoch) const { return loop_->epoch_seed(epoch); }

  // The trainer's own state (method, seed, history, Free AT's delta), for checkpoints: a state
  // of another method or seed, or with more epochs than this trainer's, is a FormatError.
  models::TrainerState state() const;
  void restore(const models::TrainerState& state);

 private:
  models::BatchOutcome train_batch(const at::Tensor& x, const at::Tensor& y, uint64_t seed);

  Classifier& crafter_;
  Forward forward_;
  AdversarialTrainingOptions options_;
  std::optional<models::TrainingLoop> loop_;
  std::optional<FreeAdversarialTraining> free_;
};

// One file holding the module's parameters and buffers, the optimizer's state and the
// trainer's, in bulwark's training-checkpoint format (models/training_checkpoint.h: the same file
// the Python AdversarialTrainer writes and reads); loading restores all three, so fit()
// continues where the saved run stopped, whichever language wrote it.
void save_checkpoint(const std::string& path, const torch::nn::Module& module,
                     const torch::optim::Optimizer& optimizer, const AdversarialTrainer& trainer);
void load_checkpoint(const std::string& path, torch::nn::Module& module, torch::optim::Optimizer& optimizer,
                     AdversarialTrainer& trainer);

}  // namespace bulwark::defenses
