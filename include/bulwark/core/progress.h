#pragma once
// A one-line progress bar for C++ programs: "label [#####     ] 50% 5/10 12.3s ETA 12.3s".

#include <chrono>
#include <cstdint>
#include <string>

namespace bulwark {

class Progress {
 public:
  // Draws on stderr when `enabled` (and stderr is a terminal, or always when forced).
  Progress(std::string label, int64_t total, bool enabled = true);
  void update(int64_t done, const std::string& suffix = "");
  void finish(const std::string& suffix = "");

 private:
  void draw(int64_t done, const std::string& suffix, bool final);
  std::string label_;
  int64_t total_;
  bool enabled_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace bulwark
