"""Numba kernels: p(y|x) of every word by the per-word simplex solvers.

Each driver runs :func:`simplex.kl_simplex` or :func:`simplex.l2_simplex` on
every row of a matrix of word rows.  Every driver has a serial and a parallel
version (``prange`` over words, GIL released) with the same body; the caller
chooses by ``n_jobs``.  Each output row is written by one iteration only.
``group_columns`` sums rows within groups of columns (the KL recovery's
coarse-grained rows, see ``llstopic.factorizers.anchor._recovery``).

Conventions: plain arrays in, caller-allocated arrays out, IN/OUT marked.
"""

import numba as nb
import numpy as np

from .simplex import kl_simplex, l2_simplex

_NJIT = dict(cache=True, nogil=True)


@nb.njit(**_NJIT)
def _kl_row(r, indptr, indices, data, anchor_cols, anchor_mass, topic_given_word, loss, gap, n_iter,
            max_iter, tol, newton, warm):
    k = anchor_cols.shape[1]
    start = indptr[r]
    end = indptr[r + 1]
    s = 0
    total = 0.0
    for q in range(start, end):
        if data[q] > 0.0 and anchor_mass[indices[q]] > 0.0:
            s += 1
            total += data[q]
    if s == 0:
        n_iter[r] = 0
        gap[r] = 0.0
        loss[r] = 0.0
        return
    vals = np.empty(s)
    sub = np.empty((k, s))
    sub_t = np.empty((s, k))
    j = 0
    for q in range(start, end):
        if data[q] > 0.0 and anchor_mass[indices[q]] > 0.0:
            vals[j] = data[q] / total
            col = indices[q]
            for i in range(k):
                a = anchor_cols[col, i]     # contiguous: one row of the transpose per entry
                sub[i, j] = a
                sub_t[j, i] = a
            j += 1
    it, g, f = kl_simplex(vals, sub, sub_t, topic_given_word[r], max_iter, tol, newton, warm)
    n_iter[r] = it
    gap[r] = g
    loss[r] = f


@nb.njit(**_NJIT)
def _columns(anchor_rows):
    """(transpose of the anchor rows, C order; mass of each column)."""
    k, n_dims = anchor_rows.shape
    cols = np.empty((n_dims, k))
    mass = np.zeros(n_dims)
    for i in range(k):
        for j in range(n_dims):
            cols[j, i] = anchor_rows[i, j]
            mass[j] += anchor_rows[i, j]
    return cols, mass


@nb.njit(**_NJIT)
def kl_recover(indptr, indices, data, anchor_rows, topic_given_word, loss, gap, n_iter, max_iter,
               tol, newton, warm):
    """KL recovery of every row of a CSR matrix of word rows (serial).

    indptr, indices, data : IN int64/int64/float64 CSR arrays (n_rows, n_dims)
        of the word representation rows (non-negative; normalised here)
    anchor_rows : IN float64 (n_anchors, n_dims), rows on the simplex
    topic_given_word : IN/OUT float64 (n_rows, n_anchors): the starts if ``warm``,
        p(y|x) on exit; rows that cannot be solved (no entry covered by an
        anchor) are left as given
    loss, gap : OUT float64 (n_rows,), KL and duality gap at the solution
    n_iter : OUT int64 (n_rows,)
    max_iter : IN int, tol : IN float (absolute duality-gap threshold)
    newton : IN bool, active-set Newton steps on (the default solver) or off (plain EG)
    warm : IN bool, start each row from its ``topic_given_word`` (else uniform)
    """
    cols, mass = _columns(anchor_rows)
    for r in range(indptr.shape[0] - 1):
        _kl_row(r, indptr, indices, data, cols, mass, topic_given_word, loss, gap, n_iter,
                max_iter, tol, newton, warm)


@nb.njit(parallel=True, **_NJIT)
def kl_recover_parallel(indptr, indices, data, anchor_rows, topic_given_word, loss, gap, n_iter,
                        max_iter, tol, newton, warm):
    """``kl_recover`` in parallel over rows (``prange``); same arguments."""
    cols, mass = _columns(anchor_rows)
    for r in nb.prange(indptr.shape[0] - 1):
        _kl_row(r, indptr, indices, data, cols, mass, topic_given_word, loss, gap, n_iter,
                max_iter, tol, newton, warm)


@nb.njit(**_NJIT)
def _l2_row(r, gram, cross, sqnorm, topic_given_word, loss, gap, n_iter, max_iter, tol, newton,
            warm):
    if sqnorm[r] <= 0.0:
        n_iter[r] = 0
        gap[r] = 0.0
        loss[r] = 0.0
        return
    it, g, f = l2_simplex(gram, cross[r], sqnorm[r], topic_given_word[r], max_iter, tol, newton,
                          warm)
    n_iter[r] = it
    gap[r] = g
    loss[r] = f


@nb.njit(**_NJIT)
def l2_recover(gram, cross, sqnorm, topic_given_word, loss, gap, n_iter, max_iter, tol, newton,
               warm):
    """Squared-L2 recovery of every word row from the shared Gram matrix (serial).

    gram : IN float64 (n_anchors, n_anchors), anchor rows times their transpose
    cross : IN float64 (n_rows, n_anchors), word rows times the anchor rows^T
    sqnorm : IN float64 (n_rows,), squared norms of the word rows; rows with
        zero norm are not solved
    topic_given_word : IN/OUT float64 (n_rows, n_anchors), the starts if ``warm``,
        p(y|x) on exit
    loss, gap : OUT float64 (n_rows,), squared residual and duality gap
    n_iter : OUT int64 (n_rows,)
    max_iter : IN int, tol : IN float (duality gap relative to ``sqnorm``)
    newton : IN bool, active-set Newton steps on (the default solver) or off (plain EG)
    warm : IN bool, start each row from its ``topic_given_word`` (else uniform)
    """
    for r in range(cross.shape[0]):
        _l2_row(r, gram, cross, sqnorm, topic_given_word, loss, gap, n_iter, max_iter, tol, newton,
                warm)


@nb.njit(parallel=True, **_NJIT)
def l2_recover_parallel(gram, cross, sqnorm, topic_given_word, loss, gap, n_iter, max_iter, tol,
                        newton, warm):
    """``l2_recover`` in parallel over rows (``prange``); same arguments."""
    for r in nb.prange(cross.shape[0]):
        _l2_row(r, gram, cross, sqnorm, topic_given_word, loss, gap, n_iter, max_iter, tol, newton,
                warm)


@nb.njit(parallel=True, **_NJIT)
def group_columns(rows, labels, out):
    """The rows summed within column groups, in parallel over rows.

    ``out[i, labels[j]] += rows[i, j]``: with a 0/1 matrix ``S`` of the
    groups, ``out = rows @ S``.  Each output row is written by one thread only.

    rows : IN float64 (n_rows, n_dims)
    labels : IN int64 (n_dims,), group of each column, in [0, n_groups)
    out : OUT float64 (n_rows, n_groups), zero on entry
    """
    for i in nb.prange(rows.shape[0]):
        for j in range(rows.shape[1]):
            out[i, labels[j]] += rows[i, j]
