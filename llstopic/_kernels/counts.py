"""Numba kernels that build CSR count matrices from token streams.

Conventions (as in scikit-learn's ``_k_means_lloyd.pyx``): plain arrays in,
caller-allocated arrays out; every argument is marked IN or OUT.  Callers must
validate ids first: these kernels do not bounds-check.

Two strategies, chosen by the caller (``llstopic.corpus._count_tokens``):

* Dense: ``dense_counts`` into a small (n_words, n_domains) scratch array,
  then ``dense_to_csr_nnz`` + ``dense_to_csr_fill`` on its transpose.  One streaming pass over
  the tokens.  Used when the scratch array is small next to the token stream
  (the LLS regime: few, long domains).
* Sparse: ``domain_offsets`` (which also reports whether the tokens are
  already grouped by domain), ``scatter_by_domain`` only when they are not,
  then ``csr_nnz_rows`` + ``csr_fill_rows``: a sparse accumulator per domain
  whose distinct word ids are sorted by insertion (short rows) or a byte-wise
  radix sort (long rows; several times faster than a comparison sort here).
  Memory is the output plus, for ungrouped input, one id per token; no dense
  matrix and no per-token COO triplets.  Used for many short documents (the
  topic-model regime).

Each per-row kernel works on a range of rows ``[row_lo, row_hi)`` with its own
scratch arrays, so the ``*_parallel`` twins simply hand disjoint row ranges
(or token ranges, for ``dense_counts_parallel``) to numba threads.
"""

import numba as nb
import numpy as np

_NJIT = dict(cache=True, nogil=True)
_NJIT_PARALLEL = dict(cache=True, nogil=True, parallel=True)


# ------------------------------------------------------------------ dense path
# The scratch array is word-major, (n_words, n_domains): a word's cells in
# every domain share a few cache lines, so the frequent words of a token
# stream in random domain order stay in cache (domain-major, each token of a
# frequent word would touch a different line).  The CSR conversion reads it
# through its transpose view.
@nb.njit(**_NJIT)
def dense_counts(words, domains, counts):
    """counts[words[i], domains[i]] += 1 for every token.

    words, domains : IN int arrays of equal length (validated ids)
    counts : OUT int array (n_words, n_domains), zero on entry
    """
    for i in range(words.shape[0]):
        counts[words[i], domains[i]] += 1


@nb.njit(**_NJIT_PARALLEL)
def dense_counts_parallel(words, domains, token_bounds, partial):
    """Per-chunk dense counts; the caller sums ``partial`` over axis 0.

    words, domains : IN int arrays of equal length (validated ids)
    token_bounds : IN int64 (n_chunks + 1,), chunk c is tokens
        ``[token_bounds[c], token_bounds[c + 1])``
    partial : OUT int array (n_chunks, n_words, n_domains), zero on entry
    """
    for c in nb.prange(token_bounds.shape[0] - 1):
        slab = partial[c]
        for i in range(token_bounds[c], token_bounds[c + 1]):
            slab[words[i], domains[i]] += 1


@nb.njit(**_NJIT)
def dense_to_csr_nnz(counts, indptr):
    """indptr[r + 1] = number of non-zeros of rows 0..r.

    counts : IN int (n_rows, n_cols), any memory layout
    indptr : OUT int64 (n_rows + 1,)
    """
    indptr[0] = 0
    for r in range(counts.shape[0]):
        nnz = 0
        for c in range(counts.shape[1]):
            if counts[r, c] != 0:
                nnz += 1
        indptr[r + 1] = indptr[r] + nnz


@nb.njit(**_NJIT)
def dense_to_csr_fill(counts, indptr, indices, data):
    """Write the non-zeros of ``counts`` in CSR order.

    counts : IN int (n_rows, n_cols), any memory layout
    indptr : IN int64 (n_rows + 1,), from ``dense_to_csr_nnz``
    indices : OUT int32/int64 (nnz,)
    data : OUT int64 (nnz,)
    """
    for r in range(counts.shape[0]):
        k = indptr[r]
        for c in range(counts.shape[1]):
            v = counts[r, c]
            if v != 0:
                indices[k] = c
                data[k] = v
                k += 1


# ----------------------------------------------------------------- sparse path
@nb.njit(**_NJIT)
def domain_offsets(domains, offsets):
    """Counting-sort offsets: offsets[d + 1] - offsets[d] = tokens in domain d.

    domains : IN int array (n_tokens,)
    offsets : OUT int64 (n_domains + 1,), zero on entry

    Returns True when ``domains`` is non-decreasing, i.e. the tokens are
    already grouped by domain and need no scatter.
    """
    grouped = True
    previous = 0
    for i in range(domains.shape[0]):
        d = domains[i]
        offsets[d + 1] += 1
        if d < previous:
            grouped = False
        previous = d
    for d in range(1, offsets.shape[0]):
        offsets[d] += offsets[d - 1]
    return grouped


@nb.njit(**_NJIT)
def scatter_by_domain(words, domains, offsets, cursor, sorted_words):
    """Stable counting sort of ``words`` by ``domains``.

    words, domains : IN int arrays (n_tokens,)
    offsets : IN int64 (n_domains + 1,), from ``domain_offsets``
    cursor : OUT scratch int64 (n_domains,)
    sorted_words : OUT int32/int64 (n_tokens,)
    """
    for d in range(cursor.shape[0]):
        cursor[d] = offsets[d]
    for i in range(words.shape[0]):
        d = domains[i]
        sorted_words[cursor[d]] = words[i]
        cursor[d] += 1


