"""Numba kernels for Arora et al.'s unbiased word co-occurrence estimator.

For a document with word counts ``h`` and length ``n >= 2`` the matrix
``(h h^T - diag h) / (n (n - 1))`` is an unbiased estimate of ``p_d p_d^T``
(the probability that two distinct tokens of the document are words ``i`` and
``j``); it sums to one.  ``Q`` is its mean over the documents with at least
two tokens (Arora et al., ICML 2013, section 4).

The caller folds the averaging into one weight per document,
``doc_weight[d] = 1 / (n_d (n_d - 1) n_used)`` (zero for documents with fewer
than two tokens), so the kernels only accumulate.  Products are formed in
float64 (``h_i * h_j`` overflows int64 for the huge counts of a population
limit).  Nothing here densifies the count matrix: the kernels read its CSR
arrays (and, for rows of ``Q``, its CSC arrays).

Conventions as in ``counts.py``: plain arrays in, caller-allocated arrays out,
each argument marked IN or OUT; ids are validated by the caller.
"""

import numba as nb
import numpy as np

_NJIT = dict(cache=True, nogil=True)


@nb.njit(parallel=True, **_NJIT)
def cooccurrence_rows(col_indptr, col_rows, col_data, indptr, indices, data, doc_weight, words,
                      out):
    """Rows ``words`` of the co-occurrence matrix ``Q``, in parallel over words.

    ``out[i, j] += sum_d doc_weight[d] * (h_d[x] h_d[j] - [x == j] h_d[x])``
    with ``x = words[i]``.  Each output row is written by one thread only.

    col_indptr, col_rows, col_data : IN int64/int64/float64 CSC arrays of the
        counts (n_domains, n_words): the documents containing each word
    indptr, indices, data : IN int64/int64/float64 CSR arrays of the same counts
    doc_weight : IN float64 (n_domains,), see the module docstring
    words : IN int64 (n_rows,), word ids of the rows to build
    out : OUT float64 (n_rows, n_words), zero on entry
    """
    for i in nb.prange(words.shape[0]):
        x = words[i]
        for p in range(col_indptr[x], col_indptr[x + 1]):
            d = col_rows[p]
            w = doc_weight[d]
            if w == 0.0:
                continue
            scale = w * col_data[p]
            for q in range(indptr[d], indptr[d + 1]):
                out[i, indices[q]] += scale * data[q]
            out[i, x] -= scale


@nb.njit(**_NJIT)
def cooccurrence_project(indptr, indices, data, doc_weight, projection, out):
    """The co-occurrence matrix times a projection, without forming ``Q``.

    ``out = Q @ projection``: per document, with ``v = h^T projection``,
    ``out[i] += doc_weight[d] * h_i * (v - projection[i])`` for every word i of
    the document.  Serial over documents (rows of ``out`` are shared).

    indptr, indices, data : IN int64/int64/float64 CSR arrays of the counts
    doc_weight : IN float64 (n_domains,)
    projection : IN float64 (n_words, n_dims)
    out : OUT float64 (n_words, n_dims), zero on entry
    """
    n_dims = projection.shape[1]
    v = np.empty(n_dims)
    for d in range(indptr.shape[0] - 1):
        w = doc_weight[d]
        if w == 0.0:
            continue
        for t in range(n_dims):
            v[t] = 0.0
        for q in range(indptr[d], indptr[d + 1]):
            j = indices[q]
            h = data[q]
            for t in range(n_dims):
                v[t] += h * projection[j, t]
        for q in range(indptr[d], indptr[d + 1]):
            i = indices[q]
            scale = w * data[q]
            for t in range(n_dims):
                out[i, t] += scale * (v[t] - projection[i, t])
