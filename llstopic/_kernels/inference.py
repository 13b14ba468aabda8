"""Maximum-likelihood domain proportions p_d(y) with the topics p(x|y) fixed.

For one domain with word counts ``n_x`` the log-likelihood
``L(theta) = sum_x n_x log(sum_y theta_y p(x|y))`` is concave in ``theta`` on
the simplex.  The kernel runs EM on the mixture weights (each step is
``theta_y <- theta_y * g_y`` with ``g_y = (1/n) sum_x n_x p(x|y) / p_d(x)``,
which keeps ``theta`` on the simplex and never decreases ``L``) and stops on
the duality gap ``max_y g_y - 1`` (zero exactly at the optimum, by the KKT
conditions ``g_y <= 1`` with equality on the support).
"""

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def _em_one_domain(indices, data, topic_word, theta, grad, max_iter, tol):
    """EM for one domain; returns the number of iterations used.

    indices, data : IN the domain's CSR slice (word ids, counts)
    topic_word : IN float64 (n_topics, n_words)
    theta : IN/OUT float64 (n_topics,), a point of the simplex with full support
    grad : OUT scratch float64 (n_topics,)
    """
    n_topics = topic_word.shape[0]
    if indices.shape[0] == 0:
        return 0
    it = 0
    while it < max_iter:
        it += 1
        for k in range(n_topics):
            grad[k] = 0.0
        n_used = 0.0
        for j in range(indices.shape[0]):
            w = indices[j]
            px = 0.0
            for k in range(n_topics):
                px += theta[k] * topic_word[k, w]
            if px <= 0.0:
                continue  # a word no topic can produce carries no information about theta
            n_used += data[j]
            scale = data[j] / px
            for k in range(n_topics):
                grad[k] += topic_word[k, w] * scale
        if n_used <= 0.0:
            # no token that any topic can produce: no information, keep uniform
            for k in range(n_topics):
                theta[k] = 1.0 / n_topics
            return it
        gap = -1.0
        total = 0.0
        for k in range(n_topics):
            grad[k] /= n_used
            if grad[k] - 1.0 > gap:
                gap = grad[k] - 1.0
            theta[k] *= grad[k]
            total += theta[k]
        for k in range(n_topics):
            theta[k] /= total
        if gap <= tol:
            break
    return it


@nb.njit(cache=True, nogil=True, parallel=True)
def infer_proportions(indptr, indices, data, topic_word, domain_topic, n_iter, max_iter, tol):
    """Maximum-likelihood p_d(y) for every row of a CSR count matrix.

    indptr, indices, data : IN CSR arrays of the counts (n_domains, n_words)
    topic_word : IN float64 (n_topics, n_words), rows on the simplex
    domain_topic : IN/OUT float64 (n_domains, n_topics); starting points with
        full support on entry (e.g. uniform), estimates on exit.  A domain
        without tokens keeps its starting point.
    n_iter : OUT int64 (n_domains,), EM iterations used per domain
    max_iter : IN int, tol : IN float (duality-gap threshold)
    """
    n_domains = indptr.shape[0] - 1
    n_topics = topic_word.shape[0]
    for d in nb.prange(n_domains):
        grad = np.empty(n_topics)
        start = indptr[d]
        stop = indptr[d + 1]
        n_iter[d] = _em_one_domain(indices[start:stop], data[start:stop], topic_word,
                                   domain_topic[d], grad, max_iter, tol)
