#pragma once
// Process-wide settings: threads and the allocator. bulwark changes neither on its own (not on
// import, not when a library call runs): a program opts in with one call to tune(), as
// bulwark-run, the benchmarks and the notebooks do, and runtime_info() reports the state.

#include <cstdint>
#include <optional>
#include <string>

namespace bulwark {

// The library version, e.g. "0.1.0".
std::string version();

struct TuneOptions {
  // torch's intra-op threads. Default: one per core, unless OMP_NUM_THREADS is set (then torch's
  // own choice stays). Debian's torch starts with one thread.
  std::optional<int> threads;
  // glibc returns every large free()d block to the OS, so each PGD step page-faults its
  // activations back in (measured 2.3x slower). With malloc = true: the mmap threshold at its
  // maximum, even larger blocks served from the heap (M_MMAP_MAX = 0: glibc caps the threshold
  // at 32 MiB, and a batch of 1,000 FashionCNN activations is 100 MB; bench/bench_malloc.py),
  // and no trimming, so freed activations are reused. For the whole process, not undone.
  bool malloc = true;
};

struct RuntimeInfo {
  std::string version;
  int threads = 0;             // torch's intra-op threads now
  int cores = 0;               // std::thread::hardware_concurrency()
  bool omp_num_threads = false;  // OMP_NUM_THREADS is set
  bool threads_tuned = false;  // tune() set the thread count
  bool malloc_tuned = false;   // tune() changed glibc's malloc settings (and mallopt accepted them)
  uint64_t default_seed = 0;   // the seed of objects made without one (set_default_seed)
};

// Applies `options` to the whole process and returns the state after it. Threads must be >= 1.
RuntimeInfo tune(const TuneOptions& options = {});
RuntimeInfo runtime_info();

}  // namespace bulwark
