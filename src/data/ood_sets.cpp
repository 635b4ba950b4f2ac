#include <bulwark/data/ood_sets.h>

#include <vector>

#include <ATen/ATen.h>

#include <bulwark/core/error.h>
#include <bulwark/core/random.h>

namespace bulwark::data {

namespace {
std::vector<int64_t> batch_shape(int64_t n, at::IntArrayRef shape, const char* where) {
  BULWARK_CHECK(n >= 0, where, ": n must be >= 0, got ", n);
  BULWARK_CHECK_SHAPE(!shape.empty(), where, ": shape must not be empty");
  std::vector<int64_t> out{n};
  for (int64_t d : shape) {
    BULWARK_CHECK_SHAPE(d >= 1, where, ": shape entries must be >= 1, got ", shape);
    out.push_back(d);
  }
  return out;
}
at::Tensor no_labels(int64_t n) { return at::full({n}, -1, at::kLong); }
void check_images(const at::Tensor& images, const char* where) {
  BULWARK_CHECK_TYPE(images.defined() && at::isFloatingType(images.scalar_type()), where,
                     ": images must be a floating-point tensor");
  BULWARK_CHECK_SHAPE(images.dim() == 4, where, ": images must have shape (N, C, H, W), got ",
                      images.sizes());
}
}  // namespace

TensorDataset uniform_noise(int64_t n, at::IntArrayRef shape, uint64_t seed) {
  at::Generator gen = make_generator(seed);
  return {at::rand(batch_shape(n, shape, "uniform_noise"), gen), no_labels(n)};
}

TensorDataset gaussian_noise(int64_t n, at::IntArrayRef shape, uint64_t seed, double mean,
                             double std) {
  BULWARK_CHECK(std > 0, "gaussian_noise: std must be > 0, got ", std);
  at::Generator gen = make_generator(seed);
  at::Tensor x = at::empty(batch_shape(n, shape, "gaussian_noise"), at::kFloat);
  return {x.normal_(mean, std, gen).clamp_(0, 1), no_labels(n)};
}

TensorDataset inverted(const at::Tensor& images) {
  check_images(images, "inverted");
  return {1 - images, no_labels(images.size(0))};
}

TensorDataset rotated(const at::Tensor& images, uint64_t seed) {
  check_images(images, "rotated");
  const int64_t n = images.size(0);
  at::Generator gen = make_generator(seed);
  const at::Tensor turns = at::randint(1, 4, {n}, gen, at::TensorOptions(at::kLong));
  at::Tensor out = images.clone();
  for (int64_t k = 1; k <= 3; ++k) {
    const at::Tensor idx = (turns == k).nonzero().squeeze(1);
    if (idx.numel() == 0) continue;
    // rot90 needs square images for an in-place batch; for H != W use 180 only.
    const int64_t kk = images.size(2) == images.size(3) ? k : 2;
    out.index_copy_(0, idx, at::rot90(images.index_select(0, idx), kk, {2, 3}));
  }
  return {out, no_labels(n)};
}

}  // namespace bulwark::data
