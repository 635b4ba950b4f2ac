"""bulwark's default seed (never torch's global generator)."""

from . import _core
from ._convert import check_seed


def seed(n: int) -> None:
    """Set the seed that bulwark objects created without ``seed=`` use from now on.

    Every stochastic object (attacks with random starts, samplers, splits) owns its own generator
    seeded at construction: ``seed`` changes only the default for objects created later. It does
    not seed torch's global generator; seed your own training with ``torch.manual_seed``.
    """
    _core.set_default_seed(check_seed(n, "bulwark.seed", "n"))


def get_seed() -> int:
    """The default seed set by :func:`seed` (0 at import)."""
    return _core.default_seed()
