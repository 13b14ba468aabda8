"""Numba kernels that build CSR count matrices from token streams.

Conventions (as in scikit-learn's ``_k_means_lloyd.pyx``): plain arrays in,
caller-allocated arrays out; every argument is marked IN or OUT.  Callers must
validate ids first: these kernels do not bounds-check.

Two strategies, chosen by the caller:

* ``dense_counts`` + ``dense_to_csr``: a dense (n_domains, n_words) scratch
  array; one streaming pass over the tokens.  Used when that array is small
  (the LLS regime: few domains, long domains).
* ``domain_offsets`` + ``scatter_by_domain`` + ``csr_nnz_per_row`` +
  ``csr_fill``: a counting sort of the word ids by domain followed by a
  sparse accumulator per row.  Memory is one int32/int64 per token plus the
  output; no dense matrix and no per-token COO triplets.  Used for many short
  documents (the topic-model regime).
"""

import numba as nb
import numpy as np

_NJIT = dict(cache=True, nogil=True)


@nb.njit(**_NJIT)
def dense_counts(words, domains, counts):
    """counts[domains[i], words[i]] += 1 for every token.

    words, domains : IN int arrays of equal length (validated ids)
    counts : OUT int64 array (n_domains, n_words), zero on entry
    """
    for i in range(words.shape[0]):
        counts[domains[i], words[i]] += 1


@nb.njit(**_NJIT)
def dense_to_csr_nnz(counts, indptr):
    """indptr[r + 1] = number of non-zeros of row r, cumulated.

    counts : IN int64 (n_rows, n_cols)
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

    counts : IN int64 (n_rows, n_cols)
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


@nb.njit(**_NJIT)
def domain_offsets(domains, offsets):
    """Counting-sort offsets: offsets[d + 1] - offsets[d] = tokens in domain d.

    domains : IN int array (n_tokens,)
    offsets : OUT int64 (n_domains + 1,), zero on entry
    """
    for i in range(domains.shape[0]):
        offsets[domains[i] + 1] += 1
    for d in range(1, offsets.shape[0]):
        offsets[d] += offsets[d - 1]


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
def csr_nnz_per_row(sorted_words, offsets, marker, indptr):
    """Number of distinct words per domain, cumulated into ``indptr``.

    sorted_words : IN (n_tokens,), grouped by domain
    offsets : IN int64 (n_domains + 1,)
    marker : OUT scratch int64 (n_words,), filled with -1 on entry
    indptr : OUT int64 (n_domains + 1,)
    """
    indptr[0] = 0
    for d in range(offsets.shape[0] - 1):
        nnz = 0
        for i in range(offsets[d], offsets[d + 1]):
            w = sorted_words[i]
            if marker[w] != d:
                marker[w] = d
                nnz += 1
        indptr[d + 1] = indptr[d] + nnz


@nb.njit(**_NJIT)
def csr_fill(sorted_words, offsets, indptr, marker, slot, indices, data):
    """Sparse accumulator per domain: write sorted word ids and their counts.

    sorted_words : IN (n_tokens,), grouped by domain
    offsets : IN int64 (n_domains + 1,)
    indptr : IN int64 (n_domains + 1,), from ``csr_nnz_per_row``
    marker : OUT scratch int64 (n_words,), filled with -1 on entry
    slot : OUT scratch int64 (n_words,)
    indices : OUT int32/int64 (nnz,)
    data : OUT int64 (nnz,)
    """
    for d in range(offsets.shape[0] - 1):
        start = indptr[d]
        k = start
        for i in range(offsets[d], offsets[d + 1]):
            w = sorted_words[i]
            if marker[w] != d:
                marker[w] = d
                indices[k] = w
                k += 1
        end = k
        # sort the row's word ids, then count into their slots
        indices[start:end] = np.sort(indices[start:end])
        for j in range(start, end):
            slot[indices[j]] = j
            data[j] = 0
        for i in range(offsets[d], offsets[d + 1]):
            data[slot[sorted_words[i]]] += 1
