#include <bulwark/models/checkpoint.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string_view>
#include <vector>

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <bulwark/core/crc32.h>
#include <bulwark/core/error.h>
#include <bulwark/core/files.h>
#include <bulwark/core/json.h>
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

namespace {
// CRC-32 (zlib) of a file's bytes, as 8 hex digits: the cache's check against flipped bits (an
// integrity check, not a security one).
std::string file_crc32(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  BULWARK_CHECK_AS(FileError, f.good(), "load_or_train: cannot read '", path.string(), "'");
  Crc32 crc;
  std::vector<char> buf(1 << 16);
  while (f) {
    f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    crc.update(std::string_view(buf.data(), static_cast<size_t>(f.gcount())));
  }
  return crc.hex();
}

std::string read_small_file(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::string s;
  std::getline(f, s);
  return s;
}

void check_key(const std::string& key) {
  BULWARK_CHECK(!key.empty() && key.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.=") ==
                                    std::string::npos,
                "load_or_train: key must be a file name of letters, digits, '-', '_', '.', '=', "
                "got '", key, "'");
}
}  // namespace

bool load_or_train(torch::nn::Module& module, const std::string& key,
                   const std::function<void()>& train, const std::string& dir) {
  check_key(key);
  const fs::path path = fs::path(dir.empty() ? cache_dir() : dir) / "models" / (key + ".pt");
  const fs::path digest = path.string() + ".crc32";
  if (fs::is_regular_file(path)) {
    try {
      const std::string crc = file_crc32(path);
      // A model cached before digests were kept gets one on its first sound load.
      const bool had_digest = fs::is_regular_file(digest);
      BULWARK_CHECK_AS(FormatError, !had_digest || read_small_file(digest) == crc, "load_or_train: '",
                       path.string(), "' does not match its checksum (", digest.filename().string(),
                       "): the file changed since it was written");
      load_checkpoint(module, path.string());
      if (!had_digest) write_text_file(digest.string(), crc + "\n", "load_or_train");
      return true;
    } catch (const FormatError& e) {
      std::fprintf(stderr, "bulwark: ignoring a corrupt cached model, retraining: %s\n", e.what());
      std::error_code ec;
      fs::remove(path, ec);
      fs::remove(digest, ec);
    }
  }
  train();
  save_checkpoint(module, path.string());
  write_text_file(digest.string(), file_crc32(path) + "\n", "load_or_train");
  return false;
}

namespace {

constexpr const char* kHistoryFields[] = {"train_loss", "train_accuracy", "clean_accuracy", "robust_accuracy",
                                          "lr", "seconds"};
constexpr double EpochRecord::*kHistoryMembers[] = {&EpochRecord::train_loss, &EpochRecord::train_accuracy,
                                                    &EpochRecord::clean_accuracy, &EpochRecord::robust_accuracy,
                                                    &EpochRecord::lr, &EpochRecord::seconds};

void write_history(const fs::path& path, const TrainHistory& history) {
  json::Object o;
  std::vector<double> epoch;
  for (const EpochRecord& r : history) epoch.push_back(static_cast<double>(r.epoch));
  o.set("epoch", epoch);
  for (size_t f = 0; f < std::size(kHistoryFields); ++f) {
    std::vector<double> column;
    for (const EpochRecord& r : history) column.push_back(r.*kHistoryMembers[f]);
    o.set(kHistoryFields[f], column);
  }
  o.write_file(path.string());
}

// FormatError when malformed. Histories cached before every field was kept have only the loss
// and the accuracy; the other fields read as NaN.
TrainHistory read_history(const fs::path& path) {
  const json::Object o = json::Object::read_file(path.string());
  const std::vector<double> epoch = o.numbers("epoch");
  TrainHistory out(epoch.size());
  for (size_t k = 0; k < epoch.size(); ++k) {
    BULWARK_CHECK_AS(FormatError, epoch[k] == static_cast<double>(k + 1), path.string(), ": epoch ", k + 1,
                     " is recorded as ", epoch[k]);
    out[k].epoch = static_cast<int64_t>(k + 1);
  }
  for (size_t f = 0; f < std::size(kHistoryFields); ++f) {
    if (!o.has(kHistoryFields[f]) && f >= 2) continue;
    const std::vector<double> column = o.numbers(kHistoryFields[f]);
    BULWARK_CHECK_AS(FormatError, column.size() == epoch.size(), path.string(), ": '", kHistoryFields[f], "' has ",
                     column.size(), " entries for ", epoch.size(), " epochs");
    for (size_t k = 0; k < column.size(); ++k) out[k].*kHistoryMembers[f] = column[k];
  }
  return out;
}

}  // namespace

bool load_or_train(torch::nn::Module& module, const std::string& key, const std::function<TrainHistory()>& train,
                   TrainHistory& history, const std::string& dir) {
  check_key(key);
  const fs::path models_dir = fs::path(dir.empty() ? cache_dir() : dir) / "models";
  const fs::path history_path = models_dir / (key + ".history.json");
  std::optional<TrainHistory> cached;
  if (fs::is_regular_file(history_path)) {
    try {
      cached = read_history(history_path);
    } catch (const FormatError& e) {
      std::fprintf(stderr, "bulwark: ignoring a corrupt cached training history, retraining: %s\n", e.what());
    }
  }
  // Without its history a cached model is retrained (the key is checked by load_or_train).
  if (!cached && fs::is_regular_file(models_dir / (key + ".pt"))) {
    std::error_code ec;
    fs::remove(models_dir / (key + ".pt"), ec);
  }
  if (load_or_train(module, key, [&] { history = train(); }, dir)) {
    history = *cached;
    return true;
  }
  write_history(history_path, history);
  return false;
}

}  // namespace bulwark::models
