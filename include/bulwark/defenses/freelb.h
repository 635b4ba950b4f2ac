#pragma once
// FreeLB (Zhu et al. 2020, "FreeLB: Enhanced Adversarial Training for Natural Language
// Understanding"): adversarial training in the input-embedding space of a text model. K ascent
// steps on a perturbation delta of the token embeddings (L2 over each example's tokens x
// dimensions, padding excluded), from a uniform start of magnitude init_mag / sqrt(tokens * D);
// each step's forward adds CE(f(E + delta_t), y) / K to the loss, so one backward gives the
// parameters the gradient averaged over the K perturbations (the "free large batch"). As the
// authors' code: delta_{t+1} = delta_t + step_size * g / ||g||_2, then rescaled to max_norm when
// it is larger (max_norm 0: no projection).

#include <cstdint>
#include <functional>
#include <optional>

#include <ATen/core/Tensor.h>

#include <bulwark/defenses/adversarial_losses.h>

namespace bulwark::defenses {

// ids (N, L) int64 -> embeddings (N, L, D), with the graph to the embedding weights.
using Embed = std::function<at::Tensor(const at::Tensor& ids)>;
// (embeddings (N, L, D), mask (N, L), 1 for tokens and 0 for padding) -> logits (N, K).
using ForwardEmbedded = std::function<at::Tensor(const at::Tensor& embeddings, const at::Tensor& mask)>;

struct FreeLBOptions {
  int64_t steps = 3;          // K
  double step_size = 0.1;     // adv_lr
  double init_mag = 0.1;      // adv_init_mag (0: start from delta = 0)
  double max_norm = 0.0;      // adv_max_norm (0: unconstrained, the authors' default)
  std::optional<uint64_t> seed;  // the random start; default bulwark::default_seed()
};

// The loss (mean over the K steps, with the graph), delta_K as x_adv (N, L, D) and the last
// step's logits. ids' padding is id 0 (the mask is ids != 0).
AdversarialLoss freelb_loss(const Embed& embed, const ForwardEmbedded& forward_embedded, const at::Tensor& ids,
                            const at::Tensor& y, const FreeLBOptions& options = {});

}  // namespace bulwark::defenses
