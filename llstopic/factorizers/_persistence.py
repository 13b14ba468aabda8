"""Saving and loading factorizers: one ``.npz`` file, arrays plus a JSON entry, no pickle.

A saved file is a zip archive of ``.npy`` members: ``__meta__`` (a JSON
string: format, version, registry name, parameters, scalar attributes) and one
member per fitted array.  :func:`load` trusts nothing in it: every member's
header (dtype and shape) is checked against the parameters before its data
is read, every probability row must be finite and on the simplex, the
parameters go through the class' own validation, the class must be the one
registered under the saved name, and only the class' known attributes are
set (never one that would shadow a method).  Every problem is a
``ValueError`` naming the file; file-system faults stay ``OSError``.

:meth:`Factorizer.save` runs the same checks before writing, then writes a
temporary file next to the destination and replaces it, so a failed save
leaves the old file intact.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from numbers import Integral
from typing import Any

import numpy as np
from numpy.lib import format as npy_format

from .._files import replacing
from .._typing import Path
from .._validation import Interval, check_memory, check_param
from .._version import __version__
from ._registry import registry_name_of, resolve

__all__ = ["save_factorizer", "load", "Array", "Strings"]

_FORMAT = "llstopic-factorizer"
_FORMAT_VERSION = 1
_MAX_HEADER = 1 << 16  # an .npy header is a few hundred bytes
_SIMPLEX_ATOL = 1e-6


class Array:
    """A saved array attribute: ``dtype``, a shape named by scalar attributes, a rule on its values.

    ``rule`` is None (finite), ``"simplex"`` (rows: non-negative, summing to
    one), ``"nonnegative"``, ``"positive"`` or ``("below", attribute)`` for
    integer ids ``0 <= id < attribute``.
    """

    def __init__(self, dtype, shape, rule=None):
        self.dtype, self.shape, self.rule = np.dtype(dtype), tuple(shape), rule


class Strings:
    """A saved list of strings whose length is the scalar attribute ``length``."""

    def __init__(self, length, *, distinct=True):
        self.length, self.distinct = length, distinct


_ONE_OR_MORE = [Interval(Integral, 1, None)]
#: every factorizer's saved attributes
BASE_ATTRIBUTES = {
    "n_topics_": _ONE_OR_MORE,
    "n_words_in_": _ONE_OR_MORE,
    "n_domains_": _ONE_OR_MORE,
    "vocabulary_": [None, Strings("n_words_in_")],
    "topic_word_": Array(np.float64, ("n_topics_", "n_words_in_"), "simplex"),
    "domain_topic_": Array(np.float64, ("n_domains_", "n_topics_"), "simplex"),
    # n_topics="auto": the SelectionResult, saved as its to_dict() and rebuilt (and checked) by
    # SelectionResult.from_dict on load; None otherwise; absent from older files
    "n_topics_selection_": [None, dict],
}
#: base attributes that files written before they existed lack
_OPTIONAL_BASE = ("n_topics_selection_",)


def _attribute_table(klass):
    """Name -> constraint (None: unchecked) of every attribute ``klass`` saves."""
    extra = getattr(klass, "_attribute_constraints", {})
    table = dict(BASE_ATTRIBUTES)
    for name in klass._saved_attributes:
        table[name] = extra.get(name)
    return table


# ------------------------------------------------------------------- checks
def _check_scalar(name, value, constraint, sizes, fname):
    if constraint is None:
        return value
    strings = next((c for c in constraint if isinstance(c, Strings)), None)
    if strings is not None and value is not None and not isinstance(value, list):
        raise ValueError(f"{fname}: {name} must be {'None or ' if None in constraint else ''}a "
                         f"list of strings, got {type(value).__name__}")
    if strings is not None and isinstance(value, list):
        length = sizes[strings.length]
        if len(value) != length or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{fname}: {name} must be a list of {length} strings "
                             f"({strings.length} = {length})")
        if strings.distinct and len(set(value)) != len(value):
            raise ValueError(f"{fname}: {name} holds a repeated string")
        return value
    try:
        return check_param(value, name, [c for c in constraint if not isinstance(c, Strings)])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{fname}: {exc}") from None


def _check_scalars(scalars, table, fname):
    """Check the JSON attributes: numbers first, then the lists whose lengths they give."""
    def lists(name):
        return any(isinstance(c, Strings) for c in (table.get(name) or ()))

    sizes = {k: _check_scalar(k, v, table.get(k), {}, fname)
             for k, v in scalars.items() if not lists(k)}
    sizes.update({k: _check_scalar(k, v, table.get(k), sizes, fname)
                  for k, v in scalars.items() if lists(k)})
    return sizes


def _expected(spec, sizes, name, fname):
    try:
        return tuple(int(sizes[s]) if isinstance(s, str) else int(s) for s in spec.shape)
    except KeyError as exc:  # pragma: no cover - a class' table names an unsaved attribute
        raise ValueError(f"{fname}: {name}'s shape refers to {exc}, which is not saved") from None


def _check_header(name, dtype, shape, spec, sizes, fname):
    """Check an array's dtype and shape from its ``.npy`` header, before reading its data."""
    if spec is None:
        if dtype.kind not in "biuf":
            raise ValueError(f"{fname}: {name} has dtype {dtype}; only numeric arrays are read")
    else:
        if dtype.kind != spec.dtype.kind or dtype.itemsize != spec.dtype.itemsize:
            raise ValueError(f"{fname}: {name} has dtype {dtype}, expected {spec.dtype}")
        expected = _expected(spec, sizes, name, fname)
        if tuple(shape) != expected:
            names = ", ".join(str(s) for s in spec.shape)
            raise ValueError(f"{fname}: {name} has shape {tuple(shape)}, expected {expected} "
                             f"= ({names})")
    check_memory(dtype.itemsize * int(np.prod(shape, dtype=object)), f"{fname}: {name}")


