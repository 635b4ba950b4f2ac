#include <bulwark/defenses/freelb.h>

#include <cmath>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>

#include <bulwark/attacks/attack.h>
#include <bulwark/core/error.h>
#include <bulwark/core/random.h>

namespace bulwark::defenses {

AdversarialLoss freelb_loss(const Embed& embed, const ForwardEmbedded& forward_embedded, const at::Tensor& ids,
                            const at::Tensor& y, const FreeLBOptions& o) {
  constexpr const char* where = "freelb_loss";
  BULWARK_CHECK_TYPE(static_cast<bool>(embed) && static_cast<bool>(forward_embedded), where,
                     ": embed and forward_embedded must be callables");
  BULWARK_CHECK_TYPE(ids.defined() && ids.scalar_type() == at::kLong, where, ": ids must be int64 token ids, got ",
                     ids.defined() ? c10::toString(ids.scalar_type()) : "an undefined tensor");
  BULWARK_CHECK_SHAPE(ids.dim() == 2, where, ": ids must have shape (N, L), got ", ids.sizes());
  BULWARK_CHECK_TYPE(y.defined() && !at::isFloatingType(y.scalar_type()), where, ": y must hold integer labels");
  BULWARK_CHECK_SHAPE(y.dim() == 1 && y.size(0) == ids.size(0), where, ": y must have shape (N,) = (", ids.size(0),
                      ",), got ", y.sizes());
  attacks::impl::check_positive(o.steps, where, "steps");
  BULWARK_CHECK(std::isfinite(o.step_size) && o.step_size > 0, where, ": step_size must be > 0, got ", o.step_size);
  BULWARK_CHECK(std::isfinite(o.init_mag) && o.init_mag >= 0, where, ": init_mag must be >= 0, got ", o.init_mag);
  BULWARK_CHECK(std::isfinite(o.max_norm) && o.max_norm >= 0, where, ": max_norm must be >= 0, got ", o.max_norm);
  torch::autograd::AutoGradMode grad_on(true);

  const at::Tensor e0 = embed(ids);  // one embedding forward; its graph is shared by the K steps
  BULWARK_CHECK_SHAPE(e0.defined() && e0.dim() == 3 && e0.size(0) == ids.size(0) && e0.size(1) == ids.size(1),
                      where, ": embed must return (N, L, D) for ids ", ids.sizes());
  const at::Tensor mask = ids.ne(0).to(e0.scalar_type());
  const int64_t n = ids.size(0);
  at::Tensor delta = at::zeros_like(e0, at::MemoryFormat::Contiguous).detach();
  if (o.init_mag > 0) {
    at::Generator gen = make_generator(o.seed.value_or(default_seed()), e0.device());
    const at::Tensor dims = (mask.sum(1) * static_cast<double>(e0.size(2))).clamp_min(1);
    delta = at::empty_like(delta).uniform_(-1, 1, gen) * mask.unsqueeze(2) *
            (o.init_mag / dims.sqrt()).view({n, 1, 1});
  }
  at::Tensor loss, logits;
  for (int64_t t = 0; t < o.steps; ++t) {
    const at::Tensor d = delta.detach().requires_grad_(true);
    logits = forward_embedded(e0 + d, mask);
    BULWARK_CHECK_SHAPE(logits.defined() && logits.dim() == 2 && logits.size(0) == n, where,
                        ": forward_embedded must return logits (N, K) for N = ", n);
    const at::Tensor step_loss = at::cross_entropy_loss(logits, y);
    const at::Tensor share = step_loss / static_cast<double>(o.steps);
    loss = loss.defined() ? loss + share : share;
    if (t + 1 == o.steps) break;
    const at::Tensor g = torch::autograd::grad({step_loss}, {d}, {}, /*retain_graph=*/true)[0].detach();
    at::NoGradGuard no_grad;
    const at::Tensor g_norm = g.flatten(1).norm(2, {1}).clamp_min(1e-8).view({n, 1, 1});
    delta = d.detach() + o.step_size * g / g_norm;
    if (o.max_norm > 0) {
      const at::Tensor norm = delta.flatten(1).norm(2, {1}).view({n, 1, 1});
      delta = at::where(norm > o.max_norm, delta * (o.max_norm / norm), delta);
    }
  }
  return {loss, delta.detach(), logits};
}

}  // namespace bulwark::defenses
