"""The one per-token log-likelihood of counts under a topic model, in bounded memory.

One pass of :func:`llstopic._kernels.em.loglik_nonzeros` over the non-zeros:
O(nnz * n_topics) time and O(n_domains + n_words * n_topics) memory, never an
(nnz, n_topics) array (46 GiB at NYTimes size).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._kernels import em as _em
from .._kernels._threads import numba_threads
from .._validation import (check_bool, check_counts, check_factor, check_positive_int, check_real,
                           factor_shapes)

__all__ = ["log_likelihood"]

#: non-zeros per block when counting tokens of probability zero
_ZERO_BLOCK = 1 << 14


def log_likelihood(counts: Any, topic_word: ArrayLike, domain_topic: ArrayLike, *,
                   smoothing: float = 1e-10, per_token: bool = True,
                   n_threads: int | None = None) -> float:
    """Log-likelihood of counts under p_d(x) = domain_topic[d] @ topic_word, in bounded memory.

    The one implementation of the likelihood in llstopic: the factorizers'
    :meth:`~llstopic.Factorizer.log_likelihood`, the LDA restarts' ranking, the
    polish and the held-out scores all call it.

    Parameters
    ----------
    counts : Corpus, array-like or scipy sparse matrix of shape (n_domains, n_words)
        Non-negative counts; a :class:`~llstopic.Corpus` is read in place.
    topic_word : array-like of shape (n_topics, n_words), non-negative
    domain_topic : array-like of shape (n_domains, n_topics), non-negative
        Used as given (not renormalised).
    smoothing : float in [0, 1), default=1e-10
        Word probabilities are mixed with the uniform distribution at this
        weight, so a word no topic produces costs ``log(smoothing / n_words)``
        rather than ``-inf`` (with ``smoothing=0`` it costs ``-inf``).
    per_token : bool, default=True
        Divide by the number of tokens (NaN when there is none).
    n_threads : int, optional
        Numba threads for the call (default: all).

    Returns
    -------
    float
        Nats (per token when ``per_token``).

    Examples
    --------
    >>> import numpy as np
    >>> from llstopic.metrics import log_likelihood
    >>> round(log_likelihood(np.array([[1, 1]]), np.array([[0.5, 0.5]]), np.array([[1.0]])), 4)
    -0.6931
    """
    counts = check_counts(counts, require_tokens=False)
    tw_shape, dt_shape = factor_shapes(counts, topic_word, domain_topic)
    topic_word = check_factor(topic_word, "topic_word", tw_shape, simplex=False)
    domain_topic = check_factor(domain_topic, "domain_topic", dt_shape, simplex=False)
    smoothing = check_real(smoothing, "smoothing", low=0.0, high=1.0)
    per_token = check_bool(per_token, "per_token")
    n_threads = check_positive_int(n_threads, "n_threads", allow_none=True)
    total_tokens = float(counts.data.sum())
    if total_tokens == 0:
        return float("nan") if per_token else 0.0
    row_loglik = np.empty(counts.shape[0])
    with numba_threads(n_threads):
        _em.loglik_nonzeros(counts.indptr, counts.indices, counts.data, domain_topic,
                            np.ascontiguousarray(topic_word.T), smoothing, row_loglik)
    total = float(row_loglik.sum())
    return total / total_tokens if per_token else total


def zero_probability_tokens(counts: Any, topic_word: np.ndarray, domain_topic: np.ndarray) -> int:
    """Tokens of CSR ``counts`` to which the unsmoothed model gives probability zero.

    Blocks of non-zeros keep the memory bounded; shapes are the caller's to check.
    """
    word_topic = np.ascontiguousarray(topic_word.T)
    indptr, indices, data = counts.indptr, counts.indices, counts.data
    zeros = 0
    for start in range(0, counts.nnz, _ZERO_BLOCK):
        stop = min(start + _ZERO_BLOCK, counts.nnz)
        rows = np.searchsorted(indptr, np.arange(start, stop), side="right") - 1
        prob = np.einsum("ik,ik->i", domain_topic[rows], word_topic[indices[start:stop]])
        zeros += int(data[start:stop][prob <= 0.0].sum())
    return zeros
