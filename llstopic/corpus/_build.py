"""Building canonical CSR counts from token streams; names; word filters.

``llstopic.corpus.Corpus`` wraps these as ``from_tokens`` and
``filter_words`` (texts are in ``_text``, gensim corpora in ``_gensim``);
nothing here is public.  Inputs reach the numba kernels (``llstopic._kernels.counts``) only
after validation.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from numbers import Real

import numba
import numpy as np
import scipy.sparse as sp

from .._kernels import counts as _ck
from .._validation import Interval, check_param, check_positive_int

# ``count_tokens`` counts into a dense (n_words, n_domains) scratch array when
# it has at most _DENSE_CELLS_MAX cells (64 MiB of int32) and not many more
# cells than tokens; otherwise it groups tokens by domain (sparse path).
_DENSE_CELLS_MAX = 2**24
_DENSE_CELLS_PER_TOKEN = 4
_DENSE_CELLS_MIN = 2**16
# below this many tokens the parallel kernels are not worth their start-up
_PARALLEL_MIN_TOKENS = 2**16


# ------------------------------------------------------------ token streams
def count_tokens(words, domains, n_words, n_domains, parallel=False):
    """Canonical CSR int64 counts from validated int64 id arrays (``Corpus.from_tokens``)."""
    n_tokens = words.shape[0]
    # every count, nnz and row length is <= n_tokens: 32-bit scratch when that fits
    small = n_tokens < 2**31 - 1
    index_dtype = np.int32 if small and n_words < 2**31 - 1 else np.int64
    count_dtype = np.int32 if small else np.int64
    n_chunks = max(1, min(numba.get_num_threads(), n_domains)) if parallel else 1
    cells = n_domains * n_words
    indptr = np.empty(n_domains + 1, dtype=np.int64)
    if cells <= _DENSE_CELLS_MAX and cells <= _DENSE_CELLS_PER_TOKEN * n_tokens + _DENSE_CELLS_MIN:
        # word-major scratch (n_words, n_domains): see llstopic/_kernels/counts.py
        if n_chunks > 1 and n_tokens >= _PARALLEL_MIN_TOKENS:
            partial = np.zeros((n_chunks, n_words, n_domains), dtype=count_dtype)
            bounds = np.linspace(0, n_tokens, n_chunks + 1).astype(np.int64)
            _ck.dense_counts_parallel(words, domains, bounds, partial)
            dense = partial.sum(axis=0, dtype=count_dtype)
            del partial
        else:
            dense = np.zeros((n_words, n_domains), dtype=count_dtype)
            _ck.dense_counts(words, domains, dense)
        _ck.dense_to_csr_nnz(dense.T, indptr)
        indices = np.empty(indptr[-1], dtype=index_dtype)
        data = np.empty(indptr[-1], dtype=np.int64)
        _ck.dense_to_csr_fill(dense.T, indptr, indices, data)
        del dense
    else:
        offsets = np.zeros(n_domains + 1, dtype=np.int64)
        if _ck.domain_offsets(domains, offsets):
            grouped_words = words  # already grouped by domain: no copy
        else:
            grouped_words = np.empty(n_tokens, dtype=index_dtype)
            _ck.scatter_by_domain(words, domains, offsets, np.empty(n_domains, dtype=np.int64),
                                  grouped_words)
        n_passes = max(1, (int(n_words - 1).bit_length() + 7) // 8)
        row_nnz = np.empty(n_domains, dtype=np.int64)
        # a row has at most min(its tokens, n_words) entries: reserve that bound
        # and shrink in place afterwards (pages never written are never mapped)
        bound = int(np.minimum(np.diff(offsets), n_words).sum())
        parallel_rows = n_chunks > 1 and n_tokens >= _PARALLEL_MIN_TOKENS
        indices = np.empty(n_tokens if parallel_rows else bound, dtype=index_dtype)
        data = np.empty(indices.shape[0], dtype=np.int64)
        if parallel_rows:
            cuts = np.linspace(0, n_tokens, n_chunks + 1)
            bounds = np.searchsorted(offsets, cuts).astype(np.int64)
            bounds[0], bounds[-1] = 0, n_domains
            bounds = np.maximum.accumulate(bounds)
            chunk_end = np.empty(n_chunks, dtype=np.int64)
            _ck.csr_fill_rows_parallel(
                grouped_words, offsets, bounds, n_passes,
                np.zeros((n_chunks, n_words), dtype=count_dtype),
                np.empty((n_chunks, n_words + 1), dtype=index_dtype),
                np.empty((n_chunks, n_words + 1), dtype=index_dtype), row_nnz, chunk_end, indices,
                data)
            nnz = int(chunk_end[0])
            for c in range(1, n_chunks):  # close the gaps between chunks
                start = int(offsets[bounds[c]])
                n = int(chunk_end[c]) - start
                _ck.move_left(indices, start, nnz, n)
                _ck.move_left(data, start, nnz, n)
                nnz += n
        else:
            nnz = _ck.csr_fill_rows(grouped_words, offsets, 0, n_domains, 0, n_passes,
                                    np.zeros(n_words, dtype=count_dtype),
                                    np.empty(n_words + 1, dtype=index_dtype),
                                    np.empty(n_words + 1, dtype=index_dtype), row_nnz, indices,
                                    data)
        _cumulate(row_nnz, indptr)
        indices = _shrink(indices, nnz)
        data = _shrink(data, nnz)
        del grouped_words
    indptr_out = indptr.astype(np.int32) if index_dtype == np.int32 else indptr
    mat = sp.csr_matrix((data, indices, indptr_out), shape=(n_domains, n_words))
    mat.has_sorted_indices = True
    mat.has_canonical_format = True
    return mat


def _shrink(array, size):
    """``array[:size]`` as an array of its own, in place when numpy can realloc."""
    if array.shape[0] == size:
        return array
    try:
        array.resize(size, refcheck=False)
        return array
    except ValueError:  # not resizable in place (should not happen for our own buffers)
        return array[:size].copy()


def _cumulate(row_nnz, indptr):
    indptr[0] = 0
    np.cumsum(row_nnz, out=indptr[1:])


# -------------------------------------------------------------- vocabulary
def names_list(names, name="vocabulary"):
    """A list of str from an ordered iterable of strings or a gensim ``Dictionary`` (by id).

    ``None`` stays ``None``.  Unordered containers (a set: its order would
    depend on the hash seed), mappings, single strings and entries that are
    not strings are refused, as is an empty list.
    """
    if names is None:
        return None
    token2id = getattr(names, "token2id", None)
    if isinstance(token2id, dict):
        words = [None] * len(token2id)
        for token, i in token2id.items():
            if not (isinstance(i, int) and 0 <= i < len(words)) or words[i] is not None:
                raise ValueError(f"{name}: the gensim Dictionary ids are not 0..{len(words) - 1}; "
                                 f"call compactify() on it first")
            words[i] = token
        names = words
    elif isinstance(names, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of strings, not a single string")
    elif isinstance(names, (Set, Mapping)):
        raise TypeError(f"{name} must be an ordered sequence of strings (a list), got a "
                        f"{type(names).__name__}, whose order is arbitrary")
    elif not hasattr(names, "__iter__"):
        raise TypeError(f"{name} must be a sequence of strings, got {type(names).__name__}")
    names = list(names)
    for i, n in enumerate(names):
        if not isinstance(n, str):
            raise TypeError(f"{name}[{i}] is {type(n).__name__} {n!r:.40}; names must be strings")
    if not names:
        raise ValueError(f"{name} is empty; it must name at least one "
                         f"{'word' if name == 'vocabulary' else 'entry'}")
    return names


def check_names(names, length, name, length_name):
    """Validate optional unique names (see :func:`names_list`) of a given length."""
    names = names_list(names, name)
    if names is None:
        return None
    if len(names) != length:
        raise ValueError(f"{name} has {len(names)} entries but {length_name} = {length}")
    if len(set(names)) != len(names):
        seen = {}
        for i, n in enumerate(names):
            if n in seen:
                raise ValueError(f"{name} has a duplicate entry {n!r} at positions {seen[n]} "
                                 f"and {i}")
            seen[n] = i
    return names


# ------------------------------------------------------------ word filters
def kept_words(word_counts, domain_freq, n_domains, *, min_count=1, min_domains=1,
               max_domain_fraction=1.0, keep_n=None):
    """Old ids of the words that pass every filter of ``Corpus.filter_words``.

    ``word_counts`` and ``domain_freq`` are exact int64 totals per word; with
    ``keep_n``, the most frequent words are kept, ties going to the lower id.
    The one rule for a Corpus and for a partitioned corpus (``llstopic.distributed``).
    """
    min_count = check_positive_int(min_count, "min_count", minimum=0)
    min_domains = check_positive_int(min_domains, "min_domains", minimum=0)
    keep_n = check_positive_int(keep_n, "keep_n", allow_none=True)
    fraction = check_param(max_domain_fraction, "max_domain_fraction",
                           [Interval(Real, 0, 1, closed="right")])
    keep = ((word_counts >= min_count) & (domain_freq >= min_domains)
            & (domain_freq <= float(fraction) * n_domains))
    kept = np.flatnonzero(keep).astype(np.int64)
    if keep_n is not None and kept.size > keep_n:
        top = np.lexsort((kept, -word_counts[kept]))[:keep_n]
        kept = np.sort(kept[top])
    if kept.size == 0:
        raise ValueError(
            f"filter_words(min_count={min_count}, min_domains={min_domains}, "
            f"max_domain_fraction={fraction}, keep_n={keep_n}) removes every word")
    return kept


def filter_counts(counts, min_count, min_domains, max_domain_fraction, keep_n):
    """The columns of CSR ``counts`` that pass ``Corpus.filter_words``' filters: (csr, kept ids)."""
    n_domains, n_words = counts.shape
    word_counts = np.asarray(counts.sum(axis=0, dtype=np.int64)).ravel()   # exact, not float64
    domain_freq = np.bincount(counts.indices, minlength=n_words)
    kept = kept_words(word_counts, domain_freq, n_domains, min_count=min_count,
                      min_domains=min_domains, max_domain_fraction=max_domain_fraction,
                      keep_n=keep_n)
    new_id = np.full(n_words, -1, dtype=np.int64)
    new_id[kept] = np.arange(kept.size)
    remapped = new_id[counts.indices]
    stays = remapped >= 0
    cumulative = np.concatenate(([0], np.cumsum(stays)))
    indptr = cumulative[counts.indptr]
    indices = remapped[stays].astype(counts.indices.dtype)
    mat = sp.csr_matrix((counts.data[stays], indices, indptr),
                        shape=(n_domains, kept.size))
    mat.has_sorted_indices = True
    mat.has_canonical_format = True
    return mat, kept
