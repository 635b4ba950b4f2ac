"""Progress bars for long C++ work called from Python (tqdm, which also renders in notebooks)."""

import contextlib


@contextlib.contextmanager
def progress_callback(label, enabled=True):
    """Yields a callback ``(epoch, epochs, batch, batches, loss)`` that drives a tqdm bar, or
    None when disabled (the C++ side then stays quiet too)."""
    if not enabled:
        yield None
        return
    from tqdm.auto import tqdm

    state = {"bar": None, "epoch": -1}

    def on_batch(epoch, epochs, batch, batches, loss):
        if epoch != state["epoch"]:
            if state["bar"] is not None:
                state["bar"].close()
            state["bar"] = tqdm(total=batches, desc=f"{label} epoch {epoch + 1}/{epochs}",
                                leave=True, mininterval=0.2)
            state["epoch"] = epoch
        bar = state["bar"]
        bar.update(batch - bar.n)
        if batch == batches or batch % 20 == 0:
            bar.set_postfix(loss=f"{loss:.4f}", refresh=False)

    try:
        yield on_batch
    finally:
        if state["bar"] is not None:
            state["bar"].close()



@contextlib.contextmanager
def sample_bar(label, enabled=True):
    """Yields ``bar(offset)`` -> a callback ``(done, total)`` that sets a tqdm bar over samples to
    ``offset + done`` (one callback per C++ call on a slice of the data), or None when disabled."""
    if not enabled:
        yield lambda offset: None
        return
    from tqdm.auto import tqdm

    bar = tqdm(desc=label, unit="sample", leave=True, mininterval=0.2)

    def make(offset):
        def on_batch(done, total):
            bar.update(offset + done - bar.n)
        return on_batch

    try:
        yield make
    finally:
        bar.close()
