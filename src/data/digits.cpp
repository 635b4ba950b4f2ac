#include <bulwark/data/digits.h>

#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>

namespace bulwark::data {

std::string digits_path() {
  const char* env = std::getenv("BULWARK_DIGITS_PATH");
  if (env != nullptr && *env != '\0') return env;
  return "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";
}

TensorDataset digits(const std::string& path_arg) {
  const std::string path = path_arg.empty() ? digits_path() : path_arg;
  BULWARK_CHECK_AS(FileError, std::filesystem::is_regular_file(path), "digits: '", path,
                   "' not found; install Debian's python3-sklearn or set BULWARK_DIGITS_PATH");
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
  BULWARK_CHECK_AS(FileError, f != nullptr, "digits: cannot open '", path, "'");

  std::vector<float> pixels;
  std::vector<int64_t> labels;
  char buf[4096];
  int64_t line = 0;
  while (gzgets(f.get(), buf, sizeof buf) != nullptr) {
    ++line;
    std::string s(buf);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.empty()) continue;
    std::vector<long> values;
    const char* p = s.c_str();
    while (*p != '\0') {
      char* end = nullptr;
      const long v = std::strtol(p, &end, 10);
      BULWARK_CHECK_AS(FormatError, end != p, "digits: '", path, "' line ", line,
                       ": expected an integer at column ", p - s.c_str() + 1);
      values.push_back(v);
      p = end;
      if (*p == ',') ++p;
    }
    BULWARK_CHECK_AS(FormatError, values.size() == 65, "digits: '", path, "' line ", line,
                     ": expected 64 pixels and a label, got ", values.size(), " values");
    for (int i = 0; i < 64; ++i) {
      BULWARK_CHECK_AS(FormatError, values[i] >= 0 && values[i] <= 16, "digits: '", path,
                       "' line ", line, ": pixel ", i, " is ", values[i], ", expected 0..16");
      pixels.push_back(static_cast<float>(values[i]) / 16.0f);
    }
    BULWARK_CHECK_AS(FormatError, values[64] >= 0 && values[64] <= 9, "digits: '", path, "' line ",
                     line, ": label ", values[64], ", expected 0..9");
    labels.push_back(values[64]);
  }
  int errnum = 0;
  const char* msg = gzerror(f.get(), &errnum);
  BULWARK_CHECK_AS(FormatError, errnum == Z_OK || errnum == Z_STREAM_END, "digits: '", path,
                   "' is not a valid gzip file: ", msg);
  const auto n = static_cast<int64_t>(labels.size());
  BULWARK_CHECK_AS(FormatError, n > 0, "digits: '", path, "' holds no digits");
  const at::Tensor small = at::from_blob(pixels.data(), {n, 1, 8, 8}, at::kFloat);
  at::Tensor big = at::upsample_bilinear2d(small, {28, 28}, /*align_corners=*/false).clamp_(0, 1);
  return {big, at::from_blob(labels.data(), {n}, at::kLong).clone()};
}

}  // namespace bulwark::data
