// The idx reader: real files, and thousands of corrupted ones that must fail cleanly.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/data/fashion_mnist.h>
#include <bulwark/data/idx.h>

using namespace bulwark;
namespace fs = std::filesystem;

namespace {
std::vector<unsigned char> small_idx() {
  std::vector<unsigned char> b = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2};
  for (int i = 0; i < 12; ++i) b.push_back(static_cast<unsigned char>(i * 7));
  return b;
}
void write(const fs::path& p, const std::vector<unsigned char>& bytes, bool gz) {
  if (gz) {
    gzFile f = gzopen(p.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                             static_cast<std::streamsize>(bytes.size()));
  }
}
std::vector<unsigned char> read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
}  // namespace

TEST_CASE("read_idx reads plain and gzip'd files", "[data]") {
  const fs::path dir = fs::temp_directory_path();
  for (bool gz : {false, true}) {
    const fs::path p = dir / (gz ? "bulwark_small.idx.gz" : "bulwark_small.idx");
    write(p, small_idx(), gz);
    const at::Tensor t = data::read_idx(p.string());
    CHECK(t.sizes() == at::IntArrayRef{2, 3, 2});
    CHECK(t.flatten()[5].item<int>() == 35);
    fs::remove(p);
  }
  CHECK_THROWS_AS(data::read_idx("/nonexistent.idx"), FileError);
}

TEST_CASE("read_idx: 10,000 mutated files fail cleanly or parse", "[data][fuzz]") {
  // Mutations of a small valid file, plain and gzip'd: flipped, inserted, deleted bytes and
  // truncations. Every outcome must be a tensor or a FormatError, never a crash or a hang.
  const fs::path p = fs::temp_directory_path() / "bulwark_fuzz.idx";
  const fs::path pgz = fs::temp_directory_path() / "bulwark_fuzz_src.gz";
  write(pgz, small_idx(), true);
  const std::vector<unsigned char> plain = small_idx(), gzipped = read_bytes(pgz);
  std::mt19937_64 rng(1234);
  int parsed = 0, rejected = 0;
  for (int i = 0; i < 10000; ++i) {
    std::vector<unsigned char> b = (i % 2) ? gzipped : plain;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !b.empty(); ++e) {
      const size_t at = rng() % b.size();
      switch (rng() % 4) {
        case 0: b[at] = static_cast<unsigned char>(rng()); break;
        case 1: b.insert(b.begin() + static_cast<long>(at), static_cast<unsigned char>(rng())); break;
        case 2: b.erase(b.begin() + static_cast<long>(at)); break;
        default: b.resize(at); break;
      }
    }
    write(p, b, false);
    try {
      const at::Tensor t = data::read_idx(p.string());
      CHECK(t.numel() <= static_cast<int64_t>(b.size()) * 1032);  // gzip expands <= 1032x
      ++parsed;
    } catch (const FormatError&) {
      ++rejected;
    }
  }
  fs::remove(p);
  fs::remove(pgz);
  CHECK(parsed + rejected == 10000);
  CHECK(rejected > 5000);
}

TEST_CASE("fashion_mnist test split matches the published data set", "[data]") {
  const auto ds = data::fashion_mnist("test");
  REQUIRE(ds.size() == 10000);
  CHECK(ds.inputs.sizes() == at::IntArrayRef{10000, 1, 28, 28});
  CHECK(ds.inputs.mean().item<double>() == Approx(0.2868).margin(5e-4));
  CHECK(at::equal(at::bincount(ds.labels), at::full({10}, 1000, at::kLong)));
  CHECK_THROWS_AS(data::fashion_mnist("validation"), InvalidArgument);
  CHECK_THROWS_AS(data::fashion_mnist("test", "/nonexistent"), FileError);
}
