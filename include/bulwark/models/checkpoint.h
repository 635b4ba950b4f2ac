#pragma once
// Checkpoints of C++ modules, and the model cache that keeps `make demo` and the tests from
// retraining: a trained model is stored under a key naming everything that determined it.

#include <functional>
#include <string>

#include <torch/nn/module.h>
#include <torch/serialize/output-archive.h>

#include <bulwark/models/training.h>

namespace bulwark::models {

// Writes `archive` to `path` atomically (a temporary file, then renamed), creating the parent
// directory; FileError naming `where` if it cannot. Shared by every checkpoint writer.
void save_archive(torch::serialize::OutputArchive& archive, const std::string& path, const char* where);

// Writes the module's parameters and buffers to `path` (torch::serialize), atomically: to a
// temporary file first, then renamed, so a crash never leaves a half-written checkpoint.
void save_checkpoint(const torch::nn::Module& module, const std::string& path);

// Loads `path` into `module`. FileError if missing; FormatError if the file is corrupt or does not
// match the module (missing or mis-shaped parameters).
void load_checkpoint(torch::nn::Module& module, const std::string& path);

// Loads `key` from the cache into `module` if it is there and sound; otherwise calls `train`
// (which must fill `module`) and stores the result under <dir>/models/ (default dir:
// bulwark::cache_dir()) with its CRC-32 next to it (<key>.pt.crc32). A corrupt checkpoint — one
// that does not load, or whose bytes no longer match the checksum (a flipped bit in a weight
// loads fine otherwise) — is reported on stderr, removed and retrained, never used. Returns
// true when the model came from the cache.
// Keys are file names: letters, digits, '-', '_', '.' and '=' only.
bool load_or_train(torch::nn::Module& module, const std::string& key,
                   const std::function<void()>& train, const std::string& dir = "");

// As above, for a training run that returns its history: the history is cached beside the
// weights (<key>.history.json) and `history` is set to it whether the run happened now or when
// the model was cached, so a loaded model reports the history of the run that trained it. A
// cached model whose history is missing or unreadable is retrained.
bool load_or_train(torch::nn::Module& module, const std::string& key,
                   const std::function<TrainHistory()>& train, TrainHistory& history,
                   const std::string& dir = "");

}  // namespace bulwark::models
