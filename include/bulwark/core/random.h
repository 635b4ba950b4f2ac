#pragma once
// Seeds and generators. Every stochastic object owns a generator made from its own seed;
// bulwark never touches torch's global generator and never seeds from the clock.

#include <cstdint>

#include <ATen/core/Generator.h>
#include <c10/core/Device.h>

namespace bulwark {

// The seed used by objects constructed without one (bw.seed(n) sets it). Default 0.
uint64_t default_seed();
void set_default_seed(uint64_t seed);

// A fresh generator on `device` (CPU or CUDA) seeded with `seed`.
at::Generator make_generator(uint64_t seed, c10::Device device = c10::kCPU);

// A seed for item `index` of a stream seeded with `seed` (SplitMix64, Steele et al. 2014),
// so per-sample randomness under OpenMP does not depend on the thread count.
uint64_t derive_seed(uint64_t seed, uint64_t index);

}  // namespace bulwark
