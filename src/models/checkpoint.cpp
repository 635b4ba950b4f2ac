#include <bulwark/models/checkpoint.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <bulwark/core/error.h>
#include <bulwark/core/paths.h>

namespace bulwark::models {

namespace fs = std::filesystem;

void save_archive(torch::serialize::OutputArchive& archive, const std::string& path, const char* where) {
  const fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path());
  const fs::path tmp = target.string() + ".tmp." + std::to_string(::getpid());
  try {
    archive.save_to(tmp.string());
  } catch (const c10::Error& e) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw FileError(detail::str(where, ": cannot write '", path, "': ", e.what_without_backtrace()));
  }
  fs::rename(tmp, target);
}

void save_checkpoint(const torch::nn::Module& module, const std::string& path) {
  torch::serialize::OutputArchive archive;
  module.save(archive);
  save_archive(archive, path, "save_checkpoint");
}

void load_checkpoint(torch::nn::Module& module, const std::string& path) {
  BULWARK_CHECK_AS(FileError, fs::is_regular_file(path), "load_checkpoint: '", path,
                   "' is not a file");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    module.load(archive);
  } catch (const c10::Error& e) {
    throw FormatError(detail::str("load_checkpoint: '", path, "' is not a checkpoint of this ",
                                  module.name(), ": ", e.what_without_backtrace()));
  }
}

bool load_or_train(torch::nn::Module& module, const std::string& key,
                   const std::function<void()>& train, const std::string& dir) {
  BULWARK_CHECK(!key.empty() && key.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.=") ==
                                    std::string::npos,
                "load_or_train: key must be a file name of letters, digits, '-', '_', '.', '=', "
                "got '", key, "'");
  const fs::path path = fs::path(dir.empty() ? cache_dir() : dir) / "models" / (key + ".pt");
  if (fs::is_regular_file(path)) {
    try {
      load_checkpoint(module, path.string());
      return true;
    } catch (const FormatError& e) {
      std::fprintf(stderr, "bulwark: ignoring a corrupt cached model, retraining: %s\n", e.what());
      fs::remove(path);
    }
  }
  train();
  save_checkpoint(module, path.string());
  return false;
}

}  // namespace bulwark::models
