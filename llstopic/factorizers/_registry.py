"""The one name -> factorizer class table.

Built-in back ends are listed here by location (``"module:Class"``) so that
``import llstopic`` does not import gensim; the class replaces its entry when
its module is imported and its ``@register_factorizer`` decorator runs.  The
decorator refuses a class whose location disagrees with the table, so moving a
built-in class without updating this table fails at import, not at ``load``.
Saved files name their class by the registry name the decorator stored on it
(``klass._registry_name``), never by its module path.

A built-in back end on an optional package names its pip extra after its
location (``"module:Class [extra]"``): :func:`available` leaves it out while
the package is missing and :func:`make_factorizer` says how to install it;
:func:`resolve` (used by ``load``) does not need the package.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from typing import Any

__all__ = ["register_factorizer", "available", "make_factorizer", "resolve", "registry_name_of",
           "missing_package"]

#: name -> class, or "module:Class" for a built-in not imported yet; a built-in that
#: runs on an optional package ends in " [extra]", as entry points do: the pip extra,
#: named after the package it installs (its import name)
_TABLE: dict[str, type | str] = {
    "anchor": "llstopic.factorizers.anchor._estimator:AnchorWords",
    "nmf": "llstopic.factorizers.nmf:NMF",
    "lda": "llstopic.factorizers.lda:GensimLDA",
    "tomotopy": "llstopic.factorizers.tomotopy:TomotopyLDA [tomotopy]",
}
#: name -> the extra (= package) of the built-ins on an optional package
_EXTRAS: dict[str, str] = {}
for _name, _entry in list(_TABLE.items()):
    assert isinstance(_entry, str)   # only built-ins are in the table at import
    _where, _, _extra = _entry.partition(" [")
    _TABLE[_name] = _where
    if _extra:
        _EXTRAS[_name] = _extra.rstrip("]")
del _name, _entry, _where, _extra


def _location(klass):
    return f"{klass.__module__}:{klass.__qualname__}"


def missing_package(name: str) -> tuple[str, str] | None:
    """``(package, install command)`` when factorizer ``name`` needs a package that is missing."""
    extra = _EXTRAS.get(name)
    if extra is None or importlib.util.find_spec(extra) is not None:
        return None
    return extra, f'pip install "llstopic[{extra}]"'


def register_factorizer(name: str, cls: type | None = None) -> Any:
    """Register a factorizer class under ``name`` for :func:`make_factorizer`.

    Use as ``register_factorizer("mine", MyFactorizer)`` or as a class
    decorator ``@register_factorizer("mine")``.  The class must accept
    ``n_topics`` as its first argument and provide ``fit`` returning an object
    with ``topic_word_`` and ``domain_topic_``; subclassing
    :class:`~llstopic.Factorizer` gives the rest of the interface.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")

    def decorator(klass):
        if not isinstance(klass, type) or not callable(getattr(klass, "fit", None)):
            raise TypeError(f"a factorizer must be a class with a fit method, got {klass!r}")
        entry = _TABLE.get(name)
        if isinstance(entry, str) and entry != _location(klass):
            raise ValueError(f"a factorizer named {name!r} is already registered (built-in {entry}); "
                             f"{_location(klass)} cannot take its name")
        if isinstance(entry, type) and entry is not klass:
            raise ValueError(f"a factorizer named {name!r} is already registered")
        _TABLE[name] = klass
        klass._registry_name = name
        return klass

    return decorator if cls is None else decorator(cls)


def available() -> list[str]:
    """Names of the registered factorizers whose packages are installed, sorted."""
    return sorted(name for name in _TABLE if missing_package(name) is None)


def resolve(name: str) -> type:
    """The class registered under ``name`` (importing a built-in on first use)."""
    entry = _TABLE.get(name)
    if entry is None:
        raise ValueError(f"unknown factorizer {name!r}; available: {', '.join(available())}")
    if isinstance(entry, str):
        module, _, attr = entry.partition(":")
        importlib.import_module(module)  # its decorator replaces the entry
        entry = _TABLE[name]
        if not isinstance(entry, type):
            raise RuntimeError(f"importing {module} did not register {attr} as {name!r}")
    return entry


def registry_name_of(klass: type) -> str:
    """The name ``klass`` was registered under; ValueError when it was not."""
    name = klass.__dict__.get("_registry_name")
    if name is None or _TABLE.get(name) is not klass:
        raise ValueError(f"{klass.__name__} is not registered; call llstopic.register_factorizer(name, "
                         f"{klass.__name__}) before saving")
    return name


def make_factorizer(name: str, n_topics: Any, **params: Any) -> Any:
    """Create a factorizer by name: ``make_factorizer("anchor", 10, random_state=0)``.

    Parameters
    ----------
    name : str
        One of :func:`available` (``"anchor"``, ``"nmf"``, ``"lda"``,
        ``"tomotopy"`` when tomotopy is installed, and any registered by the
        user).
    n_topics : int
    **params
        Keyword arguments of the factorizer class.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}: {name!r}")
    missing = missing_package(name)
    if missing is not None:
        raise ImportError(f"factorizer {name!r} needs the {missing[0]} package, which is not "
                          f"installed: {missing[1]}")
    klass = resolve(name)
    try:
        signature = inspect.signature(klass)
    except (TypeError, ValueError):  # pragma: no cover - a class without a signature
        signature = None
    if signature is not None and not any(p.kind is p.VAR_KEYWORD
                                         for p in signature.parameters.values()):
        unknown = [k for k in params if k not in signature.parameters]
        if unknown:
            known = [k for k in signature.parameters if k != "n_topics"]
            raise TypeError(f"bad parameters for factorizer {name!r}: no parameter "
                            f"{unknown[0]!r}; it takes {', '.join(known)}")
    try:
        return klass(n_topics, **params)
    except TypeError as exc:
        raise TypeError(f"bad parameters for factorizer {name!r}: {exc}") from None
