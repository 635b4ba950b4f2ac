#pragma once
// Losses for adversarial training inside the caller's own training loop: one call per batch,
// returning a scalar loss whose graph reaches the model's parameters (call backward() and step
// the optimizer as usual).
//   pgd_at_loss  (Madry et al. 2018):  CE(f(x'), y), x' = PGD maximising CE in the eps-ball.
//   fast_at_loss (Wong, Rice & Kolter 2020): the same with x' = one FGSM step of 1.25 eps from
//                a uniform random start ("fast is better than free").
//   trades_loss  (Zhang et al. 2019):  CE(f(x), y) + beta * KL(p(x) || p(x')) (batch mean), x'
//                maximising the KL by PGD from x + 0.001 N(0, I), as the authors' code.
//   mart_loss    (Wang et al. 2020):   BCE(p(x'), y) + beta * mean_i KL(p(x_i) || p(x'_i)) (1 - p_y(x_i)),
//                BCE = CE(f(x'), y) - log(1 - max_{k != y} p_k(x')), x' from PGD on CE (the
//                authors' code, including its 1e-12 and 1.0001 guards).
// Two views of the model: `crafter`, the Classifier the attack queries — its eval_mode option
// decides the mode while crafting (true, the usual choice: batch-norm running statistics are
// used and not updated by attack iterates, dropout is off) — and `forward`, the training
// forward in whatever mode the caller set, whose outputs carry the graph. Crafting never
// changes the model (parameters, gradients, modes are as they were).

#include <cstdint>
#include <functional>
#include <optional>

#include <ATen/core/Tensor.h>

#include <bulwark/attacks/pgd.h>
#include <bulwark/core/classifier.h>

namespace bulwark::defenses {

using Forward = std::function<at::Tensor(const at::Tensor&)>;

struct AdversarialLoss {
  at::Tensor loss;        // scalar, with the graph to the parameters
  at::Tensor x_adv;       // the crafted inputs (detached)
  at::Tensor logits_adv;  // forward(x_adv), with the graph
};

AdversarialLoss pgd_at_loss(Classifier& crafter, const Forward& forward, const at::Tensor& x, const at::Tensor& y,
                            const attacks::PGDOptions& attack);
// The same with x' from any untargeted attack object (APGD, MI-FGSM, ...). The object keeps its
// own seed, so a random start repeats from batch to batch; the options form seeds per call.
AdversarialLoss pgd_at_loss(Classifier& crafter, const Forward& forward, const at::Tensor& x, const at::Tensor& y,
                            attacks::Attack& attack);

AdversarialLoss fast_at_loss(Classifier& crafter, const Forward& forward, const at::Tensor& x, const at::Tensor& y,
                             double eps, std::optional<double> step_size = std::nullopt,
                             std::optional<uint64_t> seed = std::nullopt);

struct TradesOptions {
  double eps = 0.1;
  int64_t steps = 10;
  std::optional<double> step_size;  // default eps / 4 (the authors' 0.007 for eps 0.031)
  double beta = 6.0;
  std::optional<uint64_t> seed;
};
AdversarialLoss trades_loss(Classifier& crafter, const Forward& forward, const at::Tensor& x, const at::Tensor& y,
                            const TradesOptions& options);

AdversarialLoss mart_loss(Classifier& crafter, const Forward& forward, const at::Tensor& x, const at::Tensor& y,
                          const attacks::PGDOptions& attack, double beta = 6.0);
AdversarialLoss mart_loss(Classifier& crafter, const Forward& forward, const at::Tensor& x, const at::Tensor& y,
                          attacks::Attack& attack, double beta = 6.0);

}  // namespace bulwark::defenses
