"""Topic quality from the top words: coherence (through gensim), diversity, duplicates.

The companion of :mod:`llstopic._heldout` (held-out likelihood); split from it
to keep modules small.  A topic's top words are its ``top_n`` most probable
words, ties broken towards the lower word id.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple, Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from ._heldout import _counts, _top_ids, _topic_word
from .._validation import check_positive_int

__all__ = ["Coherence", "coherence", "topic_diversity", "duplicate_topics"]

#: the measures of gensim's CoherenceModel that need no word vectors
MEASURES = ("u_mass", "c_npmi", "c_uci", "c_v")

logger = logging.getLogger(__name__)


class Coherence(NamedTuple):
    """Result of :func:`coherence`.

    Attributes
    ----------
    per_topic : ndarray of float64, shape (n_topics,)
        gensim's coherence of each topic's top words.
    mean : float
        Their arithmetic mean (what ``CoherenceModel.get_coherence`` returns).
    measure : str
    """

    per_topic: np.ndarray
    mean: float
    measure: str


def _check_vocabulary(vocabulary, n_words):
    if isinstance(vocabulary, (str, bytes)) or not hasattr(vocabulary, "__len__"):
        raise TypeError(f"vocabulary must be a sequence of n_words = {n_words} strings, got "
                        f"{type(vocabulary).__name__}")
    vocabulary = list(vocabulary)
    if len(vocabulary) != n_words:
        raise ValueError(f"vocabulary has {len(vocabulary)} words but topic_word has "
                         f"n_words = {n_words}")
    for j, word in enumerate(vocabulary):
        if not isinstance(word, str):
            raise TypeError(f"vocabulary[{j}] must be a str, got {type(word).__name__}: {word!r}")
    if len(set(vocabulary)) != n_words:
        raise ValueError("vocabulary has duplicate words")
    return vocabulary


def _check_texts(texts, index):
    """Texts as lists of str, every token in ``index`` (a word -> id dict)."""
    if isinstance(texts, (str, bytes)) or not hasattr(texts, "__iter__"):
        raise TypeError(f"texts must be a list of token lists, got {type(texts).__name__}")
    texts = [text for text in texts]
    for d, text in enumerate(texts):
        if isinstance(text, (str, bytes)) or not hasattr(text, "__iter__"):
            raise TypeError(f"texts[{d}] must be a list of str tokens, got {type(text).__name__}")
        for token in text:
            if token not in index:
                raise ValueError(
                    f"texts[{d}] has the word {token!r}, which is not in the vocabulary; cut the "
                    "texts to the vocabulary first (the loaders' return_texts=True does)")
    return texts


def coherence(topic_word: ArrayLike, *, counts: Any = None,
              texts: Sequence[Sequence[str]] | None = None,
              vocabulary: Sequence[str] | None = None, measure: str = "u_mass",
              top_n: int = 10, window_size: int | None = None) -> Coherence:
    """Coherence of each topic's top words, computed by gensim's ``CoherenceModel``.

    Parameters
    ----------
    topic_word : array-like of shape (n_topics, n_words)
        p(x|y), rows summing to one.
    counts : Corpus, array-like or scipy sparse matrix of shape (n_domains, n_words), optional
        Document counts, the reference corpus of ``u_mass`` (document
        co-occurrence).  A Corpus also supplies the vocabulary.
    texts : list of lists of str, optional
        Token lists in text order, every token in ``vocabulary``: the
        reference corpus of the sliding-window measures (``c_npmi``,
        ``c_uci``, ``c_v``), and of ``u_mass`` when no counts are given.
        With counts too, there must be one text per row of counts.
    vocabulary : sequence of str of length n_words, optional
        Word names; needed with texts (from ``counts`` when it is a Corpus).
        ``u_mass`` from counts alone works without one.
    measure : {"u_mass", "c_npmi", "c_uci", "c_v"}, default="u_mass"
    top_n : int, default=10
        Top words per topic.
    window_size : int, optional
        Sliding window of the text measures; gensim's default (10 for
        ``c_npmi``/``c_uci``, 110 for ``c_v``) unless given.  A window longer
        than every text gives document co-occurrence.

    Returns
    -------
    Coherence
        ``(per_topic, mean, measure)``: a named tuple.  Higher is more
        coherent; ``u_mass`` is negative, ``c_npmi`` lies in [-1, 1].

    Notes
    -----
    gensim runs in this process (``processes=1``), so results are
    deterministic.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    topic_word = _topic_word(topic_word)
    n_words = topic_word.shape[1]
    top = _top_ids(topic_word, top_n)
    from ..corpus import Corpus

    if vocabulary is None and isinstance(counts, Corpus):
        vocabulary = counts.vocabulary
    if counts is not None:
        counts = _counts(counts, "counts")
        if counts.shape[1] != n_words:
            raise ValueError(f"counts has {counts.shape[1]} words (columns) but topic_word has "
                             f"n_words = {n_words}")
    if measure != "u_mass" and texts is None:
        raise ValueError(f"measure={measure!r} slides a window over token lists: pass texts=...")
    if texts is not None and vocabulary is None:
        raise ValueError("vocabulary is required with texts (to name topic_word's columns); "
                         "pass vocabulary=... or a Corpus as counts")
    if counts is None and texts is None:
        raise ValueError("measure='u_mass' needs counts=... (or texts=... and vocabulary=...)")
    if vocabulary is None:
        vocabulary = [str(j) for j in range(n_words)]
    vocabulary = _check_vocabulary(vocabulary, n_words)
    index = {w: j for j, w in enumerate(vocabulary)}
    if texts is not None:
        texts = _check_texts(texts, index)
        if counts is not None and len(texts) != counts.shape[0]:
            raise ValueError(f"texts has {len(texts)} documents but counts has "
                             f"{counts.shape[0]} rows")
    if counts is None:
        counts = Corpus.from_texts(texts, vocabulary=vocabulary).counts  # type: ignore[arg-type]
    window_size = check_positive_int(window_size, "window_size", allow_none=True)

    from gensim.models.coherencemodel import CoherenceModel

    from ..corpus._gensim import GensimBow, to_gensim_dictionary

    topics = [[vocabulary[j] for j in row] for row in top]
    model = CoherenceModel(topics=topics, dictionary=to_gensim_dictionary(vocabulary, counts),
                           corpus=GensimBow(counts) if measure == "u_mass" else None,
                           texts=None if measure == "u_mass" else texts, coherence=measure,
                           topn=top.shape[1], window_size=window_size, processes=1)
    per_topic = np.asarray(model.get_coherence_per_topic(), dtype=np.float64)
    return Coherence(per_topic, float(np.mean(per_topic)), measure)


