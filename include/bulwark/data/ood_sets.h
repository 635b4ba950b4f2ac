#pragma once
// Synthetic out-of-distribution sets for image models, each reproducible from a seed.
// Labels of the returned sets are -1 (no class).

#include <cstdint>

#include <ATen/core/Tensor.h>

#include <bulwark/data/dataset.h>

namespace bulwark::data {

// n images of shape `shape` (one sample), pixels i.i.d. U(0, 1).
TensorDataset uniform_noise(int64_t n, at::IntArrayRef shape, uint64_t seed);

// n images, pixels i.i.d. N(mean, std^2) clipped to [0, 1].
TensorDataset gaussian_noise(int64_t n, at::IntArrayRef shape, uint64_t seed, double mean = 0.5,
                             double std = 0.25);

// 1 - x: the same images in negative (x in [0, 1]).
TensorDataset inverted(const at::Tensor& images);

// Each image (N, C, H, W) rotated by 90, 180 or 270 degrees, drawn per image from `seed`
// (non-square images: always 180, the only turn that keeps their shape).
TensorDataset rotated(const at::Tensor& images, uint64_t seed);

}  // namespace bulwark::data
