#include <bulwark/core/progress.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace bulwark {

Progress::Progress(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)),
      total_(std::max<int64_t>(total, 1)),
      enabled_(enabled),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void Progress::update(int64_t done, const std::string& suffix) {
  if (!enabled_ || !tty_) return;  // in logs, only the final line
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(100) && done < total_) return;
  last_ = now;
  draw(done, suffix, false);
}

void Progress::finish(const std::string& suffix) {
  if (enabled_) draw(total_, suffix, true);
}

void Progress::draw(int64_t done, const std::string& suffix, bool final) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double frac = std::clamp(static_cast<double>(done) / static_cast<double>(total_), 0.0, 1.0);
  const int width = 24, filled = static_cast<int>(frac * width);
  const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0.0;
  std::fprintf(stderr, "%s%s [%s%s] %3.0f%% %lld/%lld %.1fs ETA %.1fs %s%s", tty_ ? "\r" : "",
               label_.c_str(), std::string(static_cast<size_t>(filled), '#').c_str(),
               std::string(static_cast<size_t>(width - filled), ' ').c_str(), frac * 100,
               static_cast<long long>(done), static_cast<long long>(total_), elapsed, eta,
               suffix.c_str(), final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace bulwark