def _check_values(name, array, spec, sizes, fname):
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise ValueError(f"{fname}: {name} holds a non-finite value")
    rule = None if spec is None else spec.rule
    if rule == "simplex":
        if (array < 0).any():
            raise ValueError(f"{fname}: {name} has a negative probability")
        sums = array.sum(axis=-1)
        if array.size and np.abs(sums - 1.0).max() > _SIMPLEX_ATOL:
            row = int(np.argmax(np.abs(sums - 1.0)))
            raise ValueError(f"{fname}: {name} rows must sum to one; row {row} sums to "
                             f"{float(sums[row])!r}")
    elif rule == "nonnegative" and (array < 0).any():
        raise ValueError(f"{fname}: {name} has a negative entry")
    elif rule == "positive" and (array <= 0).any():
        raise ValueError(f"{fname}: {name} has an entry <= 0")
    elif isinstance(rule, tuple) and rule[0] == "below" and array.size:
        upper = sizes[rule[1]]
        if array.min() < 0 or array.max() >= upper:
            raise ValueError(f"{fname}: {name} holds an id outside [0, {rule[1]} = {upper})")


def _check_names(klass, names, fname):
    """Only the class' known attributes, and none that would shadow a method or property."""
    table = _attribute_table(klass)
    for name in names:
        if name not in table:
            raise ValueError(f"{fname}: unknown attribute {name!r} for {klass.__name__} (it "
                             f"saves {', '.join(sorted(table))})")
        if name.startswith("_") or not name.endswith("_") or hasattr(klass, name):
            raise ValueError(f"{fname}: attribute {name!r} would shadow a method or class "
                             f"attribute of {klass.__name__}; refused")
    # attributes added after format version 1 may be absent from older files
    optional = set(_OPTIONAL_BASE) | set(getattr(klass, "_optional_attributes", ()))
    missing = sorted(set(table) - set(names) - optional)
    if missing:
        raise ValueError(f"{fname}: attribute(s) {', '.join(missing)} missing")
    return table


# --------------------------------------------------------------------- save
def _jsonable(value, what):
    """``value`` with numpy scalars and arrays as Python objects, or TypeError."""
    def default(obj):
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray) and obj.dtype.kind in "biufU":
            return obj.tolist()
        raise TypeError(f"{type(obj).__name__}")

    try:
        return json.loads(json.dumps(value, default=default))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot save {what}: a value of type {exc} is not JSON-serialisable") \
            from None


