#pragma once
// AutoAttack (Croce & Hein 2020): a parameter-free ensemble run in sequence, each attack only
// on the samples still robust (across the whole input, in chunks of batch_size, so the late
// attacks see all the few survivors at once), a sample counting as broken once an attack
// misclassifies it within the eps-ball. Versions, as the authors' set_version:
//   standard: APGD-CE, APGD-T (9 targets), FAB-T (9 targets), Square (5,000 queries);
//   plus:     APGD-CE and APGD-DLR with 5 restarts, FAB with 5 restarts, Square, APGD-T, FAB-T;
//   rand:     APGD-CE and APGD-DLR with expectation over transformation (20 samples), for
//             randomised defences.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <bulwark/attacks/attack.h>

namespace bulwark::attacks {

struct AutoAttackOptions {
  double eps = 8.0 / 255;
  ops::Norm norm = ops::Norm::Linf;  // Linf or L2
  std::string version = "standard";  // standard | plus | rand
  int64_t steps = 100;               // APGD and FAB iterations
  int64_t square_queries = 5000;
  int64_t eot_samples = 20;          // rand only
  int64_t batch_size = 250;          // each attack runs on the robust samples in chunks of this
  std::optional<uint64_t> seed;
  bool targeted = false;             // the goal is misclassification; not settable
};

// One sub-attack's share of a run.
struct SubAttackReport {
  std::string name;        // e.g. "apgd-ce"
  int64_t attacked = 0;    // samples it was run on (those still robust)
  int64_t broken = 0;      // of which it broke
  double robust_accuracy;  // over all N samples, after this attack
  double seconds = 0;
  QueryCounts queries;
};

struct AutoAttackReport {
  double clean_accuracy = 0;
  std::vector<SubAttackReport> attacks;
};

class AutoAttack : public AttackWithOptions<AutoAttackOptions> {
 public:
  explicit AutoAttack(AutoAttackOptions options = {});
  std::string repr() const override;

  // The ensemble: (name, attack) in the order they run.
  const std::vector<std::pair<std::string, std::shared_ptr<Attack>>>& attacks() const {
    return attacks_;
  }
  // run() plus the per-attack report of that run.
  std::pair<AttackResult, AutoAttackReport> run_with_report(Classifier& model, const at::Tensor& x,
                                                            const at::Tensor& y);

 protected:
  at::Tensor perturb(Classifier& model, const at::Tensor& x, const at::Tensor& y) override;
  std::string name() const override { return "AutoAttack"; }

 private:
  std::vector<std::pair<std::string, std::shared_ptr<Attack>>> attacks_;
  AutoAttackReport last_report_;
};

}  // namespace bulwark::attacks
