"""The maximum-likelihood p_d(y) kernel against its twin and a generic optimiser."""

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp

from llstopic._kernels.inference import infer_proportions

import _reference as ref


def _run_kernel(counts, topic_word, max_iter=2000, tol=1e-10):
    csr = sp.csr_matrix(counts)
    out = np.full((counts.shape[0], topic_word.shape[0]), 1.0 / topic_word.shape[0])
    n_iter = np.zeros(counts.shape[0], dtype=np.int64)
    infer_proportions(csr.indptr.astype(np.int64), csr.indices.astype(np.int64), csr.data.astype(np.float64),
                      topic_word, out, n_iter, max_iter, tol)
    return out, n_iter


def _problem(seed, n_domains=6, n_topics=4, n_words=30, zero_words=0):
    rng = np.random.default_rng(seed)
    topic_word = rng.dirichlet(np.full(n_words, 0.3), size=n_topics)
    if zero_words:
        topic_word[:, :zero_words] = 0.0
        topic_word /= topic_word.sum(axis=1, keepdims=True)
    counts = rng.poisson(2.0, size=(n_domains, n_words)).astype(np.int64)
    counts[0] = 0  # a domain without tokens
    return counts, topic_word


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernel_matches_reference(seed):
    counts, topic_word = _problem(seed)
    got, n_iter = _run_kernel(counts, topic_word, max_iter=50, tol=1e-9)
    want = ref.infer_proportions(counts, topic_word, max_iter=50, tol=1e-9)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    assert n_iter[0] == 0 and np.all(n_iter[1:] >= 1)
    np.testing.assert_allclose(got[0], 0.25)  # empty domain keeps its (uniform) start


def test_words_no_topic_produces_are_ignored():
    counts, topic_word = _problem(3, zero_words=5)
    counts[:, :5] += 7
    got, _ = _run_kernel(counts, topic_word, max_iter=50, tol=1e-9)
    want = ref.infer_proportions(counts, topic_word, max_iter=50, tol=1e-9)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    assert np.all(np.isfinite(got))
    # row 0 holds only words that no topic produces: uniform, not NaN
    np.testing.assert_allclose(got[0], 0.25)
    # words no topic produces do not dilute the gradient: the other rows are the
    # maximum-likelihood points of the counts without those words
    clean = counts.copy()
    clean[:, :5] = 0
    np.testing.assert_allclose(got[1:], _run_kernel(clean, topic_word, max_iter=50, tol=1e-9)[0][1:], atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kernel_reaches_the_constrained_maximum(seed):
    counts, topic_word = _problem(seed, n_domains=3)
    got, _ = _run_kernel(counts, topic_word)
    for d in range(1, counts.shape[0]):
        n = counts[d].astype(float)

        def negll(theta):
            return -n @ np.log(np.maximum(theta @ topic_word, 1e-300))

        k = topic_word.shape[0]
        res = scipy.optimize.minimize(negll, np.full(k, 1.0 / k), method="SLSQP", bounds=[(0, 1)] * k,
                                      constraints=[{"type": "eq", "fun": lambda t: t.sum() - 1}],
                                      options={"ftol": 1e-14, "maxiter": 1000})
        # EM with the duality-gap stop is at least as good as SLSQP, and the points agree
        assert negll(got[d]) <= res.fun + 1e-6
        np.testing.assert_allclose(got[d], res.x, atol=2e-3)
