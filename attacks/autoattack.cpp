#include <bulwark/attacks/autoattack.h>

#include <algorithm>
#include <chrono>

#include <ATen/ATen.h>

#include <bulwark/attacks/apgd.h>
#include <bulwark/attacks/fab.h>
#include <bulwark/attacks/square.h>
#include <bulwark/core/error.h>
#include <bulwark/core/random.h>

namespace bulwark::attacks {

AutoAttack::AutoAttack(AutoAttackOptions options) : AttackWithOptions(std::move(options)) {
  auto& o = options_;
  impl::check_eps(o.eps, "AutoAttack");
  impl::check_norm(o.norm, "AutoAttack", /*allow_l1=*/false);
  impl::check_positive(o.steps, "AutoAttack", "steps");
  impl::check_positive(o.eot_samples, "AutoAttack", "eot_samples");
  impl::check_positive(o.batch_size, "AutoAttack", "batch_size");
  BULWARK_CHECK(o.square_queries <= impl::kMaxCount, "AutoAttack: square_queries must be <= ", impl::kMaxCount,
                ", got ", o.square_queries);
  BULWARK_CHECK(o.square_queries >= 2, "AutoAttack: square_queries must be >= 2, got ",
                o.square_queries);
  BULWARK_CHECK(o.version == "standard" || o.version == "plus" || o.version == "rand",
                "AutoAttack: version must be one of 'standard', 'plus', 'rand', got '", o.version,
                "'");
  BULWARK_CHECK(!o.targeted, "AutoAttack: the goal is misclassification; targeted must be false");
  if (!o.seed) o.seed = default_seed();

  uint64_t index = 0;
  auto seed = [&] { return derive_seed(*o.seed, index++); };
  auto apgd = [&](losses::Loss loss, int64_t restarts, int64_t eot) {
    APGDOptions a;
    a.eps = o.eps, a.norm = o.norm, a.steps = o.steps, a.restarts = restarts, a.loss = loss;
    a.eot_samples = eot, a.seed = seed();
    return std::make_shared<APGD>(a);
  };
  auto apgdt = [&] {
    APGDTOptions a;
    a.eps = o.eps, a.norm = o.norm, a.steps = o.steps, a.restarts = 1, a.num_targets = 9;
    a.seed = seed();
    return std::make_shared<APGDT>(a);
  };
  auto fab_options = [&](int64_t restarts) {
    FABOptions f;
    f.eps = o.eps, f.norm = o.norm, f.steps = o.steps, f.restarts = restarts, f.num_targets = 9;
    f.seed = seed();
    return f;
  };
  auto square = [&] {
    SquareOptions s;
    s.eps = o.eps, s.norm = o.norm, s.queries = o.square_queries, s.p_init = 0.8;
    s.rescale_schedule = false, s.seed = seed();
    return std::make_shared<Square>(s);
  };
  using losses::Loss;
  if (o.version == "standard") {
    attacks_ = {{"apgd-ce", apgd(Loss::CrossEntropy, 1, 1)},
                {"apgd-t", apgdt()},
                {"fab-t", std::make_shared<FABT>(fab_options(1))},
                {"square", square()}};
  } else if (o.version == "plus") {
    attacks_ = {{"apgd-ce", apgd(Loss::CrossEntropy, 5, 1)},
                {"apgd-dlr", apgd(Loss::DLR, 5, 1)},
                {"fab", std::make_shared<FAB>(fab_options(5))},
                {"square", square()},
                {"apgd-t", apgdt()},
                {"fab-t", std::make_shared<FABT>(fab_options(1))}};
  } else {
    attacks_ = {{"apgd-ce", apgd(Loss::CrossEntropy, 1, o.eot_samples)},
                {"apgd-dlr", apgd(Loss::DLR, 1, o.eot_samples)}};
  }
}

at::Tensor AutoAttack::perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) {
  using clock = std::chrono::steady_clock;
  const int64_t n = x.size(0);
  last_report_ = {};
  at::Tensor robust;
  {
    at::NoGradGuard no_grad;
    robust = model.predict(x).eq(y);
  }
  last_report_.clean_accuracy = robust.sum().item<double>() / static_cast<double>(n);
  at::Tensor x_adv = x.clone();
  // A perturbation counts when within eps, with the float slack of the projections.
  const double slack = 1e-5 * std::max(1.0, options_.eps);
  for (const auto& [label, attack] : attacks_) {
    SubAttackReport r;
    r.name = label;
    const at::Tensor rows = robust.nonzero().squeeze(1);
    r.attacked = rows.numel();
    if (r.attacked > 0) {
      const auto start = clock::now();
      const QueryMeter meter;  // this run's queries only, whatever other threads ask the model
      for (int64_t start = 0; start < r.attacked; start += options_.batch_size) {
        const at::Tensor chunk = rows.narrow(0, start, std::min(options_.batch_size, r.attacked - start));
        const at::Tensor xr = x.index_select(0, chunk), yr = y.index_select(0, chunk);
        const at::Tensor adv = (*attack)(model, xr, yr);
        at::Tensor broken;
        {
          at::NoGradGuard no_grad;
          broken = model.predict(adv).ne(yr) &
                   ops::per_sample_norm(adv - xr, options_.norm).le(options_.eps + slack);
        }
        const at::Tensor hit = broken.nonzero().squeeze(1);
        r.broken += hit.numel();
        if (hit.numel() > 0) {
          const at::Tensor dst = chunk.index_select(0, hit);
          x_adv.index_copy_(0, dst, adv.index_select(0, hit));
          robust.index_fill_(0, dst, false);
        }
      }
      r.queries = meter.counts();
      r.seconds = std::chrono::duration<double>(clock::now() - start).count();
    }
    r.robust_accuracy = robust.sum().item<double>() / static_cast<double>(n);
    last_report_.attacks.push_back(r);
  }
  return x_adv;
}

std::pair<AttackResult, AutoAttackReport> AutoAttack::run_with_report(Classifier& model,
                                                                      const at::Tensor& x,
                                                                      const at::Tensor& y) {
  AttackResult result = run(model, x, y);
  return {std::move(result), last_report_};
}

std::string AutoAttack::repr() const {
  const auto& o = options_;
  std::string s = detail::str("AutoAttack(eps=", o.eps, ", norm='", ops::to_string(o.norm),
                              "', version='", o.version, "', steps=", o.steps);
  if (o.version != "rand") s += detail::str(", square_queries=", o.square_queries);
  if (o.version == "rand") s += detail::str(", eot_samples=", o.eot_samples);
  s += detail::str(", batch_size=", o.batch_size);
  return s + detail::str(", seed=", *o.seed, ")");
}

}  // namespace bulwark::attacks
