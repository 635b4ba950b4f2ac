#include <bulwark/attacks/attack.h>

#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/losses/classification.h>

namespace bulwark::attacks {

at::Tensor Attack::checked_perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y,
                                   const std::string& where) {
  model.check_input(x, where.c_str());
  const int64_t k = model.knows_num_classes() ? model.num_classes() : -1;
  losses::check_labels(y, x.size(0), k, where.c_str());
  BULWARK_CHECK(y.device() == x.device(), where, ": y is on ", y.device(), " but x is on ",
                x.device());
  at::Tensor x_adv;
  {
    // x is checked; every point an attack queries lies in the box by construction.
    Classifier::TrustedInputs trusted(model);
    x_adv = perturb(model, x.detach(), y);
  }
  BULWARK_ASSERT(x_adv.sizes().equals(x.sizes()) && x_adv.scalar_type() == x.scalar_type() &&
                 x_adv.device() == x.device());
  return x_adv.detach();
}

at::Tensor Attack::operator()(Classifier& model, const at::Tensor& x, const at::Tensor& y) {
  return checked_perturb(model, x, y, name() + ".__call__");
}

AttackResult Attack::run(Classifier& model, const at::Tensor& x, const at::Tensor& y) {
  const QueryMeter meter;  // this call's queries, not those of other threads on the same model
  AttackResult r;
  r.x_adv = checked_perturb(model, x, y, name() + ".run");
  const at::Tensor pred = model.predict(r.x_adv);
  r.success = goal_reached(pred, y, targeted());
  r.norm = ops::per_sample_norm(r.x_adv - x.detach(), norm());
  r.queries = meter.counts();
  return r;
}

LogitsAndGrad expected_logits_and_grad(Classifier& model, const at::Tensor& x, const LossFn& loss,
                                       int64_t samples) {
  LogitsAndGrad mean = model.logits_and_grad(x, loss);
  if (samples <= 1) return mean;
  for (int64_t s = 1; s < samples; ++s) {
    const LogitsAndGrad r = model.logits_and_grad(x, loss);
    mean.logits.add_(r.logits);
    mean.loss = mean.loss + r.loss;
    mean.grad.add_(r.grad);
  }
  const double inv = 1.0 / static_cast<double>(samples);
  mean.logits.mul_(inv);
  mean.loss = mean.loss * inv;
  mean.grad.mul_(inv);
  return mean;
}

at::Tensor goal_reached(const at::Tensor& pred, const at::Tensor& y, bool targeted) {
  return targeted ? pred.eq(y) : pred.ne(y);
}

namespace impl {
void check_eps(double eps, const char* who) {
  BULWARK_CHECK(std::isfinite(eps) && eps >= 0, who, ": eps must be finite and >= 0, got ", eps);
}
void check_positive(int64_t value, const char* who, const char* arg) {
  BULWARK_CHECK(value >= 1 && value <= kMaxCount, who, ": ", arg, " must be in [1, ", kMaxCount, "], got ", value,
                value > kMaxCount ? " (more can only be a mistake: it would run for days)" : "");
}
void check_norm(ops::Norm norm, const char* who, bool allow_l1) {
  BULWARK_CHECK(allow_l1 || norm != ops::Norm::L1, who,
                ": norm must be 'linf' or 'l2', got 'l1'");
}
}  // namespace impl

}  // namespace bulwark::attacks
