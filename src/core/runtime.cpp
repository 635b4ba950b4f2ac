#include <bulwark/core/runtime.h>

#include <malloc.h>

#include <cstdlib>
#include <thread>

#include <ATen/Parallel.h>

#include <bulwark/version.h>

namespace bulwark {

std::string version() { return BULWARK_VERSION; }

int configure_threads() {
  const char* env = std::getenv("OMP_NUM_THREADS");
  if (env == nullptr || *env == '\0') {
    const unsigned cores = std::thread::hardware_concurrency();
    if (cores > 0 && at::get_num_threads() != static_cast<int>(cores)) {
      at::set_num_threads(static_cast<int>(cores));
    }
  }
  return at::get_num_threads();
}

bool tune_malloc() {
#ifdef __GLIBC__
  // 32 MiB is glibc's ceiling for M_MMAP_THRESHOLD on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX), so
  // blocks above it would still be mmap'd and page-faulted in on every allocation: no mmap at
  // all (M_MMAP_MAX = 0) keeps them in the heap for reuse too (bench/bench_malloc.py).
  const int mmap_ok = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  const int mmap_max_ok = mallopt(M_MMAP_MAX, 0);
  const int trim_ok = mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
  return mmap_ok == 1 && mmap_max_ok == 1 && trim_ok == 1;
#else
  return false;
#endif
}

}  // namespace bulwark
