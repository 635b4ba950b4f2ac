#pragma once
// Robust accuracy of a model under a list of attacks, in batches: per attack, and the
// per-sample worst case (a sample is robust when no attack broke it). Each attack runs only on
// the samples the model classifies correctly; a sample is broken when the prediction on the
// attack's output differs from its label.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include <bulwark/attacks/attack.h>
#include <bulwark/data/batches.h>

namespace bulwark::attacks {

using NamedAttack = std::pair<std::string, std::shared_ptr<Attack>>;

struct EvaluateOptions {
  int64_t batch_size = 250;
  bool progress = true;  // a progress line on stderr
  std::function<void(int64_t done, int64_t total)> on_batch;  // after every batch, if set
};

struct Evaluation {
  std::vector<std::string> names;      // the attacks, in order
  at::Tensor correct;                  // (N,) bool: clean prediction == y
  at::Tensor robust;                   // (A, N) bool: correct and not broken by attack a
  at::Tensor worst_case;               // (N,) bool: correct and broken by none
  std::vector<double> seconds;         // per attack, summed over batches
  std::vector<QueryCounts> queries;    // per attack
  double clean_accuracy() const;
  double robust_accuracy(size_t attack) const;
  double worst_case_accuracy() const;
};

// x: (N, ...), y: (N,) int64 labels, on the model's device. Untargeted attacks only.
Evaluation evaluate(Classifier& model, const at::Tensor& x, const at::Tensor& y,
                    const std::vector<NamedAttack>& attacks, const EvaluateOptions& options = {});

// The same over one pass of a minibatch source (a DataLoader from Python): each of its batches
// evaluated as above and the per-sample results concatenated in order; on_batch counts the
// samples done over the whole pass (total -1: the source's length is unknown).
Evaluation evaluate(Classifier& model, data::BatchSource& data, const std::vector<NamedAttack>& attacks,
                    const EvaluateOptions& options = {});

}  // namespace bulwark::attacks
