"""Factorizers: every back end behind one interface (see ``_base.Factorizer``).

``make_factorizer(name, n_topics, **params)`` creates one by name;
``available()`` lists the names (the one table is ``_registry``).  Built-in
back ends are imported on first use, so importing this package does not import
gensim (nor tomotopy, an optional back end).
"""

from ._base import Factorizer
from ._persistence import load
from ._registry import available, make_factorizer, register_factorizer

__all__ = ["Factorizer", "available", "load", "make_factorizer", "register_factorizer"]

_CLASSES = {"AnchorWords": "anchor", "NMF": "nmf", "GensimLDA": "lda", "TomotopyLDA": "tomotopy"}


def __getattr__(name):
    # lazy access to the built-in classes: llstopic.factorizers.AnchorWords etc.
    from ._registry import resolve

    if name in _CLASSES:
        return resolve(_CLASSES[name])
    raise AttributeError(f"module 'llstopic.factorizers' has no attribute {name!r}")
