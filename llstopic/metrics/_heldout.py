"""Held-out evaluation of topic models on real text: the metrics users expect.

* :func:`document_completion` (and :func:`perplexity`): each unseen document is
  split into an observed and a held-out part (:func:`split_documents`); its
  topic mix is inferred from the observed part with the topics fixed, and the
  held-out part is scored.  The figure is nats per held-out token (higher is
  better).  Token probabilities are mixed with the uniform distribution at
  weight ``smoothing`` (1e-10 unless told), so no token has probability zero.
* :mod:`llstopic._coherence` holds the rest: ``coherence`` (gensim's
  ``CoherenceModel``), ``topic_diversity`` and ``duplicate_topics``.

Every function takes ``topic_word`` of shape (n_topics, n_words), rows on the
simplex (within 1e-6), and validates everything before any work.
"""

from __future__ import annotations

import logging
import math
import numbers
from typing import Any, Callable, NamedTuple

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from ._likelihood import log_likelihood, zero_probability_tokens
from .._typing import Seed
from .._validation import (check_count_matrix, check_positive_int, check_probability_rows,
                          check_random_state)

__all__ = ["split_documents", "CompletionScore", "score_completion", "document_completion",
           "perplexity"]

logger = logging.getLogger(__name__)

#: tokens per chunk when splitting
_SPLIT_TOKENS = 1 << 21


def _counts(X, name):
    """CSR int64 counts of a Corpus or any count matrix, zero rows allowed."""
    from ..corpus import Corpus

    if isinstance(X, Corpus):
        return X.counts
    return check_count_matrix(X, name, require_tokens=False)


def _topic_word(topic_word):
    return check_probability_rows(topic_word, "topic_word")


