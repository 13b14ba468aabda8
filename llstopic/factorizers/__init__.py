"""Factorizers: every back end behind one interface (see ``_base.Factorizer``).

``make_factorizer(name, n_topics, **params)`` creates one by name;
``available()`` lists the names.  Built-in back ends are imported on first
use, so importing this package does not import gensim.
"""

from ._base import Factorizer, available, load, make_factorizer, register_factorizer

__all__ = ["Factorizer", "available", "load", "make_factorizer", "register_factorizer"]


def __getattr__(name):
    # lazy access to the built-in classes: llstopic.factorizers.AnchorWords etc.
    from ._base import _BUILTIN, _resolve

    for key, target in _BUILTIN.items():
        if target.rpartition(":")[2] == name:
            return _resolve(key)
    raise AttributeError(f"module 'llstopic.factorizers' has no attribute {name!r}")
