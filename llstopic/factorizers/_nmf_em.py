"""``NMF(engine="em")``: KL-NMF of p(x|d) by SQUAREM-accelerated EM over the CSR non-zeros.

For rows x_d = p(.|d) that sum to one, minimising the generalized KL divergence
D(X | W H) over non-negative W, H is maximum likelihood for the mixture
p_d(w) = sum_y theta_dy phi_yw with every domain weighted equally (Gaussier &
Goutte 2005; Ding, Li & Peng 2008): at the optimum each row of W H sums to one,
so the terms ``sum(W H) - sum(X)`` vanish and

    D = sum over non-zeros of x_dw * log(x_dw / (theta_d . phi_w)).

EM for that mixture, with the counts replaced by the weights x_dw, is the
polish's pass (:func:`llstopic.factorizers._polish.em_weights`): one O(nnz K)
pass per step, no (nnz, K) array, SQUAREM with a monotone safeguard.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._polish import em_weights


@dataclass(frozen=True)
class EMFit:
    """What :func:`fit_em` returns: the factors and the figures NMF reports."""

    domain_topic: np.ndarray     # (n_domains, n_topics), rows on the simplex
    topic_word: np.ndarray       # (n_topics, n_words), rows on the simplex
    n_iter: int                  # EM steps (passes that produced a new point)
    divergence: float            # D, the generalized KL divergence of p(x|d) from the fit
    converged: bool


def dirichlet_start(rng, n_domains, n_words, n_topics):
    """The starting factors: every row of both drawn from the flat Dirichlet by ``rng``.

    All entries are positive (almost surely), so every counted word has positive
    probability and EM can move every entry.
    """
    domain_topic = rng.dirichlet(np.ones(n_topics), size=n_domains)
    topic_word = rng.dirichlet(np.ones(n_words), size=n_topics)
    return domain_topic, topic_word


def fit_em(word_given_domain, n_topics, *, max_iter, tol, rng):
    """KL-NMF of ``word_given_domain`` (canonical float64 CSR, rows summing to one or zero).

    ``tol`` bounds the relative change of D between two accepted SQUAREM points
    (``offset = -sum x log x`` turns the polish's objective into ``-D``).
    Reproducible for a given ``rng`` state and numba thread count.
    """
    n_domains, n_words = word_given_domain.shape
    domain_topic, topic_word = dirichlet_start(rng, n_domains, n_words, n_topics)
    x = word_given_domain.data
    x_log_x = float(np.dot(x, np.log(x)))             # sum x log x over the non-zeros (all > 0)
    result = em_weights(word_given_domain, topic_word, domain_topic, max_iter=max_iter, tol=tol,
                        offset=-x_log_x)
    total = float(x.sum())                           # the number of domains with tokens
    divergence = max(x_log_x - result.loglik_after * total, 0.0)
    return EMFit(result.domain_topic, result.topic_word, int(result.n_iter), divergence,
                 bool(result.converged))


def reconstruction_error(divergence):
    """scikit-learn's ``reconstruction_err_`` for the KL loss: sqrt(2 D)."""
    return math.sqrt(2.0 * divergence)
