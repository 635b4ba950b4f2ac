#include <bulwark/defenses/adversarial_losses.h>

#include <cmath>

#include <ATen/ATen.h>

#include <bulwark/attacks/fgsm.h>
#include <bulwark/core/error.h>
#include <bulwark/core/random.h>
#include <bulwark/losses/classification.h>
#include <bulwark/ops/projection.h>
#include <bulwark/ops/steps.h>

namespace bulwark::defenses {

namespace {

at::Tensor training_logits(const Forward& forward, const at::Tensor& x, const char* where) {
  BULWARK_CHECK_TYPE(static_cast<bool>(forward), where, ": forward is empty");
  at::Tensor z = forward(x);
  BULWARK_CHECK_SHAPE(z.defined() && z.dim() == 2 && z.size(0) == x.size(0), where,
                      ": forward must return logits (N, K) for N = ", x.size(0));
  return z;
}

void check_batch(Classifier& crafter, const at::Tensor& x, const at::Tensor& y, const char* where) {
  crafter.check_input(x, where);
  BULWARK_CHECK_TYPE(y.defined() && !at::isFloatingType(y.scalar_type()), where, ": y must hold integer labels");
  BULWARK_CHECK_SHAPE(y.dim() == 1 && y.size(0) == x.size(0), where, ": y must have shape (N,) = (", x.size(0),
                      ",), got ", y.sizes());
}

// sum_i KL(p_i || q_i) from log-probabilities (p the clean, q the adversarial distribution).
at::Tensor kl_rows(const at::Tensor& log_p, const at::Tensor& log_q) {
  return (log_p.exp() * (log_p - log_q)).sum(1);
}

}  // namespace

AdversarialLoss pgd_at_loss(Classifier& crafter, const Forward& forward, const at::Tensor& x, const at::Tensor& y,
                            const attacks::PGDOptions& attack) {
  attacks::PGDOptions o = attack;
  o.targeted = false;
  o.loss = losses::Loss::CrossEntropy;
  attacks::PGD pgd(o);
  return pgd_at_loss(crafter, forward, x, y, pgd);
}

AdversarialLoss pgd_at_loss(Classifier& crafter, const Forward& forward, const at::Tensor& x, const at::Tensor& y,
                            attacks::Attack& attack) {
  constexpr const char* where = "pgd_at_loss";
  check_batch(crafter, x, y, where);
  BULWARK_CHECK(!attack.targeted(), where, ": the attack must be untargeted, got ", attack.repr());
  const at::Tensor x_adv = attack(crafter, x.detach(), y).detach();
  const at::Tensor z = training_logits(forward, x_adv, where);
  return {at::cross_entropy_loss(z, y), x_adv, z};
}

AdversarialLoss fast_at_loss(Classifier& crafter, const Forward& forward, const at::Tensor& x, const at::Tensor& y,
                             double eps, std::optional<double> step_size, std::optional<uint64_t> seed) {
  constexpr const char* where = "fast_at_loss";
  check_batch(crafter, x, y, where);
  attacks::FGSMOptions o;
  o.eps = eps;
  o.random_start = true;  // Wong et al.: uniform start, step 1.25 eps (the FGSM default then)
  o.step_size = step_size;
  o.seed = seed;
  const at::Tensor x_adv = attacks::FGSM(o)(crafter, x.detach(), y).detach();
  const at::Tensor z = training_logits(forward, x_adv, where);
  return {at::cross_entropy_loss(z, y), x_adv, z};
}

AdversarialLoss trades_loss(Classifier& crafter, const Forward& forward, const at::Tensor& x, const at::Tensor& y,
                            const TradesOptions& o) {
  constexpr const char* where = "trades_loss";
  check_batch(crafter, x, y, where);
  BULWARK_CHECK(std::isfinite(o.eps) && o.eps > 0, where, ": eps must be > 0, got ", o.eps);
  attacks::impl::check_positive(o.steps, where, "steps");
  BULWARK_CHECK(std::isfinite(o.beta) && o.beta >= 0, where, ": beta must be >= 0, got ", o.beta);
  const double step = o.step_size.value_or(o.eps / 4);
  BULWARK_CHECK(std::isfinite(step) && step > 0, where, ": step_size must be > 0, got ", step);
  const at::Tensor x0 = x.detach();
  at::Tensor x_adv;
  {
    // Inner maximisation: x' maximising KL(p(x) || p(x')) in the L-inf ball, from x + 0.001 N(0, I).
    at::Tensor log_p_clean;
    {
      at::NoGradGuard no_grad;
      log_p_clean = at::log_softmax(crafter.logits(x0), 1);
    }
    at::Generator g = make_generator(o.seed.value_or(default_seed()));
    const at::Tensor lower = at::clamp_min(x0 - o.eps, crafter.bounds().lower);
    const at::Tensor upper = at::clamp_max(x0 + o.eps, crafter.bounds().upper);
    x_adv = at::max(at::min(x0 + 0.001 * at::randn(x0.sizes(), g, x0.options().device(at::kCPU)).to(x0.device()),
                            upper), lower);
    Classifier::TrustedInputs trusted(crafter);
    const LossFn kl = [&](const at::Tensor& z) { return kl_rows(log_p_clean, at::log_softmax(z, 1)); };
    for (int64_t t = 0; t < o.steps; ++t) {
      const LogitsAndGrad r = crafter.logits_and_grad(x_adv, kl);
      x_adv = ops::linf_sign_step(x_adv, r.grad, step, lower, upper);
    }
  }
  const at::Tensor z_clean = training_logits(forward, x0, where);
  const at::Tensor z_adv = training_logits(forward, x_adv, where);
  const at::Tensor natural = at::cross_entropy_loss(z_clean, y);
  const at::Tensor robust = kl_rows(at::log_softmax(z_clean, 1), at::log_softmax(z_adv, 1)).mean();
  return {natural + o.beta * robust, x_adv.detach(), z_adv};
}

AdversarialLoss mart_loss(Classifier& crafter, const Forward& forward, const at::Tensor& x, const at::Tensor& y,
                          const attacks::PGDOptions& attack, double beta) {
  attacks::PGDOptions o = attack;
  o.targeted = false;
  o.loss = losses::Loss::CrossEntropy;
  attacks::PGD pgd(o);
  return mart_loss(crafter, forward, x, y, pgd, beta);
}

AdversarialLoss mart_loss(Classifier& crafter, const Forward& forward, const at::Tensor& x, const at::Tensor& y,
                          attacks::Attack& attack, double beta) {
  constexpr const char* where = "mart_loss";
  check_batch(crafter, x, y, where);
  BULWARK_CHECK(std::isfinite(beta) && beta >= 0, where, ": beta must be >= 0, got ", beta);
  BULWARK_CHECK(!attack.targeted(), where, ": the attack must be untargeted, got ", attack.repr());
  const at::Tensor x_adv = attack(crafter, x.detach(), y).detach();
  const at::Tensor z_clean = training_logits(forward, x.detach(), where);
  const at::Tensor z_adv = training_logits(forward, x_adv, where);
  const at::Tensor yl = y.to(at::kLong).unsqueeze(1);
  const at::Tensor adv_probs = at::softmax(z_adv, 1);
  // The most likely wrong class under attack.
  const at::Tensor top2 = std::get<1>(adv_probs.topk(2, 1));
  const at::Tensor new_y = at::where(top2.select(1, 0) == y, top2.select(1, 1), top2.select(1, 0));
  const at::Tensor boosted = at::cross_entropy_loss(z_adv, y) +
                             at::nll_loss(at::log(1.0001 - adv_probs + 1e-12), new_y);
  const at::Tensor nat_probs = at::softmax(z_clean, 1);
  const at::Tensor true_probs = nat_probs.gather(1, yl).squeeze(1);
  // KLDivLoss(log(q + 1e-12), p) summed over classes, p log p taken as 0 at p = 0 (xlogy).
  const at::Tensor kl = (at::xlogy(nat_probs, nat_probs) - nat_probs * at::log(adv_probs + 1e-12)).sum(1);
  const at::Tensor robust = (kl * (1.0000001 - true_probs)).mean();
  return {boosted + beta * robust, x_adv, z_adv};
}

}  // namespace bulwark::defenses
