#include <bulwark/defenses/adversarial_trainer.h>

#include <cmath>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <bulwark/attacks/pgd.h>
#include <bulwark/core/error.h>
#include <bulwark/core/probabilities.h>
#include <bulwark/core/random.h>

namespace bulwark::defenses {

namespace {

constexpr const char* kMethods[] = {"standard", "pgd", "fast", "free", "trades", "mart"};

attacks::PGDOptions pgd_options(const AdversarialTrainingOptions& o, int64_t steps, std::optional<double> step,
                                uint64_t seed) {
  attacks::PGDOptions p;
  p.eps = o.eps;
  p.norm = o.norm;
  p.steps = steps;
  p.step_size = step;
  p.random_start = true;
  p.seed = seed;
  return p;
}

std::optional<data::Batch> next_batch(data::BatchSource& source, const char* where) {
  std::optional<data::Batch> b = source.next();
  if (b) {
    BULWARK_CHECK_TYPE(b->inputs.defined() && b->labels.defined(), where,
                       ": the batch source returned an undefined tensor");
  }
  return b;
}

}  // namespace

TrainingMethod parse_training_method(const std::string& name, const char* arg) {
  for (size_t i = 0; i < std::size(kMethods); ++i) {
    if (name == kMethods[i]) return static_cast<TrainingMethod>(i);
  }
  throw InvalidArgument(detail::str(arg, " must be one of 'standard', 'pgd', 'fast', 'free', 'trades', 'mart', got '",
                                    name, "'"));
}

std::string to_string(TrainingMethod method) { return kMethods[static_cast<size_t>(method)]; }

AdversarialTrainer::AdversarialTrainer(Classifier& crafter, Forward forward, models::OptimizerHooks optimizer,
                                       AdversarialTrainingOptions options)
    : crafter_(crafter), forward_(std::move(forward)), options_(std::move(options)) {
  constexpr const char* where = "AdversarialTrainer";
  if (!options_.seed) options_.seed = default_seed();
  BULWARK_CHECK_TYPE(static_cast<bool>(forward_), where, ": forward is empty");
  BULWARK_CHECK_TYPE(static_cast<bool>(optimizer.zero_grad) && static_cast<bool>(optimizer.step), where,
                     ": optimizer.zero_grad and optimizer.step are required");
  const auto& o = options_;
  BULWARK_CHECK(std::isfinite(o.eps) && o.eps > 0, where, ": eps must be > 0, got ", o.eps);
  attacks::impl::check_positive(o.steps, where, "steps");
  BULWARK_CHECK(!o.step_size || (std::isfinite(*o.step_size) && *o.step_size > 0), where,
                ": step_size must be > 0, got ", o.step_size.value_or(0));
  BULWARK_CHECK(std::isfinite(o.beta) && o.beta >= 0, where, ": beta must be >= 0, got ", o.beta);
  attacks::impl::check_positive(o.replays, where, "replays");
  attacks::impl::check_positive(o.epochs, where, "epochs");
  attacks::impl::check_positive(o.val_steps, where, "val_steps");
  const bool linf_only = o.method == TrainingMethod::Fast || o.method == TrainingMethod::Free ||
                         o.method == TrainingMethod::TRADES;
  BULWARK_CHECK(!linf_only || o.norm == ops::Norm::Linf, where, ": method '", to_string(o.method),
                "' is L-inf only, got norm '", ops::to_string(o.norm), "'");
  if (o.method == TrainingMethod::Free) free_.emplace(o.eps, o.replays, o.step_size);
  models::TrainingLoopOptions loop;
  loop.epochs = o.epochs;
  loop.seed = *o.seed;
  loop.name = to_string(o.method);
  loop.progress = o.progress;
  loop.on_batch = o.on_batch;
  loop_.emplace(std::move(optimizer), std::move(loop));
}

models::BatchOutcome AdversarialTrainer::train_batch(const at::Tensor& x, const at::Tensor& y, uint64_t seed) {
  const auto& o = options_;
  const models::OptimizerHooks& optimizer = loop_->optimizer();
  if (o.method == TrainingMethod::Free) {
    crafter_.check_input(x, "AdversarialTrainer.fit");
    const FreeReplays r = free_->train_batch(forward_, optimizer, crafter_.bounds(), x, y);
    return {r.loss_sum, r.correct, r.replays * x.size(0), r.replays};
  }
  if (o.method == TrainingMethod::Standard) {
    crafter_.check_input(x, "AdversarialTrainer.fit");
    return models::standard_step(forward_, optimizer, x, y);
  }
  AdversarialLoss r;
  switch (o.method) {
    case TrainingMethod::PGD:
      r = pgd_at_loss(crafter_, forward_, x, y, pgd_options(o, o.steps, o.step_size, seed));
      break;
    case TrainingMethod::Fast:
      r = fast_at_loss(crafter_, forward_, x, y, o.eps, o.step_size, seed);
      break;
    case TrainingMethod::TRADES: {
      TradesOptions t;
      t.eps = o.eps;
      t.steps = o.steps;
      t.step_size = o.step_size;
      t.beta = o.beta;
      t.seed = seed;
      r = trades_loss(crafter_, forward_, x, y, t);
      break;
    }
    case TrainingMethod::MART:
      r = mart_loss(crafter_, forward_, x, y, pgd_options(o, o.steps, o.step_size, seed), o.beta);
      break;
    case TrainingMethod::Standard:
    case TrainingMethod::Free:
      break;
  }
  const double loss = models::optimizer_update(optimizer, r.loss, "AdversarialTrainer.fit");
  at::NoGradGuard no_grad;
  return {loss, r.logits_adv.argmax(1).eq(y).sum().item<int64_t>(), x.size(0), 1};
}

models::EpochRecord AdversarialTrainer::train_epoch(data::BatchSource& train, data::BatchSource* validation) {
  models::TrainingLoop::Validate validate;
  if (validation != nullptr) validate = [this, validation](uint64_t seed) { return this->validate(*validation, seed); };
  return loop_->run_epoch(
      train, [this](const at::Tensor& x, const at::Tensor& y, uint64_t seed) { return train_batch(x, y, seed); },
      validate);
}

std::pair<double, double> AdversarialTrainer::validate(data::BatchSource& validation, uint64_t seed) {
  constexpr const char* where = "AdversarialTrainer.validate";
  validation.begin_epoch(seed);
  int64_t n = 0, clean = 0, robust = 0, b = 0;
  while (std::optional<data::Batch> batch = next_batch(validation, where)) {
    const at::Tensor& x = batch->inputs;
    const at::Tensor y = batch->labels.to(x.device());
    const at::Tensor ok = crafter_.predict(x).eq(y);
    const at::Tensor x_adv =
        attacks::PGD(pgd_options(options_, options_.val_steps, std::nullopt, derive_seed(seed, b++)))(crafter_, x, y);
    const at::Tensor held = ok.logical_and(crafter_.predict(x_adv).eq(y));
    n += x.size(0);
    clean += ok.sum().item<int64_t>();
    robust += held.sum().item<int64_t>();
  }
  BULWARK_CHECK(n > 0, where, ": the validation batch source is empty");
  return {static_cast<double>(clean) / static_cast<double>(n), static_cast<double>(robust) / static_cast<double>(n)};
}

const std::vector<models::EpochRecord>& AdversarialTrainer::fit(
    data::BatchSource& train, data::BatchSource* validation,
    const std::function<void(const models::EpochRecord&)>& on_epoch) {
  while (epoch() < options_.epochs) {
    const models::EpochRecord rec = train_epoch(train, validation);
    if (on_epoch) on_epoch(rec);
  }
  return history();
}

models::TrainerState AdversarialTrainer::state() const {
  models::TrainerState s;
  s.method = to_string(options_.method);
  s.seed = *options_.seed;
  s.history = history();
  if (free_) s.free_delta = free_->delta();
  return s;
}

void AdversarialTrainer::restore(const models::TrainerState& s) {
  constexpr const char* where = "AdversarialTrainer.restore";
  BULWARK_CHECK_AS(FormatError, s.method == to_string(options_.method), where, ": the checkpoint is of method '",
                   s.method, "', this trainer runs '", to_string(options_.method), "'");
  BULWARK_CHECK_AS(FormatError, s.seed == *options_.seed, where, ": the checkpoint was trained with seed ", s.seed,
                   ", this trainer has seed ", *options_.seed);
  BULWARK_CHECK_AS(FormatError, static_cast<int64_t>(s.history.size()) <= options_.epochs, where, ": the checkpoint has ",
                   s.history.size(), " epochs done, more than epochs = ", options_.epochs);
  loop_->set_history(s.history);
  if (free_) free_->set_delta(s.free_delta.defined() && s.free_delta.numel() > 0 ? s.free_delta : at::Tensor());
}

void save_checkpoint(const std::string& path, const torch::nn::Module& module,
                     const torch::optim::Optimizer& optimizer, const AdversarialTrainer& trainer) {
  models::TrainingCheckpoint c;
  c.model = models::module_state(module);
  c.optimizer = models::optimizer_state(optimizer);
  c.trainer = trainer.state();
  models::write_training_checkpoint(path, c);
}

void load_checkpoint(const std::string& path, torch::nn::Module& module, torch::optim::Optimizer& optimizer,
                     AdversarialTrainer& trainer) {
  models::TrainingCheckpoint c = models::read_training_checkpoint(path);
  const std::string where = detail::str("load_checkpoint: '", path, "'");
  const auto params = module.parameters();
  if (c.trainer.free_delta.defined() && !params.empty()) {
    c.trainer.free_delta = c.trainer.free_delta.to(params.front().device());
  }
  trainer.restore(c.trainer);  // first: it checks the method and the seed
  models::load_module_state(module, c.model, where);
  models::load_optimizer_state(optimizer, c.optimizer, where);
}

}  // namespace bulwark::defenses
