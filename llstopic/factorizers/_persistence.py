"""Saving and loading factorizers: one ``.npz`` file, arrays plus a JSON entry, no pickle."""

from __future__ import annotations

import json
import os

import numpy as np

from .._version import __version__
from ._registry import registry_name_of, resolve

__all__ = ["save_factorizer", "load"]

_FORMAT = "llstopic-factorizer"
_FORMAT_VERSION = 1
_BASE_ATTRIBUTES = ("topic_word_", "domain_topic_", "n_topics_", "n_words_in_", "n_domains_", "vocabulary_",
                    "n_topics_selection_")
#: attributes stored as ``to_dict()`` and rebuilt (and checked) by ``from_dict`` on load
_RESULT_ATTRIBUTES = {"n_topics_selection_": ("llstopic.selection", "SelectionResult")}


def save_factorizer(model, path):
    """Write fitted ``model`` to ``path``; see :meth:`llstopic.Factorizer.save`."""
    name = registry_name_of(type(model))
    params = model.get_params(deep=False)
    try:
        json.dumps(params)
    except TypeError as exc:
        raise TypeError(f"cannot save {type(model).__name__}: a parameter is not JSON-serialisable "
                        f"({exc})") from None
    arrays, scalars = {}, {}
    for attr in _BASE_ATTRIBUTES + tuple(model._saved_attributes):
        value = getattr(model, attr, None)
        if attr in _RESULT_ATTRIBUTES and value is not None:
            value = value.to_dict()
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                raise TypeError(f"cannot save attribute {attr}: object arrays are not supported")
            arrays[attr] = value
        else:
            if isinstance(value, np.generic):
                value = value.item()
            try:
                json.dumps(value)
            except TypeError:
                raise TypeError(f"cannot save attribute {attr} of type {type(value).__name__}") from None
            scalars[attr] = value
    meta = {"format": _FORMAT, "format_version": _FORMAT_VERSION, "llstopic_version": __version__,
            "factorizer": name, "params": params, "attributes": scalars}
    if "__meta__" in arrays:
        raise ValueError("an attribute may not be called __meta__")
    with open(os.fspath(path), "wb") as fh:
        np.savez(fh, __meta__=np.array(json.dumps(meta)), **arrays)


def load(path):
    """Load a factorizer saved with :meth:`Factorizer.save`.

    The file is read with ``allow_pickle=False``: loading cannot run code.
    """
    with np.load(os.fspath(path), allow_pickle=False) as data:
        if "__meta__" not in data.files:
            raise ValueError(f"{path!s} is not an llstopic factorizer file (no metadata)")
        meta = json.loads(str(data["__meta__"]))
        arrays = {k: data[k] for k in data.files if k != "__meta__"}
    if meta.get("format") != _FORMAT:
        raise ValueError(f"{path!s} is not an llstopic factorizer file (format {meta.get('format')!r})")
    if meta.get("format_version", 0) > _FORMAT_VERSION:
        raise ValueError(f"{path!s} was written by a newer llstopic (format version {meta['format_version']})")
    klass = resolve(meta["factorizer"])
    model = klass(**meta["params"])
    for attr, value in meta["attributes"].items():
        if attr in _RESULT_ATTRIBUTES and value is not None:
            import importlib

            module, name = _RESULT_ATTRIBUTES[attr]
            value = getattr(importlib.import_module(module), name).from_dict(value)
        setattr(model, attr, value)
    for attr, value in arrays.items():
        setattr(model, attr, value)
    return model
