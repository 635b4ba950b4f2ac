#include <bulwark/core/runtime.h>

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include <ATen/Parallel.h>

#include <bulwark/core/error.h>
#include <bulwark/core/random.h>
#include <bulwark/version.h>

namespace bulwark {

namespace {
std::atomic<bool> g_threads_tuned{false};
std::atomic<bool> g_malloc_tuned{false};

bool omp_num_threads_set() {
  const char* env = std::getenv("OMP_NUM_THREADS");
  return env != nullptr && *env != '\0';
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
}  // namespace

std::string version() { return BULWARK_VERSION; }

RuntimeInfo tune(const TuneOptions& options) {
  if (options.threads) BULWARK_CHECK(*options.threads >= 1, "tune: threads must be >= 1, got ", *options.threads);
  // The allocator first, so the thread pool's buffers already come from the tuned heap.
  if (options.malloc && tune_malloc()) g_malloc_tuned = true;
  if (options.threads) {
    at::set_num_threads(*options.threads);
    g_threads_tuned = true;
  } else if (!omp_num_threads_set()) {
    const unsigned cores = std::thread::hardware_concurrency();
    if (cores > 0) {
      if (at::get_num_threads() != static_cast<int>(cores)) at::set_num_threads(static_cast<int>(cores));
      g_threads_tuned = true;
    }
  }
  return runtime_info();
}

RuntimeInfo runtime_info() {
  RuntimeInfo info;
  info.version = version();
  info.threads = at::get_num_threads();
  info.cores = static_cast<int>(std::thread::hardware_concurrency());
  info.omp_num_threads = omp_num_threads_set();
  info.threads_tuned = g_threads_tuned;
  info.malloc_tuned = g_malloc_tuned;
  info.default_seed = default_seed();
  return info;
}

}  // namespace bulwark
