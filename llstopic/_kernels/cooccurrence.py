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
limit).  Index arrays may be int32 (the corpus' own) and counts int64: the
callers pass the corpus arrays without copying them.  Nothing here densifies
the count matrix: the kernels read its CSR arrays and its CSC arrays.

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

    col_indptr, col_rows, col_data : IN CSC arrays of the counts (n_domains,
        n_words): the documents containing each word (int64 pointers, int32
        ids, int64 or float64 counts)
    indptr, indices, data : IN CSR arrays of the same counts (same types)
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
            scale = w * np.float64(col_data[p])
            for q in range(indptr[d], indptr[d + 1]):
                out[i, indices[q]] += scale * np.float64(data[q])
            out[i, x] -= scale


@nb.njit(parallel=True, **_NJIT)
def cooccurrence_matrix(col_indptr, col_rows, col_pos, indptr, indices, data, doc_weight, out):
    """The whole co-occurrence matrix ``Q`` (symmetric), in parallel over words.

    Row x receives only its entries ``j >= x``: each of its documents is read
    from the position of x on (``col_pos``; ids are sorted within documents),
    half the work of :func:`cooccurrence_rows` on every word; the lower
    triangle is then mirrored block by block.  Rows are dealt to the threads
    from both ends at once (0, n-1, 1, n-2, ...), which balances the
    triangle's uneven rows.  Each entry is written by one thread only.

    col_indptr, col_rows : IN int64/int32 CSC pointers and document ids of the
        counts (n_domains, n_words), document ids ascending within each word
    col_pos : IN int64 (nnz,), for each CSC entry (word x, document d) the
        position of x in the CSR arrays (``indptr[d] <= col_pos < indptr[d+1]``)
    indptr, indices, data : IN CSR arrays of the counts, ids sorted within
        each document (int64 pointers, int32 ids, int64 or float64 counts)
    doc_weight : IN float64 (n_domains,)
    out : OUT float64 (n_words, n_words), zero on entry
    """
    n = out.shape[0]
    for r in nb.prange(n):
        x = r // 2 if r % 2 == 0 else n - 1 - r // 2
        for p in range(col_indptr[x], col_indptr[x + 1]):
            d = col_rows[p]
            w = doc_weight[d]
            if w == 0.0:
                continue
            first = col_pos[p]
            scale = w * np.float64(data[first])
            for q in range(first, indptr[d + 1]):
                out[x, indices[q]] += scale * np.float64(data[q])
            out[x, x] -= scale
    tile = 64
    n_tiles = (n + tile - 1) // tile
    for r in nb.prange(n_tiles):
        t = r // 2 if r % 2 == 0 else n_tiles - 1 - r // 2
        i0 = t * tile
        i1 = min(i0 + tile, n)
        for j0 in range(0, i1, tile):      # one tile x tile block at a time (cache, TLB)
            for i in range(i0, i1):
                for j in range(j0, min(j0 + tile, i)):
                    out[i, j] = out[j, i]


@nb.njit(parallel=True, **_NJIT)
def cooccurrence_project(col_indptr, col_rows, col_data, indptr, indices, data, doc_weight,
                         projection, chunk, out):
    """The co-occurrence matrix times a projection, without forming ``Q``.

    ``out = Q @ projection`` in O(nnz * n_dims): for a document d with
    ``v_d = h_d^T projection``, word i of d receives
    ``doc_weight[d] * h_di * (v_d - projection[i])``.  Documents are taken in
    chunks of ``chunk.shape[0]``: first ``v_d`` of the chunk's documents, in
    parallel over documents (``chunk`` holds them), then every word adds its
    own documents of the chunk, in parallel over words (each row of ``out``
    is written by one thread only).  Needs the rows of ``col_rows`` sorted
    within each word (scipy's canonical CSR of the transpose).

    col_indptr, col_rows, col_data : IN CSC arrays of the counts (n_domains,
        n_words), document ids ascending within each word
    indptr, indices, data : IN CSR arrays of the same counts
    doc_weight : IN float64 (n_domains,)
    projection : IN float64 (n_words, n_dims)
    chunk : OUT scratch float64 (n_chunk >= 1, n_dims)
    out : OUT float64 (n_words, n_dims), zero on entry
    """
    n_docs = indptr.shape[0] - 1
    n_words = out.shape[0]
    n_dims = projection.shape[1]
    n_chunk = chunk.shape[0]
    cursor = np.empty(n_words, dtype=np.int64)
    for x in range(n_words):
        cursor[x] = col_indptr[x]
    for first in range(0, n_docs, n_chunk):
        last = min(first + n_chunk, n_docs)
        for d in nb.prange(first, last):
            row = chunk[d - first]
            for t in range(n_dims):
                row[t] = 0.0
            if doc_weight[d] == 0.0:
                continue
            for q in range(indptr[d], indptr[d + 1]):
                h = np.float64(data[q])
                j = indices[q]
                for t in range(n_dims):
                    row[t] += h * projection[j, t]
        for x in nb.prange(n_words):
            p = cursor[x]
            end = col_indptr[x + 1]
            while p < end and col_rows[p] < last:
                d = col_rows[p]
                scale = doc_weight[d] * np.float64(col_data[p])
                if scale != 0.0:
                    row = chunk[d - first]
                    for t in range(n_dims):
                        out[x, t] += scale * (row[t] - projection[x, t])
                p += 1
            cursor[x] = p
