"""Numba kernels that build CSR count matrices from token streams.

Conventions (as in scikit-learn's ``_k_means_lloyd.pyx``): plain arrays in,
caller-allocated arrays out; every argument is marked IN or OUT.  Callers must
validate ids first: these kernels do not bounds-check.

Two strategies, chosen by the caller (``llstopic._corpus_build.count_tokens``):

* Dense: ``dense_counts`` into a small (n_words, n_domains) scratch array,
  then ``dense_to_csr_nnz`` + ``dense_to_csr_fill`` on its transpose.  One
  streaming pass over the tokens.  Used when the scratch array is small next
  to the token stream (the LLS regime: few, long domains).
* Sparse: ``domain_offsets`` (which also reports whether the tokens are
  already grouped by domain), ``scatter_by_domain`` only when they are not,
  then ``csr_fill_rows``: one pass with a sparse accumulator per domain whose
  distinct word ids are sorted by insertion (short rows) or a byte-wise radix
  sort (long rows; several times faster than a comparison sort here).  The
  output arrays are reserved at an upper bound (a row has at most as many
  entries as tokens) and written from the front, so untouched pages cost
  nothing and the caller shrinks them in place.  No dense matrix and no
  per-token COO triplets.  Used for many short documents (the topic-model
  regime).

The per-row kernel works on a range of rows ``[row_lo, row_hi)`` with its own
scratch arrays, so the ``*_parallel`` twins hand disjoint row ranges (or token
ranges, for ``dense_counts_parallel``) to numba threads.
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
def csr_fill_rows(grouped_words, offsets, row_lo, row_hi, out_start, n_passes, tally, row_words,
                  spare, row_nnz, indices, data):
    """Sparse accumulator per domain: sorted distinct word ids and their counts.

    One pass over the tokens of rows ``[row_lo, row_hi)``; their entries are
    written back to back from ``out_start`` on.  A row has at most as many
    entries as tokens, so ``out_start = offsets[row_lo]`` never overtakes an
    earlier chunk's entries (what the parallel twin relies on).

    grouped_words : IN int (n_tokens,), tokens grouped by domain
    offsets : IN int64 (n_domains + 1,), domain d is
        ``grouped_words[offsets[d]:offsets[d + 1]]``
    row_lo, row_hi : IN int, the row range to process
    out_start : IN int, where the first entry goes in ``indices``/``data``
    n_passes : IN int, bytes needed to hold ``n_words - 1`` (radix sort passes)
    tally : IN/OUT scratch int (n_words,), all zero on entry, all zero on exit
    row_words, spare : OUT scratch int (n_words + 1,)
    row_nnz : OUT int64 (n_domains,), entries ``[row_lo, row_hi)`` written
    indices : OUT int32/int64, room for the entries from ``out_start`` on
    data : OUT int64, likewise

    Returns the position after the last entry written.
    """
    histogram = np.empty(256, dtype=np.int64)
    pos = out_start
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
        for j in range(k):
            w = row_words[j]
            indices[pos + j] = w
            data[pos + j] = tally[w]
            tally[w] = 0
        row_nnz[d] = k
        pos += k
    return pos


@nb.njit(**_NJIT_PARALLEL)
def csr_fill_rows_parallel(grouped_words, offsets, row_bounds, n_passes, tallies, row_words, spares,
                           row_nnz, chunk_end, indices, data):
    """``csr_fill_rows`` over row chunks in parallel, one scratch row per chunk.

    Chunk c covers rows ``[row_bounds[c], row_bounds[c + 1])`` and writes its
    entries from ``offsets[row_bounds[c]]`` on; the caller then closes the
    gaps with ``move_left``.

    grouped_words, offsets, n_passes : IN, as in ``csr_fill_rows``
    row_bounds : IN int64 (n_chunks + 1,)
    tallies : IN/OUT scratch int (n_chunks, n_words), zero on entry and exit
    row_words, spares : OUT scratch int (n_chunks, n_words + 1)
    row_nnz : OUT int64 (n_domains,)
    chunk_end : OUT int64 (n_chunks,), position after each chunk's last entry
    indices, data : OUT, room for ``offsets[-1]`` entries
    """
    for c in nb.prange(row_bounds.shape[0] - 1):
        lo = row_bounds[c]
        chunk_end[c] = csr_fill_rows(grouped_words, offsets, lo, row_bounds[c + 1], offsets[lo],
                                     n_passes, tallies[c], row_words[c], spares[c], row_nnz,
                                     indices, data)


@nb.njit(**_NJIT)
def move_left(values, src, dst, n):
    """values[dst:dst + n] = values[src:src + n] for dst <= src, in place.

    values : IN/OUT 1-d array
    src, dst, n : IN int
    """
    for i in range(n):
        values[dst + i] = values[src + i]
