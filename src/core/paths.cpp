#include <bulwark/core/paths.h>

#include <cstdlib>
#include <filesystem>

namespace bulwark {

std::string cache_dir() {
  namespace fs = std::filesystem;
  if (const char* d = std::getenv("BULWARK_CACHE_DIR"); d != nullptr && *d != '\0') return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x != '\0') {
    return (fs::path(x) / "bulwark").string();
  }
  const char* home = std::getenv("HOME");
  return (fs::path(home != nullptr ? home : ".") / ".cache" / "bulwark").string();
}

}  // namespace bulwark