def _unit_fraction(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {type(value).__name__}: {value!r}")
    if not (0.0 < value < 1.0):
        raise ValueError(f"{name} must be in (0, 1), got {value!r}")
    return float(value)


def _top_ids(topic_word, top_n):
    top_n = check_positive_int(top_n, "top_n")
    if top_n > topic_word.shape[1]:
        raise ValueError(f"top_n = {top_n} is larger than n_words = {topic_word.shape[1]}")
    # stable sort: ties go to the lower word id
    return np.argsort(-topic_word, axis=1, kind="stable")[:, :top_n]


# ----------------------------------------------------------------- splitting
def split_documents(counts: Any, *, fraction: float = 0.5,
                    random_state: Seed = None) -> tuple[Any, Any]:
    """Split every document's tokens into an observed and a held-out part.

    Document d with n_d tokens gives ``m_d = floor(fraction * n_d)`` tokens,
    clipped to [1, n_d - 1], to the held-out part: a uniformly random subset of
    its tokens (a multivariate hypergeometric draw over its word counts), the
    rest to the observed part.  Token order is not used (counts have none).

    Parameters
    ----------
    counts : Corpus, array-like or scipy sparse matrix of shape (n_domains, n_words)
        Integer counts; every row needs at least 2 tokens.  Short rows are
        refused, not dropped, so that row ``i`` of the result is always
        document ``i``: select rows first, e.g. ``counts[counts.sum(axis=1).A1 >= 2]``.
    fraction : float in (0, 1), default=0.5
        Share of each document's tokens that is held out.
    random_state : None, int or numpy.random.Generator
        Seed of the split; the same seed gives the same split.

    Returns
    -------
    observed, held_out : scipy.sparse.csr_matrix of int64, shape (n_domains, n_words)
        ``observed + held_out == counts``; every row of each has a token.

    Examples
    --------
    >>> import numpy as np
    >>> observed, held_out = split_documents(np.array([[3, 1, 0], [0, 2, 2]]), random_state=0)
    >>> held_out.sum(axis=1).A1.tolist(), (observed + held_out).toarray().tolist()
    ([2, 2], [[3, 1, 0], [0, 2, 2]])
    """
    mat = _counts(counts, "counts")
    fraction = _unit_fraction(fraction, "fraction")
    lengths = np.asarray(mat.sum(axis=1)).ravel().astype(np.int64)
    short = np.flatnonzero(lengths < 2)
    if short.size:
        i = int(short[0])
        raise ValueError(
            f"counts row {i} has {int(lengths[i])} token(s), but splitting a document needs at "
            f"least 2; {short.size} of {mat.shape[0]} rows are that short (select rows with "
            f">= 2 tokens first)")
    rng = check_random_state(random_state)
    n_held = np.clip(np.floor(fraction * lengths).astype(np.int64), 1, lengths - 1)
    held = np.zeros(mat.nnz, dtype=np.int64)
    row = 0
    while row < mat.shape[0]:
        # rows [row, stop) hold at most _SPLIT_TOKENS tokens (or one long row)
        cum = np.cumsum(lengths[row:])
        stop = row + max(1, int(np.searchsorted(cum, _SPLIT_TOKENS, side="right")))
        s0, s1 = mat.indptr[row], mat.indptr[stop]
        entry = np.repeat(np.arange(s1 - s0), mat.data[s0:s1])        # token -> CSR entry
        doc = np.repeat(np.arange(stop - row), lengths[row:stop])     # token -> row in chunk
        order = np.lexsort((rng.random(entry.size), doc))             # random order within rows
        first = np.concatenate(([0], np.cumsum(lengths[row:stop])[:-1]))
        take = (np.arange(entry.size) - first[doc]) < n_held[row:stop][doc]
        held[s0:s1] = np.bincount(entry[order][take], minlength=s1 - s0)
        row = stop
    held_out = sp.csr_matrix((held, mat.indices.copy(), mat.indptr.copy()), shape=mat.shape)
    observed = sp.csr_matrix((mat.data - held, mat.indices.copy(), mat.indptr.copy()),
                             shape=mat.shape)
    held_out.eliminate_zeros()
    observed.eliminate_zeros()
    return observed, held_out


# ------------------------------------------------------------------ scoring
class CompletionScore(NamedTuple):
    """Result of :func:`score_completion`.

    Attributes
    ----------
    nats_per_token : float
        Mean log-probability of a held-out token, in nats (higher is better).
    n_tokens : int
        Held-out tokens scored.
    zero_fraction : float
        Fraction of held-out tokens to which the model, before smoothing,
        gives probability zero (they cost ``log(smoothing / n_words)`` each).
    """

    nats_per_token: float
    n_tokens: int
    zero_fraction: float


def _ml_domain_topic(topic_word, counts):
    """Maximum-likelihood p_d(y) of every row with the topics fixed (``Factorizer.transform``'s)."""
    from ..factorizers._inference import ml_domain_topic

    return ml_domain_topic(counts, topic_word)


def _check_smoothing(smoothing):
    return _unit_fraction(smoothing, "smoothing")


def score_completion(topic_word: ArrayLike, observed: Any, held_out: Any, *,
                     infer: Callable[[Any], ArrayLike] | None = None,
                     smoothing: float = 1e-10) -> CompletionScore:
    """Score held-out tokens given the observed part of the same documents.

    Parameters
    ----------
    topic_word : array-like of shape (n_topics, n_words)
        p(x|y), rows summing to one.
    observed, held_out : Corpus, array-like or sparse, shape (n_domains, n_words)
        The two parts of each document, e.g. from :func:`split_documents`.
    infer : callable, optional
        ``infer(observed)`` -> p_d(y) of shape (n_domains, n_topics), rows on
        the simplex, e.g. a fitted factorizer's ``transform``.  Default:
        maximum likelihood with ``topic_word`` fixed (the solver of
        :meth:`Factorizer.transform`), the same for every model, so scores of
        different models are comparable.
    smoothing : float in (0, 1), default=1e-10
        Word probabilities are ``(1 - smoothing) * p_d(y) @ topic_word +
        smoothing / n_words``: the uniform distribution at this weight, so no
        token has probability zero.

    Returns
    -------
    CompletionScore
        ``(nats_per_token, n_tokens, zero_fraction)``.

    Notes
    -----
    Memory is bounded: entries are scored in blocks
    (:func:`~llstopic.metrics.log_likelihood`'s), never as one (nnz, n_topics) array.
    """
    topic_word = _topic_word(topic_word)
    smoothing = _check_smoothing(smoothing)
    n_topics, n_words = topic_word.shape
    observed = _counts(observed, "observed")
    held_out = _counts(held_out, "held_out")
    for name, mat in (("observed", observed), ("held_out", held_out)):
        if mat.shape[1] != n_words:
            raise ValueError(f"{name} has {mat.shape[1]} words (columns) but topic_word has "
                             f"n_words = {n_words}")
    if observed.shape != held_out.shape:
        raise ValueError(f"observed and held_out must have the same shape, got {observed.shape} "
                         f"and {held_out.shape}")
    n_tokens = int(held_out.data.sum())
    if n_tokens == 0:
        raise ValueError("held_out holds no tokens; there is nothing to score")
    if infer is None:
        domain_topic = _ml_domain_topic(topic_word, observed)
    else:
        if not callable(infer):
            raise TypeError(f"infer must be a callable counts -> domain_topic, got "
                            f"{type(infer).__name__}")
        domain_topic = check_probability_rows(infer(observed), "infer(observed)")
        if domain_topic.shape != (observed.shape[0], n_topics):
            raise ValueError(f"infer(observed) returned shape {domain_topic.shape}, expected "
                             f"(n_domains, n_topics) = {(observed.shape[0], n_topics)}")
        domain_topic = domain_topic / domain_topic.sum(axis=1, keepdims=True)
    total = log_likelihood(held_out, topic_word, domain_topic, smoothing=smoothing, per_token=False)
    zeros = zero_probability_tokens(held_out, topic_word, domain_topic)
    return CompletionScore(total / n_tokens, n_tokens, zeros / n_tokens)


def document_completion(topic_word: ArrayLike, counts: Any, *,
                        infer: Callable[[Any], ArrayLike] | None = None, fraction: float = 0.5,
                        random_state: Seed = None, smoothing: float = 1e-10) -> float:
    """Held-out document completion, in nats per held-out token (higher is better).

    Each row of ``counts`` is an unseen document: :func:`split_documents`
    holds out ``fraction`` of its tokens; its topic mix is inferred from the
    rest with the topics fixed, and the held-out tokens are scored by
    :func:`score_completion`.

    Parameters
    ----------
    topic_word : array-like of shape (n_topics, n_words)
        p(x|y) of a fitted model, rows summing to one.
    counts : Corpus, array-like or scipy sparse matrix of shape (n_domains, n_words)
        Documents the model did not see in training, each with >= 2 tokens.
    infer : callable, optional
        ``infer(observed_counts)`` -> domain_topic (n_domains, n_topics), e.g.
        ``model.transform``.  Default: maximum likelihood with ``topic_word``
        fixed, the same for every model.
    fraction : float in (0, 1), default=0.5
        Share of each document's tokens that is held out and scored.
    random_state : None, int or numpy.random.Generator
        Seed of the split.
    smoothing : float in (0, 1), default=1e-10
        Weight of the uniform distribution mixed into every word probability.

    Returns
    -------
    float
        Mean log-probability of a held-out token, in nats.

    Examples
    --------
    >>> import numpy as np
    >>> topic_word = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])
    >>> counts = np.array([[2, 0, 0], [0, 0, 4]])  # every split is the same here
    >>> round(document_completion(topic_word, counts, random_state=0), 6)
    -0.693147
    """
    observed, held_out = split_documents(counts, fraction=fraction, random_state=random_state)
    return score_completion(topic_word, observed, held_out, infer=infer,
                            smoothing=smoothing).nats_per_token


def perplexity(topic_word: ArrayLike, counts: Any, *,
               infer: Callable[[Any], ArrayLike] | None = None, fraction: float = 0.5,
               random_state: Seed = None, smoothing: float = 1e-10) -> float:
    """Held-out perplexity: ``exp(-document_completion(...))`` (lower is better).

    Same parameters as :func:`document_completion`.
    """
    return math.exp(-document_completion(topic_word, counts, infer=infer, fraction=fraction,
                                         random_state=random_state, smoothing=smoothing))