def topic_diversity(topic_word: ArrayLike, top_n: int = 25) -> float:
    """Fraction of distinct words among all topics' top words (Dieng et al., 2020).

    Parameters
    ----------
    topic_word : array-like of shape (n_topics, n_words)
    top_n : int, default=25

    Returns
    -------
    float
        In [1 / n_topics, 1]; 1 when no word is among two topics' top words.

    Examples
    --------
    >>> import numpy as np
    >>> topic_diversity(np.array([[0.6, 0.4, 0.0], [0.0, 0.4, 0.6]]), top_n=2)
    0.75
    """
    top = _top_ids(_topic_word(topic_word), top_n)
    return float(np.unique(top).size / top.size)


def duplicate_topics(topic_word: ArrayLike, top_n: int = 10,
                     shared: int = 5) -> list[tuple[int, int, int]]:
    """Pairs of topics that share at least ``shared`` of their ``top_n`` top words.

    Parameters
    ----------
    topic_word : array-like of shape (n_topics, n_words)
    top_n : int, default=10
    shared : int in [1, top_n], default=5

    Returns
    -------
    list of (int, int, int)
        ``(i, j, n_shared)`` with ``i < j``, in order of ``(i, j)``; empty when
        no two topics are that alike.

    Examples
    --------
    >>> import numpy as np
    >>> duplicate_topics(np.array([[0.5, 0.5, 0.0], [0.4, 0.6, 0.0], [0.0, 0.0, 1.0]]),
    ...                  top_n=2, shared=2)
    [(0, 1, 2)]
    """
    topic_word = _topic_word(topic_word)
    top = _top_ids(topic_word, top_n)
    shared = check_positive_int(shared, "shared")
    if shared > top.shape[1]:
        raise ValueError(f"shared = {shared} is larger than top_n = {top.shape[1]}")
    n_topics = top.shape[0]
    member = sp.csr_matrix((np.ones(top.size), top.ravel(), np.arange(0, top.size + 1, top.shape[1])),
                           shape=(n_topics, topic_word.shape[1]))
    overlap = np.asarray((member @ member.T).todense()).astype(np.int64)
    i, j = np.nonzero(np.triu(overlap >= shared, k=1))
    return [(int(a), int(b), int(overlap[a, b])) for a, b in zip(i, j)]
