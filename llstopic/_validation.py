"""Input validation shared by every public entry point.

Every check here raises ``ValueError`` or ``TypeError`` with a message that
names the argument and the first offending value (or its position).  Numba
kernels never see data that has not passed through one of these functions:
numba does not bounds-check, so an unchecked index is a segfault or silent
garbage.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp

__all__ = [
    "check_random_state",
    "seed_from",
    "check_positive_int",
    "check_id_array",
    "check_count_matrix",
    "check_probability_rows",
    "check_finite_array",
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
    if random_state is None or isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state)
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be a non-negative int, got {random_state!r}")
        return np.random.default_rng(int(random_state))
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    raise TypeError(
        "random_state must be None, an int, a numpy Generator or RandomState, "
        f"got {type(random_state).__name__}: {random_state!r}"
    )


def seed_from(rng):
    """Draw a 31-bit integer seed from ``rng`` for a back end that wants an int
    (numba kernels, scikit-learn, gensim)."""
    return int(rng.integers(0, 2**31 - 1))


def check_positive_int(value, name, *, minimum=1, allow_none=False):
    """Return ``value`` as a Python int after checking it is an integer >= ``minimum``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer, got {type(value).__name__}: {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _first_bad(mask):
    return int(np.flatnonzero(mask)[0])


def _py(value):
    """A numpy scalar as the plain Python value, so messages read ``0.5`` not ``np.float64(0.5)``."""
    return value.item() if isinstance(value, np.generic) else value


def check_finite_array(array, name, *, ndim=None, dtype=np.float64):
    """Convert to a float array, rejecting non-numeric and complex input and NaN/inf.

    Complex input raises a ``TypeError`` (numpy's cast would silently drop
    the imaginary part, with only a ``ComplexWarning``).
    """
    source_dtype = getattr(array, "dtype", None)
    if source_dtype is not None and np.issubdtype(source_dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got complex dtype {source_dtype}; "
                        "pass the real part explicitly (e.g. X.real) if that is intended")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            arr = np.asarray(array, dtype=dtype)
    except np.exceptions.ComplexWarning:
        raise TypeError(f"{name} must be real, it holds complex values") from None
    except (TypeError, ValueError) as exc:
        if "complex" in str(exc):
            raise TypeError(f"{name} must be real, it holds complex values") from None
        raise TypeError(f"{name} must be numeric, could not convert it: {exc}") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if arr.size and not np.all(np.isfinite(arr)):
        flat = _first_bad(~np.isfinite(arr.ravel()))
        pos = tuple(int(p) for p in np.unravel_index(flat, arr.shape))
        pos = pos[0] if len(pos) == 1 else pos
        raise ValueError(f"{name} contains a non-finite value {_py(arr.ravel()[flat])!r} at position {pos}")
    return arr


def check_id_array(ids, name, *, upper=None, upper_name=None):
    """Validate a 1-D array of non-negative integer ids and return it as int64.

    Float input is accepted only when every value is finite and integral.
    With ``upper``, every id must be ``< upper``; the message names
    ``upper_name`` (e.g. ``"n_words"``).
    """
    arr = np.asarray(ids)
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
            raise ValueError(f"{name} must be integer ids; {name}[{i}] = {_py(arr[i])!r} is not an integer")
        if arr.size and np.abs(arr).max() >= 2**53:
            raise ValueError(f"{name} holds float ids too large to be exact integers")
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
    if arr.dtype != np.int64:
        if np.issubdtype(arr.dtype, np.unsignedinteger) and arr.size and arr.max() > np.iinfo(np.int64).max:
            raise ValueError(f"{name} holds ids too large for int64")
        arr = arr.astype(np.int64)
    return arr


def check_count_matrix(X, name="X", *, require_tokens=True, dtype=np.int64):
    """Validate a count matrix (dense array-like or scipy sparse) and return CSR.

    Counts must be finite, non-negative integers.  The result is a canonical
    ``csr_matrix`` (sorted indices, duplicates summed, explicit zeros removed)
    of ``dtype``, shape (n_domains, n_words).
    """
    if sp.issparse(X):
        mat = sp.csr_matrix(X, copy=True)
        values = mat.data
        shape = mat.shape
    else:
        if isinstance(X, (str, bytes)) or X is None:
            raise TypeError(f"{name} must be an array-like or scipy sparse matrix, got {type(X).__name__}")
        try:
            arr = np.asarray(X)
        except Exception as exc:  # ragged lists and similar
            raise TypeError(f"{name} could not be converted to an array: {exc}") from None
        if arr.dtype == object:
            raise TypeError(f"{name} must be numeric, got an object array (ragged or non-numeric input?)")
        if arr.ndim != 2:
            raise ValueError(f"{name} must be 2-dimensional (n_domains, n_words), got shape {arr.shape}")
        values = arr
        shape = arr.shape
        mat = None
    if values.dtype == bool:
        values = values.astype(np.int64)
    if not (np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating)):
        raise TypeError(f"{name} must hold numeric counts, got dtype {values.dtype}")
    if len(shape) != 2 or shape[0] < 1 or shape[1] < 1:
        raise ValueError(f"{name} must have at least one row and one column, got shape {shape}")
    flat = values.ravel() if mat is None else values
    if np.issubdtype(flat.dtype, np.floating):
        bad = ~np.isfinite(flat)
        if bad.any():
            raise ValueError(f"{name} contains a non-finite count {_py(flat[_first_bad(bad)])!r}"
                             + _where(mat, shape, _first_bad(bad)))
        bad = flat != np.floor(flat)
        if bad.any():
            raise ValueError(f"{name} must hold integer counts, found {_py(flat[_first_bad(bad)])!r}"
                             + _where(mat, shape, _first_bad(bad)))
    bad = flat < 0
    if bad.any():
        raise ValueError(f"{name} must hold non-negative counts, found {_py(flat[_first_bad(bad)])!r}"
                         + _where(mat, shape, _first_bad(bad)))
    if mat is None:
        mat = sp.csr_matrix(values.astype(dtype, copy=False))
    else:
        mat.data = values.astype(dtype, copy=False)
        mat.sum_duplicates()
        mat.eliminate_zeros()
        mat.sort_indices()
    if require_tokens and mat.nnz == 0:
        raise ValueError(f"{name} holds no tokens (every count is zero); at least one token is required")
    return mat


def _where(mat, shape, flat_index):
    if mat is None:
        r, c = np.unravel_index(flat_index, shape)
        return f" at position ({r}, {c})"
    r = int(np.searchsorted(mat.indptr, flat_index, side="right") - 1)
    return f" at position ({r}, {int(mat.indices[flat_index])})"


def check_probability_rows(array, name, *, atol=1e-6, ndim=2):
    """Check that ``array`` holds probability rows: finite, non-negative, each
    row summing to one within ``atol``.  Returns a float64 array."""
    arr = check_finite_array(array, name, ndim=ndim)
    if arr.size == 0:
        raise ValueError(f"{name} is empty, shape {arr.shape}")
    if (arr < 0).any():
        flat = _first_bad(arr.ravel() < 0)
        pos = np.unravel_index(flat, arr.shape)
        raise ValueError(f"{name} has a negative entry {_py(arr.ravel()[flat])!r} at position {tuple(int(p) for p in pos)}")
    sums = arr.sum(axis=-1)
    bad = np.abs(sums - 1.0) > atol
    if bad.any():
        i = _first_bad(bad.ravel())
        raise ValueError(f"{name} rows must sum to one; row {i} sums to {_py(sums.ravel()[i])!r}")
    return arr
