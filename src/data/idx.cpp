#include <bulwark/data/idx.h>

#include <zlib.h>

#include <array>
#include <filesystem>
#include <limits>
#include <memory>
#include <vector>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>

namespace bulwark::data {

namespace {

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// Reads exactly n bytes or throws: a short read is a truncated file, -1 a corrupt stream.
void read_exact(gzFile f, void* out, size_t n, const std::string& path, const char* what) {
  auto* p = static_cast<unsigned char*>(out);
  while (n > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(n, 1u << 30));
    const int got = gzread(f, p, chunk);
    if (got < 0) {
      int errnum = 0;
      const char* msg = gzerror(f, &errnum);
      throw FormatError(detail::str("read_idx: '", path, "' is not a valid gzip/idx file (", msg,
                                    ") while reading the ", what));
    }
    if (got == 0) {
      throw FormatError(detail::str("read_idx: '", path, "' is truncated: it ends inside the ",
                                    what));
    }
    p += got;
    n -= static_cast<size_t>(got);
  }
}

}  // namespace

at::Tensor read_idx(const std::string& path) {
  BULWARK_CHECK_AS(FileError, std::filesystem::is_regular_file(path), "read_idx: '", path,
                   "' is not a file");
  GzFile f(gzopen(path.c_str(), "rb"));
  BULWARK_CHECK_AS(FileError, f != nullptr, "read_idx: cannot open '", path, "'");
  gzbuffer(f.get(), 1 << 17);

  std::array<unsigned char, 4> magic{};
  read_exact(f.get(), magic.data(), magic.size(), path, "magic number");
  BULWARK_CHECK_AS(FormatError, magic[0] == 0 && magic[1] == 0, "read_idx: '", path,
                   "' does not start with the idx magic number 0x0000");
  BULWARK_CHECK_AS(FormatError, magic[2] == 0x08, "read_idx: '", path,
                   "' has element type code ", static_cast<int>(magic[2]),
                   "; only unsigned bytes (0x08) are supported");
  const int ndim = magic[3];
  BULWARK_CHECK_AS(FormatError, ndim >= 1 && ndim <= 4, "read_idx: '", path, "' declares ", ndim,
                   " dimensions; expected 1 to 4");

  std::vector<int64_t> dims(static_cast<size_t>(ndim));
  int64_t total = 1;
  constexpr int64_t kMaxBytes = int64_t{1} << 32;  // 4 GiB: far above any idx data set
  for (int i = 0; i < ndim; ++i) {
    std::array<unsigned char, 4> b{};
    read_exact(f.get(), b.data(), b.size(), path, "dimensions");
    const uint32_t d = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
    BULWARK_CHECK_AS(FormatError, d >= 1 && d <= (1u << 28), "read_idx: '", path,
                     "' has an implausible size ", d, " in dimension ", i);
    dims[static_cast<size_t>(i)] = d;
    total *= d;
    BULWARK_CHECK_AS(FormatError, total <= kMaxBytes, "read_idx: '", path,
                     "' declares more than 4 GiB of data");
  }

  at::Tensor out = at::empty(dims, at::kByte);
  read_exact(f.get(), out.data_ptr<uint8_t>(), static_cast<size_t>(total), path, "data");
  unsigned char extra = 0;
  const int more = gzread(f.get(), &extra, 1);
  BULWARK_CHECK_AS(FormatError, more == 0, "read_idx: '", path,
                   more < 0 ? "' is a corrupt gzip stream" : "' has bytes after the declared data");
  return out;
}

}  // namespace bulwark::data
