"""The one check of count matrices: structure, values and totals, before any use.

scipy checks the structure of a sparse matrix lazily: a ``csr_matrix`` built
from ``(data, indices, indptr)`` may hold column indices outside the matrix or
an ``indptr`` that decreases, and scipy's own C++ routines (``tocoo``,
``sum_duplicates``) then read and write out of bounds.  So the raw arrays of
every sparse format are checked here, in numpy, before scipy or a numba
kernel touches them; the values are checked for being non-negative integers
that fit in int64; and the total must fit too, so that no sum of counts can
wrap around.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from ._constraints import INT64_MAX
from ._memory import check_memory

__all__ = ["check_count_matrix", "check_total"]


def check_count_matrix(X, name="X", *, require_tokens=True, dtype=np.int64):
    """Validate a count matrix (dense array-like or scipy sparse) and return CSR.

    Counts must be finite, non-negative integers below 2**63 whose total also
    fits in int64.  Every sparse input is checked structurally first (index
    ranges, a non-decreasing ``indptr`` starting at 0, array lengths and
    dtypes).  The result is a new canonical ``csr_matrix`` (sorted indices,
    duplicates summed, explicit zeros removed) of ``dtype``, shape
    (n_domains, n_words); the input is never modified.
    """
    if sp.issparse(X):
        values, locate, build, shape = _sparse_parts(X, name)
    else:
        values, locate, build, shape = _dense_parts(X, name)
    if len(shape) != 2 or shape[0] < 1 or shape[1] < 1:
        raise ValueError(f"{name} must have at least one row and one column, got shape {shape}")
    check_memory(8 * (shape[0] + 1 + shape[1]), f"{name} of shape {shape}")
    data = _check_values(values, name, locate).astype(dtype, copy=False)
    check_total(data, name)
    mat = build(data)
    if require_tokens and mat.nnz == 0:
        raise ValueError(f"{name} holds no tokens (every count is zero); at least one token is "
                         "required")
    return mat


def _exact_sum(values):
    """Sum of non-negative int64 ``values`` as a Python int, exact even past 2**63."""
    if values.size == 0:
        return 0
    if int(values.max()) <= INT64_MAX // values.size:
        return int(values.sum())
    total = 0
    for start in range(0, values.size, 2**30):  # 2**30 halves of 32 bits cannot overflow uint64
        part = values[start:start + 2**30].astype(np.uint64, copy=False)
        total += (int((part >> np.uint64(32)).sum(dtype=np.uint64)) << 32) \
            + int((part & np.uint64(0xFFFFFFFF)).sum(dtype=np.uint64))
    return total


def check_total(values, name):
    """The total of non-negative int64 counts (array or sparse matrix); ValueError past int64."""
    values = values.data if sp.issparse(values) else values
    total = _exact_sum(np.asarray(values))
    if total > INT64_MAX:
        raise ValueError(f"{name} holds {total} tokens in total, more than a 64-bit count can "
                         f"hold ({INT64_MAX}); totals per domain and per word must fit too")
    return total


# ------------------------------------------------------------------ values
def _check_values(values, name, locate):
    """``values`` (1-D) as int64 after checking they are exact non-negative integers < 2**63."""
    kind = values.dtype.kind
    if kind == "b":
        return values.astype(np.int64)
    if kind == "O":
        values = _object_values(values, name, locate)
        kind = values.dtype.kind
    if kind not in "iuf":
        raise TypeError(f"{name} must hold numeric counts, got dtype {values.dtype}")
    if kind == "f":
        bad = ~np.isfinite(values)
        if bad.any():
            k = _first(bad)
            raise ValueError(f"{name} contains a non-finite count {values[k].item()!r}{locate(k)}")
        bad = values != np.floor(values)
        if bad.any():
            k = _first(bad)
            raise ValueError(f"{name} must hold integer counts, found {values[k].item()!r}"
                             f"{locate(k)}")
    if kind != "u":
        bad = values < 0
        if bad.any():
            k = _first(bad)
            raise ValueError(f"{name} must hold non-negative counts, found {values[k].item()!r}"
                             f"{locate(k)}")
    if kind != "i" and values.size:
        bad = values >= 2.0**63 if kind == "f" else values > INT64_MAX
        if bad.any():
            k = _first(bad)
            raise ValueError(f"{name} holds the count {int(values[k])}{locate(k)}, too large: "
                             f"counts must be at most {INT64_MAX}")
    return values.astype(np.int64, copy=False)


def _object_values(values, name, locate):
    """An object array of Python numbers (e.g. ints past 2**64) as int64 or float64."""
    items = values.tolist()
    for k, v in enumerate(items):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise TypeError(f"{name} must hold numbers, found {type(v).__name__} {v!r:.40}"
                            f"{locate(k)}")
    if all(isinstance(v, numbers.Integral) for v in items):
        for k, v in enumerate(items):
            if not 0 <= v <= INT64_MAX:
                what = "non-negative" if v < 0 else f"at most {INT64_MAX}"
                raise ValueError(f"{name} holds the count {v}{locate(k)}; counts must be {what}")
        return np.array(items, dtype=np.int64)
    try:
        return np.array(items, dtype=np.float64)
    except OverflowError:
        raise ValueError(f"{name} holds a count too large for a 64-bit number") from None


def _first(mask):
    return int(np.flatnonzero(mask)[0])


# ------------------------------------------------------------------- dense
def _dense_parts(X, name):
    if isinstance(X, (str, bytes)) or X is None:
        raise TypeError(f"{name} must be an array-like or scipy sparse matrix, got "
                        f"{type(X).__name__}")
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError, OverflowError):  # ragged lists and similar
        raise TypeError(f"{name} must be a 2-dimensional array of counts; a {type(X).__name__} "
                        "could not be converted (ragged rows?)") from None
    if arr.dtype == object and arr.ndim == 2 and any(
            isinstance(v, (list, tuple, np.ndarray)) for v in arr.ravel()[:100]):
        raise TypeError(f"{name} must be numeric, got an object array (ragged or non-numeric "
                        "input?)")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-dimensional (n_domains, n_words), got shape "
                         f"{arr.shape}")
    shape = arr.shape

    def locate(k):
        r, c = np.unravel_index(k, shape)
        return f" at position ({r}, {c})"

    def build(data):
        return sp.csr_matrix(data.reshape(shape))

    return arr.ravel(), locate, build, shape


# ------------------------------------------------------------------ sparse
def _index_array(array, name, what):
    arr = np.asarray(array)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise TypeError(f"{name}.{what} must be a 1-dimensional integer array, got dtype "
                        f"{arr.dtype} and shape {arr.shape}")
    if arr.dtype.kind == "u" and arr.size and arr.max() > INT64_MAX:
        raise ValueError(f"{name}.{what} holds an index too large for int64")
    return arr.astype(np.int64, copy=False)


def _check_range(indices, upper, name, what, upper_name):
    if indices.size == 0:
        return
    bad = (indices < 0) | (indices >= upper)
    if bad.any():
        k = _first(bad)
        raise ValueError(f"{name} has {what} index {int(indices[k])} (stored entry {k}), out of "
                         f"range: it must be in [0, {upper_name} = {upper})")


def _check_indptr(indptr, n_major, name, major):
    if indptr.shape[0] != n_major + 1:
        raise ValueError(f"{name}.indptr has length {indptr.shape[0]}, expected {major} + 1 = "
                         f"{n_major + 1}")
    if indptr[0] != 0:
        raise ValueError(f"{name}.indptr must start at 0, got {int(indptr[0])}")
    drops = np.diff(indptr) < 0
    if drops.any():
        k = _first(drops)
        raise ValueError(f"{name}.indptr must be non-decreasing: indptr[{k + 1}] = "
                         f"{int(indptr[k + 1])} < indptr[{k}] = {int(indptr[k])}")
    return int(indptr[-1])


def _stored(data, nnz, name, what="data"):
    data = np.asarray(data)
    if data.ndim != 1:
        raise ValueError(f"{name}.{what} must be 1-dimensional, got shape {data.shape}")
    if data.shape[0] < nnz:
        raise ValueError(f"{name}.indptr ends at {nnz} but {name}.{what} has only "
                         f"{data.shape[0]} entries")
    return data[:nnz]


def _sparse_parts(X, name):
    fmt, shape = X.format, tuple(X.shape)
    if len(shape) != 2:
        raise ValueError(f"{name} must be 2-dimensional (n_domains, n_words), got shape {shape}")
    n_rows, n_cols = shape
    try:
        if fmt in ("dok", "dia"):
            X = X.tocoo()  # numpy code; the coordinates are checked below
            fmt = "coo"
        elif fmt == "lil":
            X = X.tocsr()  # copies the row lists; the result is checked below
            fmt = "csr"
    except (TypeError, ValueError, IndexError, OverflowError):
        raise ValueError(f"{name} is a malformed scipy {X.format} matrix; it could not be "
                         "converted to CSR") from None
    if fmt in ("csr", "csc"):
        return _compressed_parts(X, name, fmt, shape)
    if fmt == "coo":
        rows = _index_array(X.row, name, "row")
        cols = _index_array(X.col, name, "col")
        data = np.asarray(X.data)
        if not (data.ndim == 1 and rows.shape == cols.shape == data.shape):
            raise ValueError(f"{name}: the COO arrays row, col and data must be 1-dimensional and "
                             f"of one length, got {rows.shape}, {cols.shape} and {data.shape}")
        _check_range(rows, n_rows, name, "a row", "n_domains")
        _check_range(cols, n_cols, name, "a column", "n_words")

        def build(values):
            return _canonical(sp.coo_matrix((values, (rows, cols)), shape=shape).tocsr())  # copies

        return data, lambda k: f" at position ({int(rows[k])}, {int(cols[k])})", build, shape
    if fmt == "bsr":
        return _bsr_parts(X, name, shape)
    raise TypeError(f"{name} is a scipy sparse matrix of unsupported format {fmt!r}")


def _compressed_parts(X, name, fmt, shape):
    n_rows, n_cols = shape
    by_row = fmt == "csr"
    n_major, n_minor = (n_rows, n_cols) if by_row else (n_cols, n_rows)
    indptr = _index_array(X.indptr, name, "indptr")
    nnz = _check_indptr(indptr, n_major, name, "n_domains" if by_row else "n_words")
    indices = _stored(_index_array(X.indices, name, "indices"), nnz, name, "indices")
    data = _stored(X.data, nnz, name)
    _check_range(indices, n_minor, name, "a column" if by_row else "a row",
                 "n_words" if by_row else "n_domains")
    indptr, indices = indptr.copy(), indices.copy()

    def locate(k):
        major = int(np.searchsorted(indptr, k, side="right") - 1)
        minor = int(indices[k])
        return f" at position ({major}, {minor})" if by_row else f" at position ({minor}, {major})"

    def build(values):
        klass = sp.csr_matrix if by_row else sp.csc_matrix
        mat = klass((values.copy(), indices, indptr), shape=shape)  # never the caller's data
        return _canonical(mat.tocsr())

    return data, locate, build, shape


def _bsr_parts(X, name, shape):
    n_rows, n_cols = shape
    R, C = X.blocksize
    if R < 1 or C < 1 or n_rows % R or n_cols % C:
        raise ValueError(f"{name}: BSR block size {(R, C)} does not divide the shape {shape}")
    indptr = _index_array(X.indptr, name, "indptr")
    nnzb = _check_indptr(indptr, n_rows // R, name, "n_domains / block rows")
    indices = _stored(_index_array(X.indices, name, "indices"), nnzb, name, "indices")
    blocks = np.asarray(X.data)
    if blocks.ndim != 3 or blocks.shape[0] < nnzb or blocks.shape[1:] != (R, C):
        raise ValueError(f"{name}: BSR data has shape {blocks.shape}, expected ({nnzb}, {R}, {C})")
    _check_range(indices, n_cols // C, name, "a block column", "n_words / block columns")
    blocks, indptr, indices = blocks[:nnzb], indptr.copy(), indices.copy()

    def locate(k):
        b, within = divmod(k, R * C)
        r, c = divmod(within, C)
        row = int(np.searchsorted(indptr, b, side="right") - 1)
        return f" at position ({row * R + r}, {int(indices[b]) * C + c})"

    def build(values):
        mat = sp.bsr_matrix((values.reshape(blocks.shape).copy(), indices, indptr), shape=shape,
                            blocksize=(R, C))
        return _canonical(mat.tocsr())

    return blocks.ravel(), locate, build, shape


def _canonical(mat):
    mat = sp.csr_matrix(mat)
    mat.sum_duplicates()
    mat.eliminate_zeros()
    mat.sort_indices()
    return mat
