"""The one bridge between CSR counts and gensim's bag-of-words form.

:class:`GensimBow` is the one CSR -> gensim stream (``Corpus.to_gensim``, the
LDA back end and the coherence scores all use it); :func:`bow_to_csr` reads any
gensim corpus into CSR; :func:`to_gensim_dictionary` builds a gensim
``Dictionary``.  Nothing here is public.
"""

from __future__ import annotations

import math
import numbers
from array import array
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from . import _build
from .._validation import INT64_MAX, check_memory, check_positive_int, check_total

if TYPE_CHECKING:
    from ._corpus import Corpus

__all__ = ["GensimBow", "GensimMixin", "bow_to_csr", "to_gensim_dictionary"]


class GensimBow:
    """A Corpus seen as a gensim bag-of-words corpus (re-iterable, indexable).

    Iterating yields, for each domain (document), a list of
    ``(word_id, count)`` pairs of Python ints with increasing word ids; empty
    domains yield ``[]``.  ``len()`` is the number of domains; ``num_terms``
    and ``num_docs`` follow gensim's corpus attributes.
    """

    def __init__(self, counts):
        self._counts = counts

    def __len__(self):
        return self._counts.shape[0]

    @property
    def num_docs(self):
        return self._counts.shape[0]

    @property
    def num_terms(self):
        return self._counts.shape[1]

    @property
    def num_nnz(self):
        return self._counts.nnz

    def __getitem__(self, i):
        n = self._counts.shape[0]
        if not isinstance(i, (int, np.integer)) or isinstance(i, bool):
            raise TypeError(f"documents are indexed by int, got {type(i).__name__}")
        if not -n <= i < n:
            raise IndexError(f"document {i} out of range for {n} documents")
        i = int(i) % n
        a, b = self._counts.indptr[i], self._counts.indptr[i + 1]
        return list(zip(self._counts.indices[a:b].tolist(), self._counts.data[a:b].tolist()))

    def __iter__(self):
        indptr, indices, data = self._counts.indptr, self._counts.indices, self._counts.data
        for i in range(self._counts.shape[0]):
            a, b = indptr[i], indptr[i + 1]
            yield list(zip(indices[a:b].tolist(), data[a:b].tolist()))

    def __repr__(self):
        return (f"GensimBow(num_docs={self.num_docs}, num_terms={self.num_terms}, "
                f"num_nnz={self.num_nnz})")


def _as_int(value, k_doc, k_entry, what):
    """An exact non-negative Python int from a word id or count (slow path of ``bow_to_csr``)."""
    where = f"bow_iterable: document {k_doc}, entry {k_entry}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where} has {what} {value!r:.40} of type {type(value).__name__}; "
                        f"it must be a non-negative integer")
    if isinstance(value, numbers.Integral):
        value = int(value)
    else:
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"{where} has a non-finite {what} {value!r}")
        if value != math.floor(value):
            raise ValueError(f"{where} has {what} {value!r}; it must be a non-negative integer")
        if abs(value) >= 2**53:
            raise ValueError(f"{where} has the float {what} {value!r}, too large to be an exact "
                             f"integer; pass it as an int")
        value = int(value)
    if value < 0:
        raise ValueError(f"{where} has {what} {value!r}; it must be a non-negative integer")
    if value > INT64_MAX:
        raise ValueError(f"{where} has {what} {value}, too large: it must be at most {INT64_MAX}")
    return value


def bow_to_csr(bow_iterable, n_words=None):
    """Canonical CSR from an iterable of ``[(word_id, count), ...]`` lists.

    One streaming pass; memory follows the number of pairs.  Ids and counts
    must be integers (Python or numpy ints, or floats with an exact integral
    value); they are never passed through float64, so counts stay exact.
    """
    if isinstance(bow_iterable, (str, bytes)) or not hasattr(bow_iterable, "__iter__"):
        raise TypeError(f"bow_iterable must be an iterable of [(word_id, count), ...] lists, "
                        f"got {type(bow_iterable).__name__}")
    ids, counts, lengths = array("q"), array("q"), array("q")
    for i, doc in enumerate(bow_iterable):
        if isinstance(doc, (str, bytes, dict)) or not hasattr(doc, "__iter__"):
            raise TypeError(f"bow_iterable: document {i} is a {type(doc).__name__}, "
                            f"not a list of (word_id, count) pairs")
        n = 0
        for j, pair in enumerate(doc):
            if type(pair) is tuple and len(pair) == 2:
                w, c = pair
            elif isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
                raise TypeError(f"bow_iterable: document {i}, entry {j} is {pair!r:.60}, "
                                f"not a (word_id, count) pair of numbers")
            else:
                w, c = pair
            if type(w) is not int or type(c) is not int or w < 0 or c < 0:
                w, c = _as_int(w, i, j, "word id"), _as_int(c, i, j, "count")
            try:
                ids.append(w)
                counts.append(c)
            except OverflowError:
                what, value = ("word id", w) if w > INT64_MAX else ("count", c)
                raise ValueError(f"bow_iterable: document {i}, entry {j} has {what} {value}, too "
                                 f"large: it must be at most {INT64_MAX}") from None
            n += 1
        lengths.append(n)
    n_docs = len(lengths)
    if n_docs == 0:
        raise ValueError("bow_iterable holds no documents; a corpus needs at least one")
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.frombuffer(lengths, dtype=np.int64), out=indptr[1:])
    ids = np.frombuffer(ids, dtype=np.int64)
    counts = np.frombuffer(counts, dtype=np.int64)
    if n_words is None:
        if ids.size == 0:
            raise ValueError("bow_iterable holds no tokens, so n_words is unknown; pass n_words "
                             "(a corpus without tokens needs its size)")
        n_words = int(ids.max()) + 1
        if n_words > INT64_MAX:
            raise ValueError(f"bow_iterable holds the word id {int(ids.max())}; ids must be below "
                             f"{INT64_MAX}")
    elif ids.size and ids.max() >= n_words:
        k = int(np.flatnonzero(ids >= n_words)[0])
        d = int(np.searchsorted(indptr, k, side="right") - 1)
        raise ValueError(f"bow_iterable: document {d}, entry {k - indptr[d]} has word id "
                         f"{int(ids[k])}, out of range: it must be < n_words = {n_words}")
    check_total(counts, "bow_iterable")
    check_memory(8 * (n_docs + 1 + n_words), f"a corpus of {n_docs} domains and {n_words} words")
    index_dtype = np.int32 if n_words < 2**31 - 1 else np.int64
    mat = sp.csr_matrix((counts.copy(), ids.astype(index_dtype), indptr), shape=(n_docs, n_words))
    del ids, counts
    mat.sum_duplicates()
    mat.eliminate_zeros()
    return mat


