"""Objects whose options are a C++ Options struct, bound as a typed class (python/src/options.h).

Each option's name, default and check live once, in C++: the Python classes keep readable
signatures (their defaults equal the C++ ones; tests/python/core/test_options.py keeps them equal) and
pass every argument on untouched. A value C++ refuses raises ``bw.InvalidArgumentError``, a wrong
type ``bw.ArgumentTypeError``, both naming the option; the options read back as attributes.
"""


def make_options(options_cls, arguments):
    """An ``options_cls()`` with each of ``arguments`` (an ``__init__``'s ``locals()``) set."""
    options = options_cls()
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(options, name, value)
    return options


class WithOptions:
    """Mixin: ``self._impl`` is the C++ object, whose ``options`` property returns its Options
    (defaults resolved, e.g. the seed). Attribute reads fall through to the C++ object (its own
    properties first: the step size used, ``norm``...) and then to its options."""

    def _build(self, core_cls, options_cls, arguments):
        self._impl = core_cls(make_options(options_cls, arguments))

    @property
    def options(self):
        """A copy of the C++ options the object runs with (defaults resolved)."""
        return self._impl.options

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        impl = self.__dict__.get("_impl")
        if impl is None:
            raise AttributeError(name)
        if hasattr(impl, name):
            return getattr(impl, name)
        options = self.options
        if name in type(options).fields:
            return getattr(options, name)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __repr__(self):
        return repr(self._impl)
