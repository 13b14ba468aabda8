"""The LLS posterior p_d(y|x) for finite inputs: the single implementation.

By Bayes' rule, since p(x|y) is shared by all domains,

    p_d(y | x) = p_d(y) p(x|y) / sum_y' p_d(y') p(x|y').

:func:`lls_posterior` evaluates it for one observation (word, domain) per
row and :func:`lls_predict` takes its arg-max.  Both work through the
observations in chunks of ``_CHUNK`` rows, so beyond the result itself the
temporaries are bounded by a (chunk, n_topics) buffer; :func:`lls_predict`
never holds the full (n_observations, n_topics) matrix.  Factorizers expose
these as methods by calling them.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike

from ._validation import check_id_array, check_probability_rows

__all__ = ["lls_posterior", "lls_predict"]

#: Observations per chunk: 65536 rows x n_topics float64 per temporary.
_CHUNK = 1 << 16


def _check_inputs(topic_word, domain_topic, words, domains):
    topic_word = check_probability_rows(topic_word, "topic_word")
    domain_topic = check_probability_rows(domain_topic, "domain_topic")
    n_topics, n_words = topic_word.shape
    n_domains = domain_topic.shape[0]
    if domain_topic.shape[1] != n_topics:
        raise ValueError(f"domain_topic has {domain_topic.shape[1]} topics (columns) "
                         f"but topic_word has {n_topics} (rows); they must agree")
    words = check_id_array(words, "words", upper=n_words,
                           upper_name="n_words (columns of topic_word)")
    domains = check_id_array(domains, "domains", upper=n_domains,
                             upper_name="n_domains (rows of domain_topic)")
    if words.shape[0] != domains.shape[0]:
        raise ValueError(f"words and domains must have the same length, got {words.shape[0]} "
                         f"and {domains.shape[0]}")
    # (n_words, n_topics), C-ordered so one observation's row is contiguous.
    word_topic = np.ascontiguousarray(topic_word.T)
    return word_topic, domain_topic, words, domains


def _posterior_chunks(word_topic, domain_topic, words, domains, out, *, full, normalise=True):
    """Yield ``(start, stop, rows)`` per chunk of ``_CHUNK`` observations.

    ``rows`` is ``out[start:stop]`` when ``full`` (``out`` has one row per
    observation), else a view of ``out``, a reusable (chunk, n_topics) buffer.  It
    holds p_d(y|x) (``normalise=True``; impossible observations get a uniform
    row) or the unnormalised joint p_d(y) p(x|y) (``normalise=False``, enough
    for an arg-max).  Observations with zero probability under every topic of
    their domain are counted, and one warning reports them at the end.
    """
    n_obs = words.shape[0]
    n_topics = word_topic.shape[1]
    n_zero = 0
    for start in range(0, n_obs, _CHUNK):
        stop = min(start + _CHUNK, n_obs)
        rows = out[start:stop] if full else out[: stop - start]
        np.multiply(domain_topic[domains[start:stop]], word_topic[words[start:stop]], out=rows)
        evidence = rows.sum(axis=1)
        zero = evidence == 0
        if zero.any():
            n_zero += int(zero.sum())
            if normalise:
                rows[zero] = 1.0
                evidence[zero] = n_topics
        if normalise:
            rows /= evidence[:, None]
        yield start, stop, rows
    if n_zero:
        warnings.warn(
            f"{n_zero} of {n_obs} observations have a word with zero probability under every topic "
            "of their domain; their posterior is uniform over topics",
            RuntimeWarning, stacklevel=3,
        )


def lls_posterior(topic_word: ArrayLike, domain_topic: ArrayLike, words: ArrayLike,
                  domains: ArrayLike) -> np.ndarray:
    """Posterior over latent labels, p_d(y|x), for each observation.

    Parameters
    ----------
    topic_word : array-like of shape (n_topics, n_words)
        p(x|y), rows summing to one.
    domain_topic : array-like of shape (n_domains, n_topics)
        p_d(y), rows summing to one.
    words : array-like of int, shape (n_observations,)
        Word (input value) of each observation, ``0 <= words[i] < n_words``.
    domains : array-like of int, shape (n_observations,)
        Domain of each observation, ``0 <= domains[i] < n_domains``.

    Returns
    -------
    posterior : ndarray of shape (n_observations, n_topics)
        Row i is p_d(y | x) for ``x = words[i]``, ``d = domains[i]``; rows
        sum to one.  An observation whose word has zero probability under
        every topic of its domain gets a uniform row, and a
        ``RuntimeWarning`` reports how many there were.

    Examples
    --------
    >>> from llstopic import lls_posterior
    >>> topic_word = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])
    >>> domain_topic = np.array([[0.5, 0.5], [0.9, 0.1]])
    >>> lls_posterior(topic_word, domain_topic, [1, 1, 2], [0, 1, 1]).round(3).tolist()
    [[0.5, 0.5], [0.9, 0.1], [0.0, 1.0]]
    """
    word_topic, domain_topic, words, domains = _check_inputs(
        topic_word, domain_topic, words, domains)
    out = np.empty((words.shape[0], word_topic.shape[1]))
    for _ in _posterior_chunks(word_topic, domain_topic, words, domains, out, full=True):
        pass
    return out


def lls_predict(topic_word: ArrayLike, domain_topic: ArrayLike, words: ArrayLike,
                domains: ArrayLike) -> np.ndarray:
    """Most probable latent label of each observation, arg-max of p_d(y|x).

    Parameters are those of :func:`lls_posterior`.  Ties go to the lowest
    topic id (so an observation with a uniform posterior gets topic 0).
    Only a bounded (chunk, n_topics) buffer is allocated besides the result.

    Returns
    -------
    labels : ndarray of int64, shape (n_observations,)

    Examples
    --------
    >>> from llstopic import lls_predict
    >>> topic_word = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])
    >>> domain_topic = np.array([[0.2, 0.8], [0.9, 0.1]])
    >>> lls_predict(topic_word, domain_topic, [1, 1, 2], [0, 1, 1]).tolist()
    [1, 0, 1]
    """
    word_topic, domain_topic, words, domains = _check_inputs(
        topic_word, domain_topic, words, domains)
    out = np.empty(words.shape[0], dtype=np.int64)
    buffer = np.empty((min(_CHUNK, words.shape[0]), word_topic.shape[1]))
    for start, stop, joint in _posterior_chunks(word_topic, domain_topic, words, domains, buffer,
                                                full=False, normalise=False):
        # All-zero rows give topic 0, as their uniform posterior would.
        joint.argmax(axis=1, out=out[start:stop])
    return out
