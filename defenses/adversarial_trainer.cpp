#include <bulwark/defenses/adversarial_trainer.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <bulwark/attacks/pgd.h>
#include <bulwark/core/error.h>
#include <bulwark/core/probabilities.h>
#include <bulwark/core/progress.h>
#include <bulwark/core/random.h>
#include <bulwark/models/checkpoint.h>

namespace bulwark::defenses {

namespace {

constexpr const char* kMethods[] = {"standard", "pgd", "fast", "free", "trades", "mart"};
constexpr int64_t kRecordFields = 7;

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

AdversarialTrainer::AdversarialTrainer(Classifier& crafter, Forward forward, OptimizerHooks optimizer,
                                       AdversarialTrainingOptions options)
    : crafter_(crafter), forward_(std::move(forward)), optimizer_(std::move(optimizer)), options_(std::move(options)) {
  constexpr const char* where = "AdversarialTrainer";
  if (!options_.seed) options_.seed = default_seed();
  BULWARK_CHECK_TYPE(static_cast<bool>(forward_), where, ": forward is empty");
  BULWARK_CHECK_TYPE(static_cast<bool>(optimizer_.zero_grad) && static_cast<bool>(optimizer_.step), where,
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
}

uint64_t AdversarialTrainer::epoch_seed(int64_t epoch) const {
  return derive_seed(*options_.seed, static_cast<uint64_t>(epoch));
}

AdversarialTrainer::BatchResult AdversarialTrainer::train_batch(const at::Tensor& x, const at::Tensor& y,
                                                                uint64_t seed) {
  const auto& o = options_;
  if (o.method == TrainingMethod::Free) {
    crafter_.check_input(x, "AdversarialTrainer.fit");
    const FreeReplays r = free_->train_batch(forward_, optimizer_, crafter_.bounds(), x, y);
    return {r.loss_sum, r.correct, r.replays * x.size(0), r.replays};
  }
  AdversarialLoss r;
  switch (o.method) {
    case TrainingMethod::Standard: {
      crafter_.check_input(x, "AdversarialTrainer.fit");
      const at::Tensor z = forward_(x);
      BULWARK_CHECK_SHAPE(z.defined() && z.dim() == 2 && z.size(0) == x.size(0),
                          "AdversarialTrainer.fit: forward must return logits (N, K) for N = ", x.size(0));
      r = {at::cross_entropy_loss(z, y), x, z};
      break;
    }
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
    case TrainingMethod::Free:
      break;
  }
  check_finite(r.loss, "AdversarialTrainer.fit", "the training loss");  // before the step
  optimizer_.zero_grad();
  r.loss.backward();
  optimizer_.step();
  at::NoGradGuard no_grad;
  return {r.loss.item<double>(), r.logits_adv.argmax(1).eq(y).sum().item<int64_t>(), x.size(0), 1};
}

EpochRecord AdversarialTrainer::train_epoch(data::BatchSource& train, data::BatchSource* validation) {
  constexpr const char* where = "AdversarialTrainer.fit";
  torch::autograd::AutoGradMode grad_on(true);  // also when called under no_grad
  const int64_t e = epoch();
  const uint64_t seed = epoch_seed(e);
  const int64_t batches = train.batches();
  const auto start = std::chrono::steady_clock::now();
  train.begin_epoch(seed);
  Progress bar(detail::str(to_string(options_.method), " epoch ", e + 1, "/", options_.epochs), batches,
               options_.progress);
  double loss_sum = 0;
  int64_t updates = 0, correct = 0, examples = 0, b = 0;
  while (std::optional<data::Batch> batch = next_batch(train, where)) {
    if (optimizer_.schedule) {
      optimizer_.schedule(static_cast<double>(e) +
                          (batches > 0 ? static_cast<double>(b) / static_cast<double>(batches) : 0.0));
    }
    BatchResult r;
    try {
      r = train_batch(batch->inputs, batch->labels, derive_seed(seed, static_cast<uint64_t>(b)));
    } catch (const NonFiniteError& err) {
      // A diverged model: stop at once, its weights as after the last finite step (and the last
      // checkpoint, which a caller writes per epoch, intact), rather than train on NaN.
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
    bar.update(b, detail::str("loss ", mean_loss, " acc ", static_cast<double>(correct) / static_cast<double>(examples)));
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
  if (validation) std::tie(rec.clean_accuracy, rec.robust_accuracy) = validate(*validation, derive_seed(seed, ~0ULL));
  history_.push_back(rec);
  return rec;
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

const std::vector<EpochRecord>& AdversarialTrainer::fit(data::BatchSource& train, data::BatchSource* validation,
                                                        const std::function<void(const EpochRecord&)>& on_epoch) {
  while (epoch() < options_.epochs) {
    const EpochRecord rec = train_epoch(train, validation);
    if (on_epoch) on_epoch(rec);
  }
  return history_;
}

void AdversarialTrainer::set_history(std::vector<EpochRecord> history) {
  for (size_t i = 0; i < history.size(); ++i) {
    BULWARK_CHECK(history[i].epoch == static_cast<int64_t>(i) + 1, "AdversarialTrainer.set_history: record ", i,
                  " must be epoch ", i + 1, ", got ", history[i].epoch);
  }
  history_ = std::move(history);
}

at::Tensor AdversarialTrainer::free_delta() const { return free_ ? free_->delta() : at::Tensor(); }

void AdversarialTrainer::set_free_delta(at::Tensor delta) {
  if (free_) free_->set_delta(std::move(delta));
}

void AdversarialTrainer::save(torch::serialize::OutputArchive& archive) const {
  at::Tensor h = at::empty({epoch(), kRecordFields}, at::kDouble);
  auto a = h.accessor<double, 2>();
  for (int64_t i = 0; i < epoch(); ++i) {
    const EpochRecord& r = history_[static_cast<size_t>(i)];
    const double row[kRecordFields] = {static_cast<double>(r.epoch), r.train_loss, r.train_accuracy, r.clean_accuracy,
                                       r.robust_accuracy, r.lr, r.seconds};
    for (int64_t j = 0; j < kRecordFields; ++j) a[i][j] = row[j];
  }
  archive.write("history", h, /*is_buffer=*/true);
  archive.write("method", at::tensor(static_cast<int64_t>(options_.method)), true);
  archive.write("seed", at::tensor(static_cast<int64_t>(*options_.seed)), true);
  const at::Tensor delta = free_delta();
  archive.write("free_delta", delta.defined() ? delta.cpu() : at::empty({0}), true);
}

void AdversarialTrainer::load(torch::serialize::InputArchive& archive) {
  constexpr const char* where = "AdversarialTrainer.load";
  at::Tensor h, method, seed, delta;
  archive.read("history", h, true);
  archive.read("method", method, true);
  archive.read("seed", seed, true);
  archive.read("free_delta", delta, true);
  BULWARK_CHECK_AS(FormatError, method.item<int64_t>() == static_cast<int64_t>(options_.method), where,
                   ": the checkpoint is of method '", to_string(static_cast<TrainingMethod>(method.item<int64_t>())),
                   "', this trainer runs '", to_string(options_.method), "'");
  BULWARK_CHECK_AS(FormatError, seed.item<int64_t>() == static_cast<int64_t>(*options_.seed), where,
                   ": the checkpoint was trained with seed ", seed.item<int64_t>(), ", this trainer has seed ",
                   *options_.seed);
  BULWARK_CHECK_AS(FormatError, h.dim() == 2 && h.size(1) == kRecordFields, where, ": malformed history");
  std::vector<EpochRecord> history;
  const at::Tensor hd = h.to(at::kDouble).contiguous();
  auto a = hd.accessor<double, 2>();
  for (int64_t i = 0; i < hd.size(0); ++i) {
    EpochRecord r;
    r.epoch = static_cast<int64_t>(a[i][0]);
    r.train_loss = a[i][1];
    r.train_accuracy = a[i][2];
    r.clean_accuracy = a[i][3];
    r.robust_accuracy = a[i][4];
    r.lr = a[i][5];
    r.seconds = a[i][6];
    history.push_back(r);
  }
  set_history(std::move(history));
  set_free_delta(delta.numel() > 0 ? delta : at::Tensor());
}

namespace fs = std::filesystem;

void save_checkpoint(const std::string& path, const torch::nn::Module& module,
                     const torch::optim::Optimizer& optimizer, const AdversarialTrainer& trainer) {
  torch::serialize::OutputArchive root, m, o, t;
  module.save(m);
  optimizer.save(o);
  trainer.save(t);
  root.write("model", m);
  root.write("optimizer", o);
  root.write("trainer", t);
  models::save_archive(root, path, "save_checkpoint");
}

void load_checkpoint(const std::string& path, torch::nn::Module& module, torch::optim::Optimizer& optimizer,
                     AdversarialTrainer& trainer) {
  BULWARK_CHECK_AS(FileError, fs::is_regular_file(path), "load_checkpoint: '", path, "' is not a file");
  try {
    torch::serialize::InputArchive root, m, o, t;
    root.load_from(path);
    root.read("model", m);
    root.read("optimizer", o);
    root.read("trainer", t);
    module.load(m);
    optimizer.load(o);
    trainer.load(t);
  } catch (const c10::Error& e) {
    throw FormatError(detail::str("load_checkpoint: '", path, "' is not an adversarial-training checkpoint of this ",
                                  module.name(), ": ", e.what_without_backtrace()));
  }
}

}  // namespace bulwark::defenses
