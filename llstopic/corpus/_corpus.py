"""Corpus: integer counts of shape (n_domains, n_words) in CSR, plus names.

In latent-label-shift terms a row is a domain and a column an input value; in
topic-model terms a row is a document and a column a word.  Everything in
llstopic consumes this one orientation.
"""

from __future__ import annotations

from os import PathLike
from typing import IO, Any, Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import _build, _gensim, _io, _text
from .._validation import check_count_matrix, check_id_array, check_memory, check_positive_int

__all__ = ["Corpus"]


class Corpus(_text.TextMixin, _gensim.GensimMixin):
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

    Notes
    -----
    Builders: :meth:`from_tokens` (one word id and one domain id per
    observation, the LLS input), :meth:`from_matrix`, :meth:`from_texts`,
    :meth:`from_gensim`, :meth:`read_uci`, :meth:`read_mm`; new documents in
    a corpus' vocabulary: :meth:`transform_texts`.  Out:
    :meth:`to_gensim`, :meth:`to_gensim_dictionary`, :meth:`write_uci`,
    :meth:`write_mm`.  Round trips through gensim, UCI and Matrix Market are
    exact for the counts and the vocabulary.

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

    def __init__(self, counts: Any, vocabulary: Sequence[str] | None = None,
                 domain_names: Sequence[str] | None = None) -> None:
        self._counts = check_count_matrix(counts, "counts", require_tokens=False)
        n_domains, n_words = self._counts.shape
        self._vocabulary = _build.check_names(vocabulary, n_words, "vocabulary", "n_words")
        self._domain_names = _build.check_names(domain_names, n_domains, "domain_names",
                                                "n_domains")
        self._kept_words = self._unknown = self._analyser = None

    @classmethod
    def _trusted(cls, counts, vocabulary=None, domain_names=None):
        """Wrap an already-canonical int64 CSR matrix without re-validating it."""
        obj = cls.__new__(cls)
        obj._counts = counts
        obj._vocabulary = None if vocabulary is None else list(vocabulary)
        obj._domain_names = None if domain_names is None else list(domain_names)
        obj._kept_words = obj._unknown = obj._analyser = None
        return obj

    # ------------------------------------------------------------------ props
    @property
    def counts(self) -> Any:
        """The counts, ``scipy.sparse.csr_matrix`` of int64, shape (n_domains, n_words)."""
        return self._counts

    @property
    def n_domains(self) -> int:
        """Number of domains (documents, rows)."""
        return self._counts.shape[0]

    @property
    def n_words(self) -> int:
        """Number of words (input values, columns)."""
        return self._counts.shape[1]

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_domains, n_words)``."""
        return self._counts.shape

    @property
    def n_tokens(self) -> int:
        """Total number of tokens (observations)."""
        return int(self._counts.data.sum())

    @property
    def vocabulary(self) -> list[str] | None:
        """The word names (list of str) or ``None``."""
        return None if self._vocabulary is None else list(self._vocabulary)

    @property
    def domain_names(self) -> list[str] | None:
        """The domain names (list of str) or ``None``."""
        return None if self._domain_names is None else list(self._domain_names)

    @property
    def kept_words(self) -> np.ndarray | None:
        """Old word ids of a corpus made by :meth:`filter_words`, else ``None``.

        An int64 array of shape (n_words,): word ``j`` of this corpus is word
        ``kept_words[j]`` of the corpus ``filter_words`` was called on.  The
        reverse map is ``new_id = np.full(old.n_words, -1);
        new_id[kept_words] = np.arange(len(kept_words))``.
        """
        return None if self._kept_words is None else self._kept_words.copy()

    def domain_lengths(self) -> np.ndarray:
        """Tokens per domain, int64 array of shape (n_domains,)."""
        return np.asarray(self._counts.sum(axis=1), dtype=np.int64).ravel()

    def word_counts(self) -> np.ndarray:
        """Tokens per word over all domains, int64 array of shape (n_words,)."""
        return np.asarray(self._counts.sum(axis=0, dtype=np.int64)).ravel()

    def toarray(self) -> np.ndarray:
        """Dense int64 copy of the counts, shape (n_domains, n_words)."""
        return self._counts.toarray()

    def __repr__(self) -> str:
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

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, compared by value

    # --------------------------------------------------------------- builders
    @classmethod
    def from_matrix(cls, X: Any, *, vocabulary: Sequence[str] | None = None,
                    domain_names: Sequence[str] | None = None) -> Corpus:
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
            return cls._checked(X.counts.copy(),
                                X._vocabulary if vocabulary is None else vocabulary,
                                X._domain_names if domain_names is None else domain_names)
        return cls._checked(check_count_matrix(X, "X", require_tokens=False), vocabulary,
                            domain_names)

    @classmethod
    def from_tokens(cls, words: ArrayLike, domains: ArrayLike, *, n_words: int | None = None,
                    n_domains: int | None = None, vocabulary: Sequence[str] | None = None,
                    domain_names: Sequence[str] | None = None,
                    parallel: bool = False) -> Corpus:
        """Count tokens: one word id and one domain id per observation.

        This is the latent-label-shift entry point: observation ``i`` is the
        input value ``words[i]`` seen in domain ``domains[i]``.  Numba kernels
        build the CSR matrix directly, with no per-token COO triplets.  Few
        long domains (a small ``n_domains * n_words``) are counted into a
        dense scratch array in one pass; many short documents go through a
        sparse accumulator per domain, which reads the tokens in place when
        they arrive grouped by domain and otherwise sorts them by domain first
        (one extra id per token).  ``benchmarks/bench_counts.py`` compares it
        with scipy.

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
        parallel : bool, default=False
            Use the multi-threaded twins of the counting kernels (numba
            threads, ``numba.set_num_threads``).  Same result, bit for bit.

        Returns
        -------
        Corpus
        """
        vocabulary = _build.names_list(vocabulary)
        if vocabulary is not None and n_words is None:
            n_words = len(vocabulary)
        n_words = check_positive_int(n_words, "n_words", allow_none=True)
        n_domains = check_positive_int(n_domains, "n_domains", allow_none=True)
        words = check_id_array(words, "words", upper=n_words, upper_name="n_words")
        domains = check_id_array(domains, "domains", upper=n_domains, upper_name="n_domains")
        if words.shape[0] != domains.shape[0]:
            raise ValueError(
                f"words and domains must have the same length, "
                f"got {words.shape[0]} and {domains.shape[0]}"
            )
        if words.shape[0] == 0:
            raise ValueError("words is empty: at least one token is required")
        if n_words is None:
            n_words = int(words.max()) + 1
        if n_domains is None:
            n_domains = int(domains.max()) + 1
        check_memory(8 * (n_domains + 1) + 24 * n_words,
                     f"a corpus of n_domains = {n_domains} and n_words = {n_words}")
        vocabulary = _build.check_names(vocabulary, n_words, "vocabulary", "n_words")
        domain_names = _build.check_names(domain_names, n_domains, "domain_names", "n_domains")
        counts = _build.count_tokens(words, domains, n_words, n_domains, parallel=bool(parallel))
        return cls._trusted(counts, vocabulary, domain_names)

    # --------------------------------------------------------------- files
    @classmethod
    def read_uci(cls, docword: str | PathLike[str] | IO[bytes],
                 vocab: str | PathLike[str] | IO[bytes] | None = None) -> Corpus:
        """Read a UCI bag-of-words corpus (NIPS, KOS, Enron, NYTimes format).

        Parameters
        ----------
        docword : path or binary file
            ``docword.*.txt`` (optionally gzipped): lines ``D``, ``W``,
            ``NNZ``, then ``NNZ`` lines ``docID wordID count`` with 1-based
            ids.  Read in blocks: memory follows the lines read, not the
            file size nor what the header claims; the header is range-checked
            first.  Repeated (docID, wordID) lines are summed; counts may
            have leading zeros; a file without tokens gives a Corpus
            without tokens (as :meth:`write_uci` writes it).
        vocab : path or binary file, optional
            ``vocab.*.txt``: ``W`` words, one per line (UTF-8).

        Returns
        -------
        Corpus
        """
        counts = _io.read_uci(docword)
        vocabulary = None if vocab is None else _io.read_vocab(vocab, counts.shape[1])
        return cls._checked(counts, vocabulary, None)

    def write_uci(self, docword: str | PathLike[str] | IO[bytes],
                  vocab: str | PathLike[str] | IO[bytes] | None = None) -> None:
        """Write the UCI bag-of-words format (``.gz`` paths are gzipped).

        Domain names are not part of the format and are not written.  Every
        word is checked (no line breaks, encodable as UTF-8) before anything
        is written; paths are written to temporary files in their folder and
        replaced together at the end, so a failure leaves the old files.

        Parameters
        ----------
        docword : path or binary file
        vocab : path or binary file, optional
            Where to write the vocabulary, one word per line.
        """
        _io.write_corpus(self._counts, self._vocabulary, docword, vocab, "uci")

    @classmethod
    def read_mm(cls, path: str | PathLike[str] | IO[bytes],
                vocab: str | PathLike[str] | IO[bytes] | None = None) -> Corpus:
        """Read a Matrix Market file of counts, rows = domains (as gensim's ``MmCorpus``).

        Parameters
        ----------
        path : path or binary file
            Coordinate files (integer, real with integral values, or pattern)
            are parsed block by block with line numbers in errors; other
            layouts go through ``scipy.io.mmread``.
        vocab : path or binary file, optional
            Words, one per line.

        Returns
        -------
        Corpus
        """
        counts = _io.read_mm(path)
        vocabulary = None if vocab is None else _io.read_vocab(vocab, counts.shape[1])
        return cls._checked(counts, vocabulary, None)

    def write_mm(self, path: str | PathLike[str] | IO[bytes],
                 vocab: str | PathLike[str] | IO[bytes] | None = None) -> None:
        """Write a Matrix Market coordinate integer file (``.gz`` paths are gzipped).

        Checked first and written atomically, like :meth:`write_uci`.
        """
        _io.write_corpus(self._counts, self._vocabulary, path, vocab, "mm")

    # ------------------------------------------------------------ filtering
    def filter_words(self, *, min_count: int = 1, min_domains: int = 1,
                     max_domain_fraction: float = 1.0, keep_n: int | None = None) -> Corpus:
        """Keep the words that pass every filter; a new Corpus.

        Parameters
        ----------
        min_count : int, default=1
            Keep words with at least this many tokens in total.
        min_domains : int, default=1
            Keep words seen in at least this many domains (documents).
        max_domain_fraction : float in (0, 1], default=1.0
            Keep words seen in at most this fraction of the domains.
        keep_n : int, optional
            Then keep only the ``keep_n`` most frequent words (ties go to the
            lower id).

        Returns
        -------
        Corpus
            Kept words stay in their original order; ``kept_words`` maps each
            new id to its old id.  Domains keep their rows, even when emptied.
        """
        mat, kept = _build.filter_counts(self._counts, min_count, min_domains,
                                         max_domain_fraction, keep_n)
        vocabulary = None if self._vocabulary is None else [self._vocabulary[j] for j in kept]
        out = type(self)._trusted(mat, vocabulary, self._domain_names)
        out._kept_words = kept
        return out

    @classmethod
    def _checked(cls, counts, vocabulary, domain_names):
        """Wrap a canonical int64 CSR from a trusted builder, checking the names."""
        return cls._trusted(
            counts,
            _build.check_names(vocabulary, counts.shape[1], "vocabulary", "n_words"),
            _build.check_names(domain_names, counts.shape[0], "domain_names", "n_domains"))
