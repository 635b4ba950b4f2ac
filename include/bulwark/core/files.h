#pragma once
// Writing files so that no reader ever sees half of one.

#include <string>

namespace bulwark {

// Writes `text` to `path` atomically: to a temporary file in the same directory (created if
// missing), then renamed over `path`. FileError naming `where` and the path on failure.
void write_text_file(const std::string& path, const std::string& text, const char* where);

}  // namespace bulwark