def save_factorizer(model: Any, path: Path) -> None:
    """Write fitted ``model`` to ``path``; see :meth:`llstopic.Factorizer.save`."""
    klass = type(model)
    name = registry_name_of(klass)
    model._validate_parameters()
    params = _jsonable(model.get_params(deep=False), f"the parameters of {klass.__name__}")
    where = f"{klass.__name__}.save"
    table = _check_names(klass, list(_attribute_table(klass)), where)
    arrays, scalars = {}, {}
    for attr, spec in table.items():
        value = getattr(model, attr, None)
        if attr == "n_topics_selection_" and value is not None:
            value = value.to_dict()
        if isinstance(spec, Array) or isinstance(value, np.ndarray):
            arrays[attr] = np.asarray(value)
        else:
            scalars[attr] = _jsonable(value, f"attribute {attr}")
    sizes = _check_scalars(scalars, table, where)
    for attr, array in arrays.items():
        _check_header(attr, array.dtype, array.shape, table[attr], sizes, where)
        _check_values(attr, array, table[attr], sizes, where)
    meta = {"format": _FORMAT, "format_version": _FORMAT_VERSION, "llstopic_version": __version__,
            "factorizer": name, "params": params, "attributes": scalars}
    with replacing(path) as (fh,):
        np.savez(fh, __meta__=np.array(json.dumps(meta)), **arrays)  # type: ignore[arg-type]  # numpy stubs: **kwds may hit allow_pickle


# --------------------------------------------------------------------- load
_META_KEYS = {"format": str, "format_version": int, "factorizer": str, "params": dict,
              "attributes": dict}


def _read_member(archive, info, fname):
    """(dtype, shape, fortran) from the header of one ``.npy`` member."""
    with archive.open(info) as fp:
        version = npy_format.read_magic(fp)
        reader = {(1, 0): npy_format.read_array_header_1_0,
                  (2, 0): npy_format.read_array_header_2_0}.get(version)
        if reader is None:
            raise ValueError(f"unsupported .npy version {version}")
        shape, fortran, dtype = reader(fp, max_header_size=_MAX_HEADER)
        header_bytes = fp.tell()
    if info.file_size != header_bytes + dtype.itemsize * int(np.prod(shape, dtype=object)):
        raise ValueError(f"member {info.filename} is {info.file_size} bytes, which does not "
                         f"match its header {shape} {dtype}")
    return dtype, shape


def _array(archive, info):
    with archive.open(info) as fp:
        return npy_format.read_array(fp, allow_pickle=False)


def _read_meta(archive, members, fname):
    if "__meta__" not in members:
        raise ValueError(f"{fname} is not an llstopic factorizer file (no metadata)")
    dtype, shape = _read_member(archive, members["__meta__"], fname)
    if dtype.kind != "U" or shape != ():
        raise ValueError(f"{fname}: the metadata is not a JSON string")
    check_memory(dtype.itemsize, f"{fname}: the metadata")
    try:
        meta = json.loads(str(_array(archive, members["__meta__"])))
    except (ValueError, RecursionError):
        raise ValueError(f"{fname}: the metadata is not valid JSON") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{fname}: the metadata is a JSON {type(meta).__name__}, not an object")
    if meta.get("format") != _FORMAT:
        raise ValueError(f"{fname} is not an llstopic factorizer file (format "
                         f"{meta.get('format')!r:.60})")
    for key, kind in _META_KEYS.items():
        if key not in meta:
            raise ValueError(f"{fname}: the metadata has no {key!r}")
        if not isinstance(meta[key], kind) or isinstance(meta[key], bool):
            raise ValueError(f"{fname}: metadata {key!r} must be a JSON {kind.__name__}, got "
                             f"{type(meta[key]).__name__}")
    version = meta["format_version"]
    if version > _FORMAT_VERSION:
        raise ValueError(f"{fname} was written by a newer llstopic (format version {version}); "
                         f"this one reads version {_FORMAT_VERSION}")
    if version < 1:
        raise ValueError(f"{fname}: unknown format version {version}")
    return meta


