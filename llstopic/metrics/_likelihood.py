"""The one per-token log-likelihood of counts under a topic model, in bounded memory."""

from __future__ import annotations

import numpy as np

__all__ = ["log_likelihood", "_score"]


#: non-zeros scored per block by :func:`log_likelihood`: bounds its scratch
#: memory to about ``_LOGLIK_BLOCK * n_topics`` floats whatever the corpus size
_LOGLIK_BLOCK = 1 << 14


def log_likelihood(counts, topic_word, domain_topic, *, smoothing=1e-10):
    """Mean log-likelihood per token of ``counts`` under p_d(x) = domain_topic[d] @ topic_word.

    The one implementation of the per-token likelihood in llstopic: the
    factorizers' :meth:`~llstopic.Factorizer.log_likelihood`, the LDA restarts'
    ranking and the comparisons' held-out scores all call it.  Non-zeros are
    scored in blocks, so memory stays bounded (no array of shape (nnz, n_topics)).

    Parameters
    ----------
    counts : scipy.sparse matrix or array-like of shape (n_domains, n_words)
        Non-negative counts.
    topic_word : ndarray of shape (n_topics, n_words)
    domain_topic : ndarray of shape (n_domains, n_topics)
    smoothing : float in [0, 1), default=1e-10
        Word probabilities are mixed with the uniform distribution at this
        weight, so a word no topic produces costs ``log(smoothing / n_words)``
        rather than ``-inf`` (with ``smoothing=0`` it costs ``-inf``).

    Returns
    -------
    float
        Nats per token; NaN when ``counts`` holds no token.

    Examples
    --------
    >>> import numpy as np
    >>> from llstopic.metrics import log_likelihood
    >>> round(log_likelihood(np.array([[1, 1]]), np.array([[0.5, 0.5]]), np.array([[1.0]])), 4)
    -0.6931
    """
    import scipy.sparse as sp

    if not (isinstance(smoothing, (int, float, np.floating, np.integer)) and not isinstance(smoothing, bool)
            and 0.0 <= smoothing < 1.0):
        raise ValueError(f"smoothing must be a number in [0, 1), got {smoothing!r}")
    counts = sp.csr_matrix(counts)
    topic_word = np.asarray(topic_word, dtype=np.float64)
    domain_topic = np.asarray(domain_topic, dtype=np.float64)
    if topic_word.ndim != 2 or domain_topic.ndim != 2:
        raise ValueError("topic_word and domain_topic must be 2-D arrays")
    n_domains, n_words = counts.shape
    if topic_word.shape[1] != n_words or domain_topic.shape != (n_domains, topic_word.shape[0]):
        raise ValueError(f"shapes disagree: counts {counts.shape}, topic_word {topic_word.shape}, "
                         f"domain_topic {domain_topic.shape}")
    total = counts.data.sum()
    if total == 0:
        return float("nan")
    loglik, _ = _score(counts, topic_word, domain_topic, smoothing)
    return loglik / float(total)


def _score(counts, topic_word, domain_topic, smoothing):
    """(sum of count * log p over the non-zeros, tokens whose unsmoothed p is 0), in blocks.

    ``counts`` is CSR whose shape agrees with the factors (checked by the caller).
    """
    n_words = topic_word.shape[1]
    word_topic = np.ascontiguousarray(topic_word.T)
    indptr, indices, data = counts.indptr, counts.indices, counts.data
    loglik, zeros = 0.0, 0
    for start in range(0, counts.nnz, _LOGLIK_BLOCK):
        stop = min(start + _LOGLIK_BLOCK, counts.nnz)
        rows = np.searchsorted(indptr, np.arange(start, stop), side="right") - 1
        prob = np.einsum("ik,ik->i", domain_topic[rows], word_topic[indices[start:stop]])
        block = data[start:stop]
        zeros += int(block[prob <= 0.0].sum())
        prob = (1.0 - smoothing) * prob + smoothing / n_words
        with np.errstate(divide="ignore"):
            loglik += float(np.dot(block, np.log(prob)))
    return loglik, zeros
