"""Corpus: integer counts of shape (n_domains, n_words) in CSR, plus names.

In latent-label-shift terms a row is a domain and a column an input value; in
topic-model terms a row is a document and a column a word.  Everything in
llstopic consumes this one orientation.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._kernels import counts as _ck
from ._validation import check_count_matrix, check_id_array, check_positive_int

__all__ = ["Corpus"]

# A dense (n_domains, n_words) int64 scratch array is used by ``from_tokens``
# while it stays below this many cells (128 MiB); above it, a counting sort.
_DENSE_CELLS_MAX = 2**24


def _check_names(names, length, name, length_name):
    """Validate an optional list of unique strings of a given length."""
    if names is None:
        return None
    if isinstance(names, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of strings, not a single string")
    names = [str(n) if not isinstance(n, str) else n for n in names]
    if len(names) != length:
        raise ValueError(f"{name} has {len(names)} entries but {length_name} = {length}")
    seen = {}
    for i, n in enumerate(names):
        if n in seen:
            raise ValueError(f"{name} has a duplicate entry {n!r} at positions {seen[n]} and {i}")
        seen[n] = i
    return names


class Corpus:
    """Token counts of shape (n_domains, n_words), with optional names.

    Parameters
    ----------
    counts : array-like or scipy sparse matrix of shape (n_domains, n_words)
        Non-negative integer counts.  Stored as a canonical ``csr_matrix`` of
        int64 (sorted indices, no duplicates, no explicit zeros).
    vocabulary : sequence of str of length n_words, optional
        The word (input value) names.  Must be unique.
    domain_names : sequence of str of length n_domains, optional
        The domain (document) names.  Must be unique.

    Examples
    --------
    >>> from llstopic import Corpus
    >>> c = Corpus.from_tokens([0, 2, 2, 1], [0, 0, 1, 1])
    >>> c.counts.toarray()
    array([[1, 0, 1],
           [0, 1, 1]])
    >>> c.n_tokens
    4
    """

    def __init__(self, counts, vocabulary=None, domain_names=None):
        self._counts = check_count_matrix(counts, "counts", require_tokens=False)
        self._vocabulary = _check_names(vocabulary, self._counts.shape[1], "vocabulary", "n_words")
        self._domain_names = _check_names(domain_names, self._counts.shape[0], "domain_names", "n_domains")

    @classmethod
    def _trusted(cls, counts, vocabulary=None, domain_names=None):
        """Wrap an already-canonical int64 CSR matrix without re-validating it."""
        obj = cls.__new__(cls)
        obj._counts = counts
        obj._vocabulary = None if vocabulary is None else list(vocabulary)
        obj._domain_names = None if domain_names is None else list(domain_names)
        return obj

    # ------------------------------------------------------------------ props
    @property
    def counts(self):
        """The counts, ``scipy.sparse.csr_matrix`` of int64, shape (n_domains, n_words)."""
        return self._counts

    @property
    def n_domains(self):
        """Number of domains (documents, rows)."""
        return self._counts.shape[0]

    @property
    def n_words(self):
        """Number of words (input values, columns)."""
        return self._counts.shape[1]

    @property
    def shape(self):
        """``(n_domains, n_words)``."""
        return self._counts.shape

    @property
    def n_tokens(self):
        """Total number of tokens (observations)."""
        return int(self._counts.data.sum())

    @property
    def vocabulary(self):
        """The word names (list of str) or ``None``."""
        return None if self._vocabulary is None else list(self._vocabulary)

    @property
    def domain_names(self):
        """The domain names (list of str) or ``None``."""
        return None if self._domain_names is None else list(self._domain_names)

    def domain_lengths(self):
        """Tokens per domain, int64 array of shape (n_domains,)."""
        return np.asarray(self._counts.sum(axis=1), dtype=np.int64).ravel()

    def word_counts(self):
        """Tokens per word over all domains, int64 array of shape (n_words,)."""
        return np.bincount(self._counts.indices, weights=self._counts.data,
                           minlength=self.n_words).astype(np.int64)

    def toarray(self):
        """Dense int64 copy of the counts, shape (n_domains, n_words)."""
        return self._counts.toarray()

    def __repr__(self):
        vocab = "with" if self._vocabulary is not None else "no"
        return (f"Corpus(n_domains={self.n_domains}, n_words={self.n_words}, "
                f"n_tokens={self.n_tokens}, nnz={self._counts.nnz}, {vocab} vocabulary)")

    def __eq__(self, other):
        if not isinstance(other, Corpus):
            return NotImplemented
        if self.shape != other.shape:
            return False
        if self._vocabulary != other._vocabulary or self._domain_names != other._domain_names:
            return False
        a, b = self._counts, other._counts
        return (a.nnz == b.nnz and np.array_equal(a.indptr, b.indptr)
                and np.array_equal(a.indices, b.indices) and np.array_equal(a.data, b.data))

    __hash__ = None

    # --------------------------------------------------------------- builders
    @classmethod
    def from_matrix(cls, X, *, vocabulary=None, domain_names=None):
        """Build a Corpus from a dense array or any scipy sparse matrix.

        Parameters
        ----------
        X : array-like or scipy sparse matrix of shape (n_domains, n_words)
            Non-negative integer counts (floats are accepted when integral).
        vocabulary, domain_names : sequence of str, optional

        Returns
        -------
        Corpus
        """
        if isinstance(X, Corpus):
            return cls._trusted(X.counts.copy(), vocabulary or X._vocabulary,
                                domain_names or X._domain_names)
        return cls(check_count_matrix(X, "X", require_tokens=False), vocabulary, domain_names)

    @classmethod
    def from_tokens(cls, words, domains, *, n_words=None, n_domains=None, vocabulary=None,
                    domain_names=None):
        """Count tokens: one word id and one domain id per observation.

        This is the latent-label-shift entry point: observation ``i`` is the
        input value ``words[i]`` seen in domain ``domains[i]``.  A numba kernel
        builds the CSR matrix directly, in one or two streaming passes, with no
        per-token COO triplets.  Few long domains use a small dense scratch
        array; many short documents use a counting sort by domain.

        Parameters
        ----------
        words : array-like of int, shape (n_tokens,)
            Word (input value) ids, ``0 <= words[i] < n_words``.
        domains : array-like of int, shape (n_tokens,)
            Domain (document) ids, ``0 <= domains[i] < n_domains``.
        n_words : int, optional
            Vocabulary size; defaults to ``len(vocabulary)`` or ``max(words) + 1``.
        n_domains : int, optional
            Number of domains; defaults to ``max(domains) + 1``.  Domains
            without tokens are allowed (empty rows).
        vocabulary, domain_names : sequence of str, optional

        Returns
        -------
        Corpus
        """
        if vocabulary is not None and n_words is None and not isinstance(vocabulary, (str, bytes)):
            n_words = len(vocabulary)
        n_words = check_positive_int(n_words, "n_words", allow_none=True)
        n_domains = check_positive_int(n_domains, "n_domains", allow_none=True)
        words = check_id_array(words, "words", upper=n_words, upper_name="n_words")
        domains = check_id_array(domains, "domains", upper=n_domains, upper_name="n_domains")
        if words.shape[0] != domains.shape[0]:
            raise ValueError(
                f"words and domains must have the same length, got {words.shape[0]} and {domains.shape[0]}"
            )
        if words.shape[0] == 0:
            raise ValueError("words is empty: at least one token is required")
        if n_words is None:
            n_words = int(words.max()) + 1
        if n_domains is None:
            n_domains = int(domains.max()) + 1
        vocabulary = _check_names(vocabulary, n_words, "vocabulary", "n_words")
        domain_names = _check_names(domain_names, n_domains, "domain_names", "n_domains")
        counts = _count_tokens(words, domains, n_words, n_domains)
        return cls._trusted(counts, vocabulary, domain_names)


def _count_tokens(words, domains, n_words, n_domains):
    """CSR int64 counts from validated int64 id arrays (see ``Corpus.from_tokens``)."""
    n_tokens = words.shape[0]
    index_dtype = np.int32 if max(n_words, n_tokens) < 2**31 - 1 else np.int64
    cells = n_domains * n_words
    indptr = np.empty(n_domains + 1, dtype=np.int64)
    if cells <= _DENSE_CELLS_MAX:
        dense = np.zeros((n_domains, n_words), dtype=np.int64)
        _ck.dense_counts(words, domains, dense)
        _ck.dense_to_csr_nnz(dense, indptr)
        indices = np.empty(indptr[-1], dtype=index_dtype)
        data = np.empty(indptr[-1], dtype=np.int64)
        _ck.dense_to_csr_fill(dense, indptr, indices, data)
    else:
        offsets = np.zeros(n_domains + 1, dtype=np.int64)
        _ck.domain_offsets(domains, offsets)
        sorted_words = np.empty(n_tokens, dtype=index_dtype)
        _ck.scatter_by_domain(words, domains, offsets, np.empty(n_domains, dtype=np.int64), sorted_words)
        marker = np.full(n_words, -1, dtype=np.int64)
        _ck.csr_nnz_per_row(sorted_words, offsets, marker, indptr)
        indices = np.empty(indptr[-1], dtype=index_dtype)
        data = np.empty(indptr[-1], dtype=np.int64)
        marker.fill(-1)
        _ck.csr_fill(sorted_words, offsets, indptr, marker, np.empty(n_words, dtype=np.int64), indices, data)
        del sorted_words
    if index_dtype == np.int64:
        indptr_out = indptr
    else:
        indptr_out = indptr.astype(np.int32) if indptr[-1] < 2**31 - 1 else indptr
    mat = sp.csr_matrix((data, indices, indptr_out), shape=(n_domains, n_words))
    mat.has_sorted_indices = True
    mat.has_canonical_format = True
    return mat
