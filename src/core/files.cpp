#include <bulwark/core/files.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <system_error>

#include <bulwark/core/error.h>

namespace bulwark {

void write_text_file(const std::string& path, const std::string& text, const char* where) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  // Per process, so two writers of one file never share a temporary.
  const fs::path tmp = target.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    BULWARK_CHECK_AS(FileError, f.good(), where, ": cannot write '", path, "'");
    f << text;
    f.flush();
    if (!f.good()) {
      f.close();
      fs::remove(tmp, ec);
      throw FileError(detail::str(where, ": writing '", path, "' failed"));
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw FileError(detail::str(where, ": cannot move the new '", path, "' into place: ", ec.message()));
  }
}

}  // namespace bulwark