def _make_model(meta, fname):
    from ._base import Factorizer

    try:
        klass = resolve(meta["factorizer"])
    except (ValueError, RuntimeError, ImportError) as exc:
        raise ValueError(f"{fname}: {exc}") from None
    if not (isinstance(klass, type) and issubclass(klass, Factorizer)):
        raise ValueError(f"{fname}: {meta['factorizer']!r} is not a Factorizer class")
    try:
        if registry_name_of(klass) != meta["factorizer"]:
            raise ValueError("registered under another name")
    except ValueError:
        raise ValueError(f"{fname}: {klass.__name__} is not registered as "
                         f"{meta['factorizer']!r}") from None
    try:
        model = klass(**meta["params"])
        model._validate_parameters()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{fname}: the saved parameters are not valid for {klass.__name__}: "
                         f"{exc}") from None
    return klass, model


def load(path: Path) -> Any:
    """Load a factorizer saved with :meth:`Factorizer.save`.

    The file is parsed without pickle (loading cannot run code) and checked
    entirely before the model is built; see the module docstring.

    Raises
    ------
    ValueError
        For any file that is not a valid, consistent llstopic factorizer file
        (the message names the path).
    OSError
        When the file cannot be opened (missing, a folder, no permission).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    fname = os.fspath(path)
    if not isinstance(fname, str):
        raise TypeError(f"path must be a str or os.PathLike of str, got {fname!r:.80}")
    try:
        with zipfile.ZipFile(fname) as archive:
            return _load(archive, fname)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
            OverflowError, UnicodeDecodeError) as exc:
        raise ValueError(f"{fname} is not a readable llstopic factorizer file (a damaged or "
                         f"truncated .npz archive: {type(exc).__name__})") from None
    except ValueError as exc:
        text = str(exc)
        raise ValueError(text if fname in text else f"{fname}: {text}") from None


def _load(archive, fname):
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if len(set(names)) != len(names) or not all(n.endswith(".npy") for n in names):
        raise ValueError(f"{fname}: the archive holds members other than distinct .npy arrays")
    members = {info.filename[:-4]: info for info in infos}
    meta = _read_meta(archive, members, fname)
    klass, model = _make_model(meta, fname)
    scalars = meta["attributes"]
    array_names = [k for k in members if k != "__meta__"]
    if set(scalars) & set(array_names):
        raise ValueError(f"{fname}: attribute(s) saved twice: "
                         f"{', '.join(sorted(set(scalars) & set(array_names)))}")
    table = _check_names(klass, list(scalars) + array_names, fname)
    for attr in scalars:
        if isinstance(table[attr], Array):
            raise ValueError(f"{fname}: {attr} must be saved as an array")
    for attr in array_names:
        if table[attr] is not None and not isinstance(table[attr], Array):
            raise ValueError(f"{fname}: {attr} must be saved as a JSON value, not an array")
    sizes = _check_scalars(scalars, table, fname)
    selection = sizes.get("n_topics_selection_")
    if selection is not None:
        from ..selection import SelectionResult

        try:
            selection = sizes["n_topics_selection_"] = SelectionResult.from_dict(selection)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{fname}: n_topics_selection_: {exc}") from None
    chosen = model.n_topics if selection is None else selection.n_topics
    if model.n_topics == "auto" and selection is None:
        raise ValueError(f"{fname}: n_topics='auto' but no n_topics_selection_ was saved")
    if sizes["n_topics_"] != chosen:
        raise ValueError(f"{fname}: n_topics_ = {sizes['n_topics_']} disagrees with the parameter "
                         f"n_topics = {model.n_topics!r}"
                         + ("" if selection is None else f" (estimated {selection.n_topics})"))
    arrays = {}
    for attr in array_names:
        dtype, shape = _read_member(archive, members[attr], fname)
        _check_header(attr, dtype, shape, table[attr], sizes, fname)
        array = _array(archive, members[attr])
        if table[attr] is not None:
            array = array.astype(table[attr].dtype, copy=False)  # native byte order
        _check_values(attr, array, table[attr], sizes, fname)
        arrays[attr] = array
    for attr, value in {**sizes, **arrays}.items():
        setattr(model, attr, value)
    return model