def to_gensim_dictionary(vocabulary, counts):
    """A gensim ``Dictionary`` with ids, document and collection frequencies."""
    from gensim.corpora import Dictionary

    dictionary = Dictionary()
    dictionary.token2id = {w: i for i, w in enumerate(vocabulary)}
    word_counts = np.asarray(counts.sum(axis=0, dtype=np.int64)).ravel()
    doc_freq = np.bincount(counts.indices, minlength=counts.shape[1])
    dictionary.cfs = {i: int(c) for i, c in enumerate(word_counts)}
    dictionary.dfs = {i: int(c) for i, c in enumerate(doc_freq)}
    dictionary.num_docs = counts.shape[0]
    dictionary.num_pos = int(counts.data.sum())  # fits: totals are checked on every build
    dictionary.num_nnz = counts.nnz
    return dictionary


# ----------------------------------------------------------- token lists


class GensimMixin:
    """The gensim methods of :class:`~llstopic.Corpus` (``from_gensim``, ``to_gensim``, ...)."""

    _counts: Any       # set by Corpus (annotations only, for the type checker)
    _vocabulary: Any
    _checked: Any

    @classmethod
    def from_gensim(cls, bow_iterable: Iterable[Iterable[tuple[int, int]]], *,
                    n_words: int | None = None, vocabulary: Sequence[str] | None = None,
                    domain_names: Sequence[str] | None = None) -> Corpus:
        """Build a Corpus from a gensim bag-of-words corpus, in one streaming pass.

        Parameters
        ----------
        bow_iterable : iterable of lists of (int, int)
            One ``[(word_id, count), ...]`` list per domain (document), as
            gensim corpora yield them.  Repeated word ids in a list are summed.
        n_words : int, optional
            Defaults to ``len(vocabulary)``, else the ``num_terms`` attribute
            of ``bow_iterable`` when it has one (gensim corpora and
            :meth:`to_gensim` do), else the largest word id + 1.
        vocabulary : sequence of str or gensim Dictionary, optional
        domain_names : sequence of str, optional

        Returns
        -------
        Corpus
        """
        vocabulary = _build.names_list(vocabulary)
        if n_words is None and vocabulary is not None:
            n_words = len(vocabulary)
        num_terms = getattr(bow_iterable, "num_terms", None)
        n_words = check_positive_int(n_words, "n_words", allow_none=True)
        if n_words is None and isinstance(num_terms, (int, np.integer)) and num_terms > 0:
            n_words = check_positive_int(num_terms, "bow_iterable.num_terms")
        counts = bow_to_csr(bow_iterable, n_words)
        return cls._checked(counts, vocabulary, domain_names)

    def to_gensim(self) -> GensimBow:
        """This corpus as a gensim bag-of-words corpus.

        Returns
        -------
        GensimBow
            A re-iterable, indexable sequence of ``n_domains`` lists of
            ``(word_id, count)`` pairs (Python ints), with ``num_terms`` and
            ``num_docs`` attributes; pass it to any gensim model.  The
            vocabulary, when there is one, is :meth:`to_gensim_dictionary`.
        """
        return GensimBow(self._counts)

    def to_gensim_dictionary(self) -> Any:
        """The vocabulary as a gensim ``Dictionary`` (ids = column indices).

        Its document and collection frequencies are those of this corpus.
        Raises ``ValueError`` when the corpus has no vocabulary.
        """
        if self._vocabulary is None:
            raise ValueError("this Corpus has no vocabulary; build it with vocabulary=... "
                             "to get a gensim Dictionary")
        return to_gensim_dictionary(self._vocabulary, self._counts)
