"""Maximum-likelihood p_d(y) with the topics fixed (``Factorizer._infer_domain_topic``).

It runs the anchor recovery's KL simplex solver over the domains; here it is
checked against the slow EM twin in ``_reference`` run to convergence, and
against a generic constrained optimiser.
"""

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp

import _reference as ref
from llstopic.factorizers._base import Factorizer


def _infer(counts, topic_word):
    return Factorizer()._infer_domain_topic(sp.csr_matrix(counts), topic_word)


def _problem(seed, n_domains=6, n_topics=4, n_words=30, zero_words=0):
    rng = np.random.default_rng(seed)
    topic_word = rng.dirichlet(np.full(n_words, 0.3), size=n_topics)
    if zero_words:
        topic_word[:, :zero_words] = 0.0
        topic_word /= topic_word.sum(axis=1, keepdims=True)
    counts = rng.poisson(2.0, size=(n_domains, n_words)).astype(np.int64)
    counts[0] = 0  # a domain without tokens
    return counts, topic_word


def _loglik(counts, domain_topic, topic_word):
    prob = domain_topic @ topic_word
    used = counts > 0
    return np.sum(counts[used] * np.log(prob[used]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_the_em_twin(seed):
    counts, topic_word = _problem(seed)
    got = _infer(counts, topic_word)
    want = ref.infer_proportions(counts, topic_word, max_iter=200_000, tol=1e-12)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    # at least as likely as the twin's point, row by row
    for d in range(1, counts.shape[0]):
        assert _loglik(counts[d:d + 1], got[d:d + 1], topic_word) >= \
            _loglik(counts[d:d + 1], want[d:d + 1], topic_word) - 1e-9
    np.testing.assert_allclose(got[0], 0.25)  # empty domain: uniform


def test_words_no_topic_produces_are_ignored():
    counts, topic_word = _problem(3, zero_words=5)
    counts[:, :5] += 7
    got = _infer(counts, topic_word)
    assert np.all(np.isfinite(got))
    # row 0 holds only words that no topic produces: uniform, not NaN
    np.testing.assert_allclose(got[0], 0.25)
    # those words do not change the other rows' maximum-likelihood points
    clean = counts.copy()
    clean[:, :5] = 0
    np.testing.assert_allclose(got[1:], _infer(clean, topic_word)[1:], atol=1e-7)
    want = ref.infer_proportions(counts, topic_word, max_iter=200_000, tol=1e-12)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_reaches_the_constrained_maximum(seed):
    counts, topic_word = _problem(seed, n_domains=3)
    got = _infer(counts, topic_word)
    for d in range(1, counts.shape[0]):
        n = counts[d].astype(float)

        def negll(theta):
            return -n @ np.log(np.maximum(theta @ topic_word, 1e-300))

        k = topic_word.shape[0]
        res = scipy.optimize.minimize(negll, np.full(k, 1.0 / k), method="SLSQP", bounds=[(0, 1)] * k,
                                      constraints=[{"type": "eq", "fun": lambda t: t.sum() - 1}],
                                      options={"ftol": 1e-14, "maxiter": 1000})
        assert negll(got[d]) <= res.fun + 1e-6
        np.testing.assert_allclose(got[d], res.x, atol=2e-3)
