"""p_d(y) with the topics fixed: the one maximum-likelihood solve every factorizer's
``transform`` and the held-out scores use."""

from __future__ import annotations

import numpy as np

from .._kernels._threads import thread_limits
from .._kernels.recovery import kl_recover, kl_recover_parallel

__all__ = ["ml_domain_topic"]


def ml_domain_topic(counts, topic_word, *, max_iter=1000, tol=1e-9, n_jobs=None):
    """Maximum-likelihood p_d(y) of every row of CSR ``counts`` with ``topic_word`` fixed.

    The anchor recovery's simplex solver, row d of the counts against the topic
    rows: it minimises KL(p(x|d) || p_d(y) @ topic_word), i.e. maximises the
    likelihood (a concave problem).  Words no topic produces are skipped; a row
    without usable tokens stays uniform.

    Parameters
    ----------
    counts : scipy.sparse.csr_matrix of shape (n_domains, n_words)
        Validated counts.
    topic_word : ndarray of shape (n_topics, n_words)
    max_iter : int
        Iterations per row at most.
    tol : float
        Duality-gap tolerance, nats per token.
    n_jobs : int or None
        Threads (scikit-learn's convention); ``1`` runs the serial kernel.

    Returns
    -------
    ndarray of shape (n_domains, n_topics)
    """
    topic_word = np.ascontiguousarray(topic_word, dtype=np.float64)
    if topic_word.ndim != 2 or topic_word.shape[1] != counts.shape[1]:  # the kernel trusts it
        raise ValueError(f"topic_word has shape {topic_word.shape}, expected (n_topics, "
                         f"{counts.shape[1]}) for counts of shape {counts.shape}")
    n_domains, n_topics = counts.shape[0], topic_word.shape[0]
    domain_topic = np.full((n_domains, n_topics), 1.0 / n_topics)
    loss, gap = np.empty(n_domains), np.empty(n_domains)
    n_iter = np.zeros(n_domains, dtype=np.int64)
    with thread_limits(n_jobs) as n_threads:
        kernel = kl_recover_parallel if n_threads > 1 else kl_recover
        kernel(counts.indptr.astype(np.int64), counts.indices.astype(np.int64),
               counts.data.astype(np.float64), topic_word, domain_topic, loss, gap, n_iter,
               int(max_iter), float(tol), True, False)
    return domain_topic
