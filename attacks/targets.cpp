#include <bulwark/attacks/targets.h>

#include <algorithm>
#include <limits>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/strings.h>
#include <bulwark/core/random.h>
#include <bulwark/losses/classification.h>

namespace bulwark::attacks {

TargetRule parse_target_rule(std::string_view name, const char* arg) {
  const std::string s = detail::lowercase(name);
  if (s == "random") return TargetRule::Random;
  if (s == "least_likely") return TargetRule::LeastLikely;
  if (s == "runner_up") return TargetRule::RunnerUp;
  throw InvalidArgument(detail::str(arg, " must be one of 'random', 'least_likely', 'runner_up', got '",
                                    std::string(name), "'"));
}

std::string to_string(TargetRule rule) {
  switch (rule) {
    case TargetRule::Random: return "random";
    case TargetRule::LeastLikely: return "least_likely";
    case TargetRule::RunnerUp: return "runner_up";
  }
  BULWARK_ASSERT(false);
  return {};
}

at::Tensor select_targets(Classifier& model, const at::Tensor& x, const at::Tensor& y,
                          TargetRule rule, std::optional<uint64_t> seed) {
  constexpr const char* where = "select_targets";
  model.check_input(x, where);
  losses::check_labels(y, x.size(0), model.knows_num_classes() ? model.num_classes() : -1, where);
  if (rule == TargetRule::Random) {
    if (!model.knows_num_classes()) model.predict(x.narrow(0, 0, 1));
    const int64_t k = model.num_classes();
    at::Generator gen = make_generator(seed.value_or(default_seed()), c10::kCPU);
    // y + U{1, ..., K-1} mod K is uniform over the other classes.
    const at::Tensor shift = at::randint(1, k, {x.size(0)}, gen, at::TensorOptions(at::kLong));
    return (y + shift.to(y.device())).remainder(k);
  }
  at::NoGradGuard no_grad;
  const at::Tensor z = model.logits(x);
  const at::Tensor own = at::zeros_like(z, at::kBool).scatter_(1, y.unsqueeze(1), true);
  if (rule == TargetRule::LeastLikely) {
    return z.masked_fill(own, std::numeric_limits<double>::infinity()).argmin(1);
  }
  return z.masked_fill(own, -std::numeric_limits<double>::infinity()).argmax(1);
}

}  // namespace bulwark::attacks
