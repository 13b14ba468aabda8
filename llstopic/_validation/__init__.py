"""Input validation shared by every public entry point.

Every check here raises ``ValueError`` or ``TypeError`` with a message that
names the argument, the offending value (or its type, or its position) and
what was expected.  Numba kernels never see data that has not passed through
one of these functions: numba does not bounds-check, so an unchecked index is
a segfault or silent garbage.

Scalar parameters are checked declaratively (the constraint classes live in
``_constraints``, re-exported here): an estimator lists, per parameter, the
values it accepts,

    _parameter_constraints = {"n_topics": [Interval(Integral, 1, None)],
                              "loss": [Options(("kl", "l2"))],
                              "min_count": [None, Interval(Integral, 1, None)]}

and :func:`validate_params` checks ``get_params()`` against that table before
any work.  Functions use the same constraints through :func:`check_param`.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._constraints import (INT64_MAX, HasMethods, Interval, Options, check_param,
                           validate_params)
from ._counts import check_count_matrix, check_total
from ._factors import check_bool, check_counts, check_factor, check_real, factor_shapes
from ._memory import check_memory

__all__ = [
    "Interval", "Options", "HasMethods", "check_param", "validate_params",
    "check_random_state", "seed_from", "check_positive_int", "check_id_array",
    "check_count_matrix", "check_total", "check_probability_rows", "check_finite_array",
    "check_memory", "INT64_MAX", "check_real", "check_bool", "check_counts", "check_factor",
    "factor_shapes",
]


def check_random_state(random_state):
    """Turn ``random_state`` into a :class:`numpy.random.Generator`.

    Parameters
    ----------
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        ``None`` gives fresh OS entropy; an int seeds a new PCG64 generator; a
        Generator is used as is (shared state, as in scikit-learn); a legacy
        ``RandomState`` is converted by drawing a seed from it.
    """
    random_state = check_param(random_state, "random_state", ["random_state"])
    if random_state is None or isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    return np.random.default_rng(int(random_state))


def seed_from(rng):
    """Draw a 31-bit integer seed from ``rng`` for a back end that wants an int
    (numba kernels, scikit-learn, gensim)."""
    return int(rng.integers(0, 2**31 - 1))


def check_positive_int(value, name, *, minimum=1, allow_none=False):
    """Return ``value`` as a Python int after checking it is an integer >= ``minimum``.

    Booleans and floats are refused (``True`` is not a count); ``None`` only
    with ``allow_none``.
    """
    constraints = ([None] if allow_none else []) + [Interval(numbers.Integral, minimum, None)]
    value = check_param(value, name, constraints)
    return None if value is None else int(value)


def _first_bad(mask):
    return int(np.flatnonzero(mask)[0])


def _py(value):
    """A numpy scalar as the plain Python value (messages read ``0.5``, not ``np.float64(0.5)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _as_numeric(array, name):
    """``np.asarray(array)`` of numbers; strings, complex numbers and ragged input are refused."""
    if isinstance(array, (str, bytes)) or array is None:
        raise TypeError(f"{name} must be a numeric array, got {type(array).__name__}: "
                        f"{array!r:.80}")
    try:
        arr = np.asarray(array)
    except (TypeError, ValueError):  # ragged nested lists and the like
        raise TypeError(f"{name} must be a numeric array; a {type(array).__name__} could not be "
                        "converted (ragged nested lists?)") from None
    if arr.dtype == object:
        flat = arr.ravel()
        bad = next((v for v in flat if isinstance(v, (str, bytes, complex))
                    or not isinstance(v, numbers.Real)), None)
        if bad is not None or flat.size == 0:
            what = "an object array" if bad is None else f"a {type(bad).__name__} ({bad!r:.40})"
            raise TypeError(f"{name} must be numeric, got {what} (ragged or non-numeric input?)")
    elif arr.dtype.kind not in "biuf":
        kind = {"c": "complex numbers", "U": "strings", "S": "bytes", "M": "datetimes",
                "m": "time deltas", "V": "structured records"}.get(arr.dtype.kind, "non-numbers")
        raise TypeError(f"{name} must hold real numbers, got {kind} (dtype {arr.dtype})")
    return arr


def check_finite_array(array, name, *, ndim=None, dtype=np.float64):
    """Convert to a float array, rejecting non-numeric input (strings, complex) and NaN/inf."""
    arr = _as_numeric(array, name)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    try:
        arr = np.asarray(arr, dtype=dtype)
    except OverflowError:
        raise ValueError(f"{name} holds a number too large for {np.dtype(dtype).name}") from None
    if arr.size and not np.all(np.isfinite(arr)):
        flat = _first_bad(~np.isfinite(arr.ravel()))
        pos = tuple(int(p) for p in np.unravel_index(flat, arr.shape))
        pos = pos[0] if len(pos) == 1 else pos
        raise ValueError(f"{name} contains a non-finite value {_py(arr.ravel()[flat])!r} "
                         f"at position {pos}")
    return arr


def check_id_array(ids, name, *, upper=None, upper_name=None):
    """Validate a 1-D array of non-negative integer ids and return it as int64.

    Float input is accepted only when every value is finite and integral.
    With ``upper``, every id must be ``< upper``; the message names
    ``upper_name`` (e.g. ``"n_words"``).
    """
    if isinstance(ids, (str, bytes)) or ids is None:
        raise TypeError(f"{name} must be an array of integer ids, got {type(ids).__name__}")
    try:
        arr = np.asarray(ids)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-dimensional array of integer ids; a "
                        f"{type(ids).__name__} could not be converted") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {arr.shape}")
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(f"{name} must hold integer ids, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating):
        finite = np.isfinite(arr)
        if not finite.all():
            i = _first_bad(~finite)
            raise ValueError(f"{name} must be finite integer ids; {name}[{i}] = {_py(arr[i])!r}")
        integral = arr == np.floor(arr)
        if not integral.all():
            i = _first_bad(~integral)
            raise ValueError(f"{name} must be integer ids; {name}[{i}] = {_py(arr[i])!r} "
                             "is not an integer")
        if arr.size and np.abs(arr).max() >= 2**53:
            i = _first_bad(np.abs(arr) >= 2**53)
            raise ValueError(f"{name}[{i}] = {_py(arr[i])!r} is too large to be an exact integer "
                             "in floating point; pass integer ids")
    if arr.size:
        lo = arr.min()
        if lo < 0:
            i = _first_bad(arr < 0)
            raise ValueError(f"{name} must be non-negative; {name}[{i}] = {_py(arr[i])!r}")
        if upper is not None:
            hi = arr.max()
            if hi >= upper:
                i = _first_bad(arr >= upper)
                raise ValueError(
                    f"{name}[{i}] = {_py(arr[i])!r} is out of range: it must be < "
                    f"{upper_name or 'the upper bound'} = {upper}"
                )
        if arr.dtype == np.uint64 and arr.max() > INT64_MAX:
            i = _first_bad(arr > INT64_MAX)
            raise ValueError(f"{name}[{i}] = {_py(arr[i])!r} is too large for a 64-bit id")
    if arr.dtype != np.int64:
        arr = arr.astype(np.int64)
    return arr


def check_probability_rows(array, name, *, atol=1e-6, ndim=2):
    """Check that ``array`` holds probability rows: finite, non-negative, each
    row summing to one within ``atol``.  Returns a float64 array."""
    arr = check_finite_array(array, name, ndim=ndim)
    if arr.size == 0:
        raise ValueError(f"{name} is empty, shape {arr.shape}")
    if (arr < 0).any():
        flat = _first_bad(arr.ravel() < 0)
        pos = np.unravel_index(flat, arr.shape)
        raise ValueError(f"{name} has a negative entry {_py(arr.ravel()[flat])!r} at position "
                         f"{tuple(int(p) for p in pos)}")
    sums = arr.sum(axis=-1)
    bad = np.abs(sums - 1.0) > atol
    if bad.any():
        i = _first_bad(bad.ravel())
        raise ValueError(f"{name} rows must sum to one; row {i} sums to {_py(sums.ravel()[i])!r}")
    return arr
