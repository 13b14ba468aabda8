"""Log-likelihood of CSR counts under a factorization, in bounded memory, and the
argument checks it shares with :mod:`llstopic.factorizers._polish`.

Every likelihood here is one pass of :func:`llstopic._kernels.em.loglik_nonzeros`
over the non-zeros: O(nnz * n_topics) time and O(n_domains + n_words *
n_topics) memory, never an (nnz, n_topics) array (46 GiB at NYTimes size).
"""

from __future__ import annotations

import contextlib
import numbers

import numba
import numpy as np

from .._kernels import em as _em
from .._validation import check_count_matrix, check_finite_array, check_positive_int

__all__ = ["log_likelihood"]


# ------------------------------------------------------------------ checks
def _check_real(value, name, *, low, low_open=False, high=None):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}: {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < low or (low_open and value == low) or \
            (high is not None and value >= high):
        bound = (f"> {low}" if low_open else f">= {low}") + ("" if high is None else f" and < {high}")
        raise ValueError(f"{name} must be finite and {bound}, got {value!r}")
    return value


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}: {value!r}")
    return bool(value)


def _check_counts(counts):
    from ..corpus import Corpus

    if isinstance(counts, Corpus):
        if counts.n_tokens == 0:
            raise ValueError("counts holds no tokens (every count is zero)")
        return counts.counts
    return check_count_matrix(counts, "counts")


def _check_factor(array, name, shape, *, simplex, atol=1e-6):
    """A C-contiguous float64 copy of a factor with its rows normalised (if ``simplex``)."""
    arr = check_finite_array(array, name, ndim=2)
    if arr.shape != shape:
        raise ValueError(f"{name} has shape {arr.shape}, expected {shape} "
                         "((n_topics, n_words) for topic_word, (n_domains, n_topics) for domain_topic)")
    if (arr < 0).any():
        i, j = np.argwhere(arr < 0)[0]
        raise ValueError(f"{name} has a negative entry {arr[i, j].item()!r} at position ({i}, {j})")
    if not simplex:
        return np.ascontiguousarray(arr)
    sums = arr.sum(axis=1)
    bad = np.abs(sums - 1.0) > atol
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} rows must lie on the simplex (sum to one within {atol}); "
                         f"row {i} sums to {sums[i].item()!r}")
    return np.ascontiguousarray(arr / sums[:, None])


def _check_shapes(counts, topic_word, domain_topic):
    n_domains, n_words = counts.shape
    tw = np.shape(topic_word)
    if len(tw) != 2:
        raise ValueError(f"topic_word must be 2-dimensional (n_topics, n_words), got shape {tw}")
    return (tw[0], n_words), (n_domains, tw[0])


@contextlib.contextmanager
def _numba_threads(n_threads):
    """Bound numba's threads to ``n_threads`` for the block; yields the count used."""
    available = numba.config.NUMBA_NUM_THREADS
    n = available if n_threads is None else min(n_threads, available)
    old = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(old)


# ---------------------------------------------------------- log-likelihood
def log_likelihood(counts, topic_word, domain_topic, *, smoothing=0.0, per_token=True, n_threads=None):
    """Log-likelihood of CSR counts under p_d(x) = domain_topic[d] @ topic_word, in bounded memory.

    One pass over the non-zeros (:func:`llstopic._kernels.em.loglik_nonzeros`):
    O(nnz * n_topics) time, memory O(n_domains + n_words * n_topics), never an
    (nnz, n_topics) array.

    Parameters
    ----------
    counts : Corpus, array-like or scipy sparse matrix of shape (n_domains, n_words)
    topic_word : array-like of shape (n_topics, n_words), non-negative
    domain_topic : array-like of shape (n_domains, n_topics), non-negative
        Used as given (not renormalised).
    smoothing : float in [0, 1), default=0
        Word probabilities are mixed with the uniform distribution at this
        weight; at 0 a counted word of probability 0 gives ``-inf``.
    per_token : bool, default=True
        Divide by the number of tokens.
    n_threads : int, optional
        Numba threads for the call (default: all).

    Returns
    -------
    float
    """
    counts = _check_counts(counts)
    tw_shape, dt_shape = _check_shapes(counts, topic_word, domain_topic)
    topic_word = _check_factor(topic_word, "topic_word", tw_shape, simplex=False)
    domain_topic = _check_factor(domain_topic, "domain_topic", dt_shape, simplex=False)
    smoothing = _check_real(smoothing, "smoothing", low=0.0, high=1.0)
    per_token = _check_bool(per_token, "per_token")
    n_threads = check_positive_int(n_threads, "n_threads", allow_none=True)
    word_topic = np.ascontiguousarray(topic_word.T)
    row_loglik = np.empty(counts.shape[0])
    with _numba_threads(n_threads):
        _em.loglik_nonzeros(counts.indptr, counts.indices, counts.data, domain_topic, word_topic,
                            smoothing, row_loglik)
    total = float(row_loglik.sum())
    return total / float(counts.data.sum()) if per_token else total
