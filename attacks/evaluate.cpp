#include <bulwark/attacks/evaluate.h>

#include <chrono>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/progress.h>
#include <bulwark/losses/classification.h>

namespace bulwark::attacks {

namespace {
double fraction(const at::Tensor& b) {
  return b.numel() == 0 ? 0.0 : b.to(at::kDouble).mean().item<double>();
}

}  // namespace

double Evaluation::clean_accuracy() const { return fraction(correct); }
double Evaluation::robust_accuracy(size_t attack) const {
  BULWARK_CHECK(attack < names.size(), "Evaluation.robust_accuracy: attack index ", attack,
                " out of range for ", names.size(), " attacks");
  return fraction(robust[static_cast<int64_t>(attack)]);
}
double Evaluation::worst_case_accuracy() const { return fraction(worst_case); }

Evaluation evaluate(Classifier& model, const at::Tensor& x, const at::Tensor& y,
                    const std::vector<NamedAttack>& attacks, const EvaluateOptions& options) {
  constexpr const char* where = "evaluate";
  using clock = std::chrono::steady_clock;
  BULWARK_CHECK(options.batch_size >= 1, where, ": batch_size must be >= 1, got ",
                options.batch_size);
  BULWARK_CHECK(!attacks.empty(), where, ": attacks is empty");
  for (const auto& [name, attack] : attacks) {
    BULWARK_CHECK(attack != nullptr, where, ": attack '", name, "' is null");
    BULWARK_CHECK(!attack->targeted(), where, ": attack '", name,
                  "' is targeted; robust accuracy needs untargeted attacks");
  }
  model.check_input(x, where);
  losses::check_labels(y, x.size(0), model.knows_num_classes() ? model.num_classes() : -1, where);
  BULWARK_CHECK(y.device() == x.device(), where, ": y is on ", y.device(), " but x is on ",
                x.device());

  const int64_t n = x.size(0), a = static_cast<int64_t>(attacks.size());
  const auto bopts = x.options().dtype(at::kBool);
  Evaluation ev;
  for (const auto& named : attacks) ev.names.push_back(named.first);
  ev.correct = at::zeros({n}, bopts);
  ev.robust = at::zeros({a, n}, bopts);
  ev.seconds.assign(a, 0.0);
  ev.queries.assign(a, QueryCounts{});
  Progress bar("evaluate", n, options.progress);
  for (int64_t start = 0; start < n; start += options.batch_size) {
    const int64_t len = std::min(options.batch_size, n - start);
    const at::Tensor xb = x.narrow(0, start, len), yb = y.narrow(0, start, len);
    at::Tensor correct;
    {
      at::NoGradGuard no_grad;
      correct = model.predict(xb).eq(yb);
    }
    ev.correct.narrow(0, start, len).copy_(correct);
    const at::Tensor rows = correct.nonzero().squeeze(1);
    for (int64_t i = 0; i < a; ++i) {
      at::Tensor robust = correct.clone();
      if (rows.numel() > 0) {
        const auto t0 = clock::now();
        const QueryMeter meter;
        const at::Tensor xr = xb.index_select(0, rows), yr = yb.index_select(0, rows);
        const at::Tensor adv = (*attacks[i].second)(model, xr, yr);
        at::NoGradGuard no_grad;
        robust.index_copy_(0, rows, model.predict(adv).eq(yr));
        ev.queries[i] += meter.counts();
        ev.seconds[i] += std::chrono::duration<double>(clock::now() - t0).count();
      }
      ev.robust[i].narrow(0, start, len).copy_(robust);
    }
    bar.update(start + len);
    if (options.on_batch) options.on_batch(start + len, n);
  }
  bar.finish();
  ev.worst_case = ev.robust.all(0);
  return ev;
}

Evaluation evaluate(Classifier& model, data::BatchSource& data, const std::vector<NamedAttack>& attacks,
                    const EvaluateOptions& options) {
  std::vector<Evaluation> parts;
  int64_t seen = 0;
  EvaluateOptions batch = options;  // a progress bar per batch: the pass's length is unknown
  data.begin_epoch(0);
  while (auto b = data.next()) {
    if (options.on_batch) {
      batch.on_batch = [&](int64_t done, int64_t) { options.on_batch(seen + done, -1); };
    }
    parts.push_back(evaluate(model, b->inputs, b->labels, attacks, batch));
    seen += b->inputs.size(0);
  }
  BULWARK_CHECK(!parts.empty(), "evaluate: data is empty");
  Evaluation ev;
  ev.names = parts.front().names;
  std::vector<at::Tensor> correct, robust;
  for (const Evaluation& p : parts) {
    correct.push_back(p.correct);
    robust.push_back(p.robust);
  }
  ev.correct = at::cat(correct);
  ev.robust = at::cat(robust, 1);
  ev.worst_case = ev.robust.all(0);
  ev.seconds.assign(ev.names.size(), 0.0);
  ev.queries.assign(ev.names.size(), QueryCounts{});
  for (const Evaluation& p : parts) {
    for (size_t i = 0; i < ev.names.size(); ++i) {
      ev.seconds[i] += p.seconds[i];
      ev.queries[i] += p.queries[i];
    }
  }
  return ev;
}

}  // namespace bulwark::attacks
