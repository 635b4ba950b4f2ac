"""bulwark's default seed (never torch's global generator)."""

from . import _core
from ._convert import check_seed


def seed(n: int) -> None:
    """Set the seed that bulwark objects created without ``seed=`` use from now on.

    Every stochastic object and function (attacks with random starts, samplers, splits, the
    training losses) takes ``seed=`` and draws from a generator of its own; those given none use
    this default, read when they are created (objects) or called (functions). It does not seed
    torch's global generator, which bulwark never draws from: seed your own training (dropout, a
    DataLoader without ``generator=``) with ``torch.manual_seed``.
    """
    _core.set_default_seed(check_seed(n, "bulwark.seed", "n"))


def get_seed() -> int:
    """The default seed set by :func:`seed` (0 at import)."""
    return _core.default_seed()


def derive_seed(seed: int, index: int) -> int:
    """A seed for item ``index`` of a stream seeded with ``seed`` (SplitMix64), the rule bulwark
    uses for per-sample and per-epoch randomness. In your own loop, give each batch its own
    random start: ``bw.defenses.pgd_at_loss(model, x, y, eps, seed=bw.derive_seed(seed, step))``."""
    fn = "bulwark.derive_seed"
    return _core.derive_seed(check_seed(seed, fn), check_seed(index, fn, "index"))
