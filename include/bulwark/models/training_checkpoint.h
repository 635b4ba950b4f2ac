#pragma once
// bulwark's training checkpoint: one file with everything a training run needs to continue — the
// model's parameters and buffers, the optimizer's state, the trainer's (method, seed, history,
// Free AT's carried perturbation) and, from Python, the learning-rate scheduler's state. C++
// (defenses::save_checkpoint / load_checkpoint) and Python (bw.defenses.AdversarialTrainer) write
// and read it through this one implementation, so a run checkpointed in one language resumes in
// the other.
//
// The file is a torch::serialize archive (a zip, written atomically) holding "meta", a JSON text
// (bulwark's JSON convention, core/json.h) that describes the run and names every tensor, and
// "tensors", the tensors on the CPU under the keys "t0", "t1", ... The optimizer's state is
// stored as torch.optim's state_dict holds it: a kind ("sgd", "adam", "adamw" resume in both
// languages; any other torch.optim class saves and resumes from Python), per parameter group its
// settings under torch.optim's names ("lr", "momentum", "betas", ...) and its parameters' indices,
// and per parameter (numbered across the groups in order) its state tensors by name
// ("momentum_buffer"; "step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq").

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include <bulwark/models/training_loop.h>

namespace torch::nn {
class Module;
}
namespace torch::optim {
class Optimizer;
}

namespace bulwark::models {

// (name, tensor) pairs in order: a module's state_dict, a parameter's optimizer state.
using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

struct TrainerState {
  std::string method;               // "standard", "pgd", "fast", "free", "trades", "mart"
  uint64_t seed = 0;
  std::vector<EpochRecord> history;  // epochs done, 1..E
  at::Tensor free_delta;            // Free AT's carried perturbation; undefined otherwise
};

struct OptimizerState {
  std::string kind;                              // torch.optim's class name in lower case
  std::vector<std::string> group_settings;       // per group: a JSON object, without "params"
  std::vector<std::vector<int64_t>> group_params;  // per group: its parameters' indices
  std::vector<NamedTensors> param_state;         // per parameter index: its state (may be empty)
};

struct TrainingCheckpoint {
  NamedTensors model;      // parameters and buffers by their dotted names
  OptimizerState optimizer;
  TrainerState trainer;
  std::string scheduler;   // a Python scheduler's state_dict as JSON text; empty: none
};

// FileError when the file cannot be written or read; FormatError when it is not a training
// checkpoint or is malformed (every index and count is checked against what it indexes).
void write_training_checkpoint(const std::string& path, const TrainingCheckpoint& checkpoint);
TrainingCheckpoint read_training_checkpoint(const std::string& path);

// A LibTorch module's parameters and buffers by their dotted names, as torch's state_dict().
NamedTensors module_state(const torch::nn::Module& module);
// Copies `state` into `module`: every parameter and buffer must be there with its shape
// (FormatError naming `where` and the entry otherwise).
void load_module_state(torch::nn::Module& module, const NamedTensors& state, const std::string& where);

// The state of a LibTorch SGD, Adam or AdamW (InvalidArgument for other optimizers), and back:
// FormatError when `state` is of another kind or does not match the optimizer's groups.
OptimizerState optimizer_state(const torch::optim::Optimizer& optimizer);
void load_optimizer_state(torch::optim::Optimizer& optimizer, const OptimizerState& state,
                          const std::string& where);

}  // namespace bulwark::models
