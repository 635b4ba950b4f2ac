#pragma once
// Seeds and generators. Every stochastic object owns a generator made from its own seed;
// bulwark never touches torch's global generator and never seeds from the clock.

#include <cstdint>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
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

// Saves the state of torch's default CPU generator and restores it on scope exit. For code that
// cannot help drawing from it, such as LibTorch layer constructors (reset_parameters): bulwark
// then reinitialises from its own generator and leaves the global stream as it found it.
class GlobalRngGuard {
 public:
  GlobalRngGuard();
  ~GlobalRngGuard();
  GlobalRngGuard(const GlobalRngGuard&) = delete;
  GlobalRngGuard& operator=(const GlobalRngGuard&) = delete;

 private:
  at::Generator generator_;
  at::Tensor state_;
};

}  // namespace bulwark
