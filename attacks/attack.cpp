#include <bulwark/attacks/attack.h>

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
  at::Tensor x_adv = perturb(model, x.detach(), y);
  BULWARK_ASSERT(x_adv.sizes().equals(x.sizes()) && x_adv.scalar_type() == x.scalar_type() &&
                 x_adv.device() == x.device());
  return x_adv.detach();
}

at::Tensor Attack::operator()(Classifier& model, const at::Tensor& x, const at::Tensor& y) {
  return checked_perturb(model, x, y, name() + ".__call__");
}

AttackResult Attack::run(Classifier& model, const at::Tensor& x, const at::Tensor& y) {
  const QueryCounts before = model.queries();
  AttackResult r;
  r.x_adv = checked_perturb(model, x, y, name() + ".run");
  const at::Tensor pred = model.predict(r.x_adv);
  r.success = targeted() ? pred.eq(y) : pred.ne(y);
  r.norm = ops::per_sample_norm(r.x_adv - x.detach(), norm());
  const QueryCounts after = model.queries();
  r.queries = {after.forward_calls - before.forward_calls,
               after.forward_samples - before.forward_samples,
               after.backward_calls - before.backward_calls,
               after.backward_samples - before.backward_samples};
  return r;
}

}  // namespace bulwark::attacks
