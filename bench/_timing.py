"""Side-by-side timing for the Python benchmarks."""

import time

import numpy as np


def alternate(ours, theirs, reps):
    """(median s of ours, median s of theirs, our value, their value): the two timed alternately
    in one run, so drifts of the machine hit both alike."""
    tb, tt = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        vb = ours()
        tb.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        vt = theirs()
        tt.append(time.perf_counter() - t0)
    return float(np.median(tb)), float(np.median(tt)), vb, vt