@nb.njit(**_NJIT)
def csr_nnz_rows(grouped_words, offsets, row_lo, row_hi, marker, row_nnz):
    """Number of distinct words of each domain in ``[row_lo, row_hi)``.

    grouped_words : IN int (n_tokens,), tokens grouped by domain
    offsets : IN int64 (n_domains + 1,), domain d is
        ``grouped_words[offsets[d]:offsets[d + 1]]``
    row_lo, row_hi : IN int, the row range to process
    marker : OUT scratch int (n_words,), filled with -1 on entry
    row_nnz : OUT int64 (n_domains,), entries ``[row_lo, row_hi)`` written
    """
    for d in range(row_lo, row_hi):
        nnz = 0
        for i in range(offsets[d], offsets[d + 1]):
            w = grouped_words[i]
            nnz += marker[w] != d  # branch-free: repeats are frequent and unpredictable
            marker[w] = d
        row_nnz[d] = nnz


@nb.njit(**_NJIT)
def _insertion_sort(keys, n):
    """Sort keys[:n] in place (IN/OUT); fast for the short rows of a document."""
    for i in range(1, n):
        v = keys[i]
        j = i - 1
        while j >= 0 and keys[j] > v:
            keys[j + 1] = keys[j]
            j -= 1
        keys[j + 1] = v


@nb.njit(**_NJIT)
def _radix_sort(keys, spare, n, n_passes, histogram):
    """LSD radix sort of non-negative keys[:n] by bytes, in place.

    keys : IN/OUT int (>= n,), sorted on exit
    spare : OUT scratch int (>= n,)
    n_passes : IN int, number of low bytes that hold every key
    histogram : OUT scratch int64 (256,)
    """
    src = keys
    dst = spare
    shift = 0
    for _ in range(n_passes):
        histogram[:] = 0
        for i in range(n):
            histogram[(src[i] >> shift) & 255] += 1
        total = 0
        for b in range(256):
            c = histogram[b]
            histogram[b] = total
            total += c
        for i in range(n):
            v = src[i]
            b = (v >> shift) & 255
            dst[histogram[b]] = v
            histogram[b] += 1
        src, dst = dst, src
        shift += 8
    if n_passes % 2 == 1:
        for i in range(n):
            keys[i] = spare[i]


_INSERTION_MAX = 24


@nb.njit(**_NJIT)
def csr_fill_rows(grouped_words, offsets, indptr, row_lo, row_hi, n_passes, tally, row_words,
                  spare, indices, data):
    """Sparse accumulator per domain: sorted distinct word ids and their counts.

    grouped_words : IN int (n_tokens,), tokens grouped by domain
    offsets : IN int64 (n_domains + 1,)
    indptr : IN int64 (n_domains + 1,), cumulated ``csr_nnz_rows`` output
    row_lo, row_hi : IN int, the row range to process
    n_passes : IN int, bytes needed to hold ``n_words - 1`` (radix sort passes)
    tally : IN/OUT scratch int (n_words,), all zero on entry, all zero on exit
    row_words, spare : OUT scratch int (n_words + 1,)
    indices : OUT int32/int64 (nnz,), entries of rows ``[row_lo, row_hi)`` written
    data : OUT int64 (nnz,), likewise
    """
    histogram = np.empty(256, dtype=np.int64)
    for d in range(row_lo, row_hi):
        k = 0
        for i in range(offsets[d], offsets[d + 1]):
            w = grouped_words[i]
            t = tally[w]
            row_words[k] = w  # kept only when w is new (branch-free)
            k += t == 0
            tally[w] = t + 1
        if k <= _INSERTION_MAX:
            _insertion_sort(row_words, k)
        else:
            _radix_sort(row_words, spare, k, n_passes, histogram)
        start = indptr[d]
        for j in range(k):
            w = row_words[j]
            indices[start + j] = w
            data[start + j] = tally[w]
            tally[w] = 0


@nb.njit(**_NJIT_PARALLEL)
def csr_nnz_rows_parallel(grouped_words, offsets, row_bounds, markers, row_nnz):
    """``csr_nnz_rows`` over row chunks in parallel, one scratch row per chunk.

    grouped_words, offsets : IN, as in ``csr_nnz_rows``
    row_bounds : IN int64 (n_chunks + 1,), chunk c is rows
        ``[row_bounds[c], row_bounds[c + 1])``
    markers : OUT scratch int (n_chunks, n_words), filled with -1 on entry
    row_nnz : OUT int64 (n_domains,)
    """
    for c in nb.prange(row_bounds.shape[0] - 1):
        csr_nnz_rows(grouped_words, offsets, row_bounds[c], row_bounds[c + 1], markers[c], row_nnz)


@nb.njit(**_NJIT_PARALLEL)
def csr_fill_rows_parallel(grouped_words, offsets, indptr, row_bounds, n_passes, tallies,
                           row_words, spares, indices, data):
    """``csr_fill_rows`` over row chunks in parallel, one scratch row per chunk.

    grouped_words, offsets, indptr, n_passes : IN, as in ``csr_fill_rows``
    row_bounds : IN int64 (n_chunks + 1,)
    tallies : IN/OUT scratch int (n_chunks, n_words), zero on entry and exit
    row_words, spares : OUT scratch int (n_chunks, n_words + 1)
    indices : OUT int32/int64 (nnz,)
    data : OUT int64 (nnz,)
    """
    for c in nb.prange(row_bounds.shape[0] - 1):
        csr_fill_rows(grouped_words, offsets, indptr, row_bounds[c], row_bounds[c + 1], n_passes,
                      tallies[c], row_words[c], spares[c], indices, data)
