// Reference models: seeded init, deterministic training, checkpoints and the model cache.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <torch/torch.h>

#include <bulwark/core/error.h>
#include <bulwark/data/fashion_mnist.h>
#include <bulwark/models/checkpoint.h>
#include <bulwark/models/fashion_cnn.h>
#include <bulwark/models/training.h>

using namespace bulwark;
namespace fs = std::filesystem;

namespace {
bool same_weights(torch::nn::Module& a, torch::nn::Module& b) {
  auto pa = a.parameters(), pb = b.parameters();
  if (pa.size() != pb.size()) return false;
  for (size_t i = 0; i < pa.size(); ++i) {
    if (!at::equal(pa[i], pb[i])) return false;
  }
  return true;
}
fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("bulwark_test_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}
}  // namespace

TEST_CASE("FashionCNN: seeded init, logits shape, no global RNG", "[models]") {
  torch::manual_seed(1);
  const at::Tensor before = torch::rand({1});
  torch::manual_seed(1);
  models::FashionCNN a(7), b(7), c(8);
  CHECK(at::equal(torch::rand({1}), before));  // construction did not draw from torch's RNG
  CHECK(same_weights(*a, *b));
  CHECK_FALSE(same_weights(*a, *c));
  CHECK(a->forward(torch::rand({3, 1, 28, 28})).sizes() == at::IntArrayRef{3, 10});
  CHECK(a->features(torch::rand({3, 1, 28, 28})).sizes() == at::IntArrayRef{3, 128});
}

TEST_CASE("training is deterministic under a seed", "[models]") {
  const auto data = data::fashion_mnist("test").slice(0, 512);
  models::TrainOptions o;
  o.epochs = 1;
  o.batch_size = 64;
  o.progress = false;
  models::FashionCNN a(0), b(0);
  const auto ha = models::train(*a, [&](const at::Tensor& x) { return a->forward(x); }, data, o);
  const auto hb = models::train(*b, [&](const at::Tensor& x) { return b->forward(x); }, data, o);
  REQUIRE(ha.size() == 1);
  REQUIRE(hb.size() == 1);
  CHECK(ha[0].epoch == 1);
  CHECK(ha[0].train_loss == hb[0].train_loss);
  CHECK(ha[0].train_accuracy == hb[0].train_accuracy);
  CHECK(same_weights(*a, *b));
  int calls = 0;
  o.on_batch = [&](const models::TrainProgress& p) {
    ++calls;
    CHECK(p.batches == 8);
  };
  models::FashionCNN c(0);
  models::train(*c, [&](const at::Tensor& x) { return c->forward(x); }, data, o);
  CHECK(calls == 8);
}

TEST_CASE("checkpoints round-trip; corrupt or mismatched files are FormatErrors", "[models]") {
  const fs::path dir = scratch("ckpt");
  models::FashionCNN a(1), b(2);
  models::save_checkpoint(*a, (dir / "a.pt").string());
  models::load_checkpoint(*b, (dir / "a.pt").string());
  CHECK(same_weights(*a, *b));
  CHECK_THROWS_AS(models::load_checkpoint(*b, (dir / "missing.pt").string()), FileError);
  std::ofstream(dir / "junk.pt") << "not a checkpoint";
  CHECK_THROWS_AS(models::load_checkpoint(*b, (dir / "junk.pt").string()), FormatError);
  // Truncated: the first half of a real checkpoint.
  const auto size = fs::file_size(dir / "a.pt");
  fs::copy_file(dir / "a.pt", dir / "half.pt");
  fs::resize_file(dir / "half.pt", size / 2);
  CHECK_THROWS_AS(models::load_checkpoint(*b, (dir / "half.pt").string()), FormatError);
  torch::nn::Linear other(3, 2);
  CHECK_THROWS_AS(models::load_checkpoint(*other, (dir / "a.pt").string()), FormatError);
  fs::remove_all(dir);
}

TEST_CASE("load_or_train trains once, then loads; a corrupt entry is retrained", "[models]") {
  const fs::path dir = scratch("cache");
  int trained = 0;
  models::FashionCNN a(3);
  auto train = [&] {
    ++trained;
    at::NoGradGuard no_grad;
    a->fc2->bias.fill_(0.25);
  };
  CHECK_FALSE(models::load_or_train(*a, "toy-e1", train, dir.string()));
  models::FashionCNN b(4);
  CHECK(models::load_or_train(*b, "toy-e1", [&] { ++trained; }, dir.string()));
  CHECK(trained == 1);
  CHECK(same_weights(*a, *b));
  std::ofstream(dir / "models" / "toy-e1.pt", std::ios::trunc) << "garbage";
  models::FashionCNN c(5);
  CHECK_FALSE(models::load_or_train(*c, "toy-e1", [&] { ++trained; }, dir.string()));
  CHECK(trained == 2);
  CHECK_THROWS_AS(models::load_or_train(*c, "../escape", [] {}, dir.string()), InvalidArgument);
  fs::remove_all(dir);
}

TEST_CASE("the model cache keeps a checksum: a flipped bit in a weight is retrained, not loaded", "[models]") {
  const fs::path dir = scratch("cache_crc");
  models::FashionCNN a(3);
  const float marker = 1234.5678f;  // a weight value to find in the file's bytes
  auto train = [&] {
    at::NoGradGuard no_grad;
    a->fc2->bias.fill_(marker);
  };
  CHECK_FALSE(models::load_or_train(*a, "toy-crc", train, dir.string()));
  const fs::path pt = dir / "models" / "toy-crc.pt";
  REQUIRE(fs::is_regular_file(pt.string() + ".crc32"));
  // Flip one bit inside the stored bias: the archive still loads, with a changed weight.
  std::string bytes;
  {
    std::ifstream f(pt, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  const std::string pattern(reinterpret_cast<const char*>(&marker), sizeof marker);
  const size_t at = bytes.find(pattern);
  REQUIRE(at != std::string::npos);
  bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
  std::ofstream(pt, std::ios::binary | std::ios::trunc) << bytes;
  models::FashionCNN changed(4);
  models::load_checkpoint(*changed, pt.string());  // loads: only the checksum can tell
  CHECK_FALSE(same_weights(*a, *changed));
  int trained = 0;
  models::FashionCNN b(5);
  CHECK_FALSE(models::load_or_train(*b, "toy-crc", [&] { ++trained; }, dir.string()));
  CHECK(trained == 1);
  // A cached model without a checksum (cached by an earlier version) loads and gets one.
  fs::remove(pt.string() + ".crc32");
  models::FashionCNN c(6);
  CHECK(models::load_or_train(*c, "toy-crc", [&] { ++trained; }, dir.string()));
  CHECK(trained == 1);
  CHECK(fs::is_regular_file(pt.string() + ".crc32"));
  fs::remove_all(dir);
}
