#pragma once
// Target classes for targeted attacks, chosen by a rule from the model's clean logits.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <ATen/core/Tensor.h>

#include <bulwark/core/classifier.h>

namespace bulwark::attacks {

enum class TargetRule {
  Random,       // uniform over the classes other than y (seeded)
  LeastLikely,  // the class with the lowest logit (Kurakin et al. 2017)
  RunnerUp,     // the highest-scoring class other than y
};

// "random" | "least_likely" | "runner_up".
TargetRule parse_target_rule(std::string_view name, const char* arg = "rule");
std::string to_string(TargetRule rule);

// (N,) int64 targets, never equal to y. One forward pass (none for Random when K is known).
at::Tensor select_targets(Classifier& model, const at::Tensor& x, const at::Tensor& y,
                          TargetRule rule, std::optional<uint64_t> seed = std::nullopt);

}  // namespace bulwark::attacks
