#pragma once
// Process-wide settings: threads and the allocator.

#include <string>

namespace bulwark {

// The library version, e.g. "0.1.0".
std::string version();

// Debian's torch starts with one intra-op thread. Unless OMP_NUM_THREADS is set, use one
// thread per core. Returns the number of threads torch now uses.
int configure_threads();

// glibc returns every large free()d block to the OS, so each PGD step page-faults its
// activations back in (measured 2.3x slower). Raise the mmap threshold to its maximum, serve
// even larger blocks from the heap (M_MMAP_MAX = 0: glibc caps the threshold at 32 MiB, and a
// batch of 1,000 FashionCNN activations is 100 MB; bench/bench_malloc.py), and stop
// trimming, so freed activations are reused. Returns false if mallopt refused.
bool tune_malloc();

}  // namespace bulwark
