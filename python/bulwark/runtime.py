"""Process-wide settings: torch's threads and glibc's allocator.

bulwark changes neither by itself — not on import, not inside any call. A program opts in once,
at its start:

    import bulwark as bw
    bw.runtime.tune()          # one intra-op thread per core, malloc tuned for large batches
    bw.runtime.info()          # RuntimeInfo(version=..., threads=2, cores=2, ..., malloc_tuned=True)

``bulwark-run``, the benchmarks and the notebooks call it; docs/performance.md measures what the
malloc setting buys (FashionCNN forwards at batch 1,000: 4.5x).
"""

from . import _core
from ._convert import check_bool, check_int

__all__ = ["tune", "info", "RuntimeInfo"]

RuntimeInfo = _core.runtime.RuntimeInfo


def tune(threads=None, malloc=True):
    """Tunes the whole process and returns :func:`info` after it.

    ``threads``: torch's intra-op threads; ``None`` sets one per core unless ``OMP_NUM_THREADS``
    is set (Debian's torch starts with one). ``malloc=True`` raises glibc's mmap threshold to its
    maximum, keeps even larger blocks in the heap and stops trimming, so the activations of
    large batches are reused instead of page-faulted in again after every free; this lasts for
    the process (glibc only, a no-op elsewhere)."""
    fn = "bulwark.runtime.tune"
    return _core.runtime.tune(check_int(threads, fn, "threads", allow_none=True), check_bool(malloc, fn, "malloc"))


def info():
    """The process's state as bulwark sees it: :class:`RuntimeInfo` with ``version``,
    ``threads``, ``cores``, ``omp_num_threads`` (set in the environment), ``threads_tuned`` and
    ``malloc_tuned`` (by :func:`tune`) and ``default_seed`` (:func:`bulwark.seed`)."""
    return _core.runtime.info()
