"""Plots (matplotlib, imported on first use)."""

from . import _core, metrics
from ._convert import check_bool, check_int

__all__ = ["reliability_diagram", "certified_accuracy"]


def reliability_diagram(scores, labels, bins=15, logits=False, equal_mass=False, title=None,
                        axes=None, color="C0"):
    """Reliability diagram (DeGroot & Fienberg 1983; Guo et al. 2017): per bin, the accuracy
    (bars) against the mean confidence, the gap to the diagonal shaded red, the ECE in the
    legend; below, the histogram of confidences (sample counts per bin, log scale).

    ``scores``/``labels``/``bins``/``logits``/``equal_mass`` as in ``bw.metrics.ece`` (binary
    ``(N,)`` scores plot ``P(y = 1)`` against the fraction of positives). ``axes``: a pair
    ``(top, bottom)`` of matplotlib axes to draw into; by default a new figure. Returns the
    figure.
    """
    fn = "reliability_diagram"
    bins = check_int(bins, fn, "bins")  # the value is reliability_curve's (C++) to check
    logits = check_bool(logits, fn, "logits")
    equal_mass = check_bool(equal_mass, fn, "equal_mass")
    curve = metrics.reliability_curve(scores, labels, bins=bins, equal_mass=equal_mass, logits=logits)
    ece = metrics.ece(scores, labels, bins=bins, equal_mass=equal_mass, logits=logits)
    import matplotlib.pyplot as plt
    import numpy as np

    def arr(v):
        return v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)

    conf, acc, count, edges = (arr(curve[k]).astype(float) for k in ("confidence", "accuracy", "count", "edges"))
    if axes is None:
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(4.2, 5.2), sharex=True,
                                          gridspec_kw={"height_ratios": [3, 1], "hspace": 0.08})
    else:
        if not (isinstance(axes, (tuple, list)) and len(axes) == 2):
            raise _core.ArgumentTypeError(f"{fn}: axes must be a pair (top, bottom) of matplotlib axes, got "
                            f"{type(axes).__name__}")
        top, bottom = axes
        fig = top.figure
    left, width = edges[:-1], np.diff(edges)
    used = count > 0
    top.bar(left[used], acc[used], width=width[used], align="edge", color=color, edgecolor="white",
            linewidth=0.5, label="accuracy")
    # The gap between accuracy and mean confidence, per bin.
    lo, hi = np.minimum(acc, conf)[used], np.maximum(acc, conf)[used]
    top.bar(left[used], hi - lo, bottom=lo, width=width[used], align="edge", color="red", alpha=0.3,
            edgecolor="red", linewidth=0.5, label=f"gap (ECE {100 * ece:.2f}%)")
    top.plot([0, 1], [0, 1], "k--", linewidth=1)
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_ylabel("accuracy")
    top.legend(loc="upper left", fontsize="small")
    if title is not None:
        top.set_title(title)
    bottom.bar(left, count, width=width, align="edge", color="gray", edgecolor="white", linewidth=0.5)
    bottom.set_yscale("log")
    bottom.set_xlim(0, 1)
    bottom.set_xlabel("confidence")
    bottom.set_ylabel("count")
    return fig


def certified_accuracy(radii, accuracy, label=None, ax=None):
    """Certified accuracy against the L2 radius (``bw.defenses.certified_accuracy``'s output):
    a step curve, accuracy in [0, 1]. ``ax``: an axes to draw into (several curves on one);
    by default a new figure. Returns the figure."""
    import matplotlib.pyplot as plt
    import numpy as np

    def arr(v):
        return v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)

    r, a = arr(radii).astype(float), arr(accuracy).astype(float)
    if r.shape != a.shape or r.ndim != 1:
        raise _core.InvalidArgumentError(f"certified_accuracy: radii and accuracy must be (R,) of one length, got "
                         f"{r.shape} and {a.shape}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.5, 3.2))
    else:
        fig = ax.figure
    ax.step(r, a, where="post", label=label)
    ax.set_xlabel("L2 radius")
    ax.set_ylabel("certified accuracy")
    ax.set_ylim(0, 1)
    ax.set_xlim(left=0)
    if label is not None:
        ax.legend(fontsize="small")
    return fig
