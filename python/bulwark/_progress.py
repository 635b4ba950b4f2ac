"""Progress bars for long C++ work called from Python (tqdm, which also renders in notebooks)."""

import contextlib


def tqdm_class():
    """tqdm's notebook bar where it works, else its text bar. tqdm.auto picks the notebook bar in
    any Jupyter kernel, but that bar needs ipywidgets >= 7 (it sets FloatProgress.style), and
    Debian 12 ships ipywidgets 6: there the bar would raise AttributeError on creation."""
    try:
        import ipywidgets
        if int(ipywidgets.__version__.split(".")[0]) >= 7:
            tqdm = tqdm_class()
            return tqdm
    except (ImportError, ValueError):
        pass
    from tqdm import tqdm
    return tqdm


@contextlib.contextmanager
def progress_callback(label, enabled=True):
    """Yields a callback ``(epoch, epochs, batch, batches, loss)`` that drives a tqdm bar, or
    None when disabled (the C++ side then stays quiet too)."""
    if not enabled:
        yield None
        return
    tqdm = tqdm_class()

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
    tqdm = tqdm_class()

    bar = tqdm(desc=label, unit="sample", leave=True, mininterval=0.2)

    def make(offset):
        def on_batch(done, total):
            bar.update(offset + done - bar.n)
        return on_batch

    try:
        yield make
    finally:
        bar.close()


@contextlib.contextmanager
def count_bar(label, total, enabled=True):
    """Yields a ``(done, total)`` callback driving a tqdm bar over ``total`` items, or None when
    disabled or for a single item."""
    if not enabled or total <= 1:
        yield None
        return
    bar = tqdm_class()(total=total, desc=label, mininterval=0.5)
    try:
        yield lambda done, _total: bar.update(done - bar.n)
    finally:
        bar.close()
