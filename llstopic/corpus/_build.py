"""Building canonical CSR counts: token streams and token lists.

``llstopic.corpus.Corpus`` wraps these as ``from_tokens`` and ``from_texts``
(gensim corpora are in ``_gensim``); nothing here is
public.  Inputs reach the numba kernels (``llstopic._kernels.counts``) only
after validation.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Set

import numba
import numpy as np
import scipy.sparse as sp

from .._kernels import counts as _ck

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


# ------------------------------------------------------------------ texts
def texts_to_tokens(token_lists, vocabulary=None):
    """Word ids per token, tokens per document and the vocabulary.

    With no ``vocabulary`` it is built from the texts and sorted; with one,
    tokens outside it are dropped.
    """
    if isinstance(token_lists, (str, bytes)) or not hasattr(token_lists, "__iter__"):
        raise TypeError(f"token_lists must be an iterable of token lists, "
                        f"got {type(token_lists).__name__}")
    fixed = vocabulary is not None
    index = {w: i for i, w in enumerate(vocabulary)} if fixed else {}
    word_ids = array("q")
    lengths = array("q")
    for i, doc in enumerate(token_lists):
        if isinstance(doc, (str, bytes)):
            raise TypeError(f"token_lists[{i}] is a string; "
                            f"pass a list of tokens (e.g. text.split())")
        if not hasattr(doc, "__iter__"):
            raise TypeError(f"token_lists[{i}] is a {type(doc).__name__}, not a list of tokens")
        before = len(word_ids)
        if fixed:
            get = index.get
            word_ids.extend(j for j in map(get, doc) if j is not None)
        else:
            setdefault = index.setdefault
            try:
                word_ids.extend(setdefault(t, len(index)) for t in doc)
            except TypeError:  # an unhashable token
                bad = next(t for t in doc if not isinstance(t, str))
                raise TypeError(f"token_lists[{i}] holds {bad!r}; tokens must be strings") from None
        lengths.append(len(word_ids) - before)
    if len(lengths) == 0:
        raise ValueError("token_lists holds no documents; a corpus needs at least one token")
    if len(word_ids) == 0:
        where = " in the given vocabulary" if fixed else ""
        raise ValueError(f"token_lists holds no tokens{where}; a corpus needs at least one")
    words = np.frombuffer(word_ids, dtype=np.int64)
    lengths = np.frombuffer(lengths, dtype=np.int64)
    if fixed:
        return words, lengths, list(vocabulary)
    names = list(index)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"token_lists holds the token {name!r}; tokens must be strings")
    order = sorted(range(len(names)), key=names.__getitem__)
    new_id = np.empty(len(names), dtype=np.int64)
    new_id[order] = np.arange(len(names))
    return new_id[words], lengths, [names[j] for j in order]

