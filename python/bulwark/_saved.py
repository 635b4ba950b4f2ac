"""save/load for Python classes over a fitted C++ object that writes one JSON file."""

from . import _core
from ._convert import check_path


class SavedObject:
    """Subclasses hold the C++ object in ``_impl`` and set ``_load_impl`` (path -> C++ object of
    whichever kind the file holds); ``_restore`` sets the constructor's attributes after a load."""

    _load_impl = None

    def save(self, path):
        """One small JSON file, readable from C++ without Python."""
        self._impl.save(check_path(path, f"{type(self).__name__}.save"))

    @classmethod
    def load(cls, path):
        """The object saved at ``path``; ``ValueError`` if the file holds another kind."""
        p = check_path(path, f"{cls.__name__}.load")
        impl = cls._load_impl(p)
        if impl.kind != cls.__name__:
            raise _core.InvalidArgumentError(f"{cls.__name__}.load: {p} holds a {impl.kind}, not a {cls.__name__}")
        return cls._wrap(impl)

    @classmethod
    def _wrap(cls, impl):
        self = cls.__new__(cls)
        self._impl = impl
        self._restore()
        return self

    def _restore(self):
        pass
