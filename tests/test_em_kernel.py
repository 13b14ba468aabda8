"""EM over the CSR non-zeros (``llstopic._kernels.em``) and the likelihood polish
(``llstopic.factorizers._polish``).

The kernels are checked against the slow twins in ``_reference``; the polish
on planted problems: the objective never decreases, EM from a perturbed truth
recovers it, the fixed-topics mode agrees with the existing maximum-likelihood
p_d(y) solver, and the likelihood runs in bounded memory.
"""

import tracemalloc

import numba
import numpy as np
import pytest
import scipy.sparse as sp

import _reference as ref
from llstopic import make_finite_lls
from llstopic._kernels import em
from llstopic.factorizers import _polish
from llstopic.factorizers._base import Factorizer
from llstopic.factorizers._likelihood import log_likelihood
from llstopic.factorizers._polish import polish


def _random_problem(seed, n_domains=9, n_words=14, n_topics=3, *, dead_words=2):
    """Random CSR counts with empty rows and words no topic produces."""
    rng = np.random.default_rng(seed)
    dense = rng.poisson(0.8, size=(n_domains, n_words)) * (rng.random((n_domains, n_words)) < 0.6)
    dense[0] = 0  # an empty row
    dense[n_domains // 2] = 0  # another, mid-chunk
    topic_word = rng.dirichlet(np.full(n_words, 0.5), size=n_topics)
    topic_word[:, :dead_words] = 0.0  # words no topic produces ...
    dense[1, :dead_words] = 3  # ... but counted
    topic_word /= topic_word.sum(axis=1, keepdims=True)
    domain_topic = rng.dirichlet(np.ones(n_topics), size=n_domains)
    domain_topic[2, 0] = 0.0  # a zero proportion
    domain_topic[2] /= domain_topic[2].sum()
    return sp.csr_matrix(dense), dense, topic_word, domain_topic


def _chunks(n_domains, n_chunks):
    return np.linspace(0, n_domains, n_chunks + 1).round().astype(np.int64)


# ------------------------------------------------------------------ kernels
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_loglik_kernel_matches_twin(seed, smoothing, index_dtype):
    counts, dense, topic_word, domain_topic = _random_problem(seed)
    out = np.empty(counts.shape[0])
    em.loglik_nonzeros(counts.indptr.astype(index_dtype), counts.indices.astype(index_dtype),
                       counts.data.astype(np.float64), domain_topic, np.ascontiguousarray(topic_word.T),
                       smoothing, out)
    want = ref.loglik_rows(dense, domain_topic, topic_word, smoothing)
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12)
    if smoothing == 0.0:
        assert out[1] == -np.inf  # row 1 counts words no topic produces
    assert out[0] == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("prior", [0.0, 0.5])
@pytest.mark.parametrize("update_topics", [True, False])
@pytest.mark.parametrize("n_chunks", [1, 3, 12])  # 12 > n_domains: some chunks are empty
def test_em_step_matches_twin(seed, smoothing, prior, update_topics, n_chunks):
    counts, dense, topic_word, domain_topic = _random_problem(seed)
    n_domains, n_words = counts.shape
    n_topics = topic_word.shape[0]
    word_topic = np.ascontiguousarray(topic_word.T)
    out_dt = np.full((n_domains, n_topics), np.nan)
    slabs = np.full((n_chunks, n_words, n_topics) if update_topics else (1, 1, 1), np.nan)
    out_ll = np.full(n_domains, np.nan)
    em.em_step(counts.indptr, counts.indices, counts.data, domain_topic, word_topic, smoothing, prior,
               _chunks(n_domains, n_chunks), np.empty((n_chunks, n_topics)), out_dt, slabs, out_ll,
               update_topics)
    want_dt, want_counts, want_ll = ref.em_step(dense, domain_topic, topic_word, smoothing, prior,
                                                update_topics)
    np.testing.assert_allclose(out_dt, want_dt, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out_ll, want_ll, rtol=1e-12, atol=1e-12)
    if update_topics:
        np.testing.assert_allclose(slabs[0], want_counts, rtol=1e-12, atol=1e-14)
        out_wt = np.empty_like(word_topic)
        em.normalize_word_counts(slabs[0], prior, word_topic, out_wt)
        np.testing.assert_allclose(out_wt, ref.normalize_word_counts(want_counts, prior, word_topic),
                                   rtol=1e-12, atol=1e-14)
    else:
        assert np.isnan(slabs).all()  # not touched
    if prior == 0.0:
        np.testing.assert_array_equal(out_dt[0], domain_topic[0])  # empty row kept
    else:
        np.testing.assert_allclose(out_dt[0], 1.0 / n_topics)  # empty row: the prior's mode


def test_em_step_results_do_not_depend_on_chunking_beyond_rounding():
    counts, dense, topic_word, domain_topic = _random_problem(4, n_domains=30)
    word_topic = np.ascontiguousarray(topic_word.T)
    results = []
    for n_chunks in (1, 2, 5):
        out_dt, out_ll = np.empty_like(domain_topic), np.empty(30)
        slabs = np.empty((n_chunks,) + word_topic.shape)
        em.em_step(counts.indptr, counts.indices, counts.data, domain_topic, word_topic, 0.1, 0.0,
                   _chunks(30, n_chunks), np.empty((n_chunks, 3)), out_dt, slabs, out_ll, True)
        results.append((out_dt, slabs[0].copy()))
    for out_dt, counts_wk in results[1:]:
        np.testing.assert_array_equal(out_dt, results[0][0])  # rows never straddle chunks
        np.testing.assert_allclose(counts_wk, results[0][1], rtol=1e-13)


@pytest.mark.parametrize("seed", [0, 1])
def test_squarem_kernels_match_twins(seed):
    rng = np.random.default_rng(seed)
    x, fx, ffx = (rng.dirichlet(np.ones(5), size=6) for _ in range(3))
    x[0, 1] = 0.0  # x zero: the entry takes F(F(x))
    ffx[1, 2] = 0.0  # F(F(x)) zero: the entry stays zero
    ffx[1] /= ffx[1].sum()
    rr, vv = np.empty(6), np.empty(6)
    em.squarem_norms(x, fx, ffx, rr, vv)
    for i in range(6):
        np.testing.assert_allclose((rr[i], vv[i]), ref.squarem_norms(x[i:i + 1], fx[i:i + 1], ffx[i:i + 1]),
                                   rtol=1e-12)
    alpha = -1.0 - 3.0 * rng.random(6)
    alpha[2] = -1.0
    out = np.empty_like(x)
    em.squarem_extrapolate(x, fx, ffx, alpha, out)
    for i in range(6):
        np.testing.assert_allclose(out[i], ref.squarem_extrapolate(x[i:i + 1], fx[i:i + 1], ffx[i:i + 1],
                                                                   alpha[i])[0], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(out[2], ffx[2], rtol=1e-12)  # alpha = -1 is F(F(x))
    assert out[1, 2] == 0.0
    logs = np.empty(6)
    em.sum_log_rows(x[1:], logs[1:])
    np.testing.assert_allclose(logs[1:], np.log(x[1:]).sum(axis=1), rtol=1e-13)


# ------------------------------------------------------------------ the polish
def _planted(seed, n_domains=300, n_words=200, n_topics=4, tokens=200):
    return make_finite_lls(n_words, n_topics, n_domains, tokens, alpha=1.0, beta=0.1, random_state=seed)


def _perturbed(problem, seed, weight=0.3):
    rng = np.random.default_rng(seed)
    k, v = problem.topic_word.shape
    topic_word = (1 - weight) * problem.topic_word + weight * rng.dirichlet(np.ones(v), size=k)
    domain_topic = (1 - weight) * problem.domain_topic + weight * rng.dirichlet(np.ones(k),
                                                                                size=problem.domain_topic.shape[0])
    return topic_word, domain_topic


def test_polish_steps_match_the_twin():
    counts, dense, topic_word, domain_topic = _random_problem(5, dead_words=0)
    domain_topic[2] = domain_topic[3]  # no zeros: plain ML EM from a positive start
    for prior, fixed in [(0.0, False), (0.2, False), (0.0, True)]:
        got = polish(counts, topic_word, domain_topic, max_iter=4, tol=1e-300, prior=prior,
                     fixed_topics=fixed, accelerate=False)
        want_tw, want_dt = ref.em_polish(dense, topic_word, domain_topic, 4, prior=prior, fixed_topics=fixed)
        assert got.n_iter == 4
        np.testing.assert_allclose(got.topic_word, want_tw, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(got.domain_topic, want_dt, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(got.loglik_after, ref.loglik_rows(dense, want_dt, want_tw, 0.0).sum()
                                   / dense.sum(), rtol=1e-12)


@pytest.mark.parametrize("accelerate", [False, True])
@pytest.mark.parametrize("prior", [0.0, 0.05])
@pytest.mark.parametrize("fixed_topics", [False, True])
def test_objective_never_decreases(accelerate, prior, fixed_topics):
    problem = _planted(0)
    topic_word, domain_topic = _perturbed(problem, 1)
    result = polish(problem.corpus, topic_word, domain_topic, max_iter=60, tol=1e-12, prior=prior,
                    accelerate=accelerate, fixed_topics=fixed_topics)
    steps = np.diff(result.objective_history)
    # rounding of a sum over ~60,000 tokens: 1e-13 per token
    assert steps.min() >= -1e-13, steps.min()
    assert result.loglik_after > result.loglik_before
    if prior == 0.0:
        np.testing.assert_array_equal(result.history, result.objective_history)
    assert result.history[0] == result.loglik_before and result.history[-1] == result.loglik_after


def test_polish_from_a_perturbed_truth_comes_back():
    # Measured over data seeds 0-3 (300 domains of 200 tokens, 4 topics, 200
    # words; 30% of each factor replaced by noise): the mean L1 error of the
    # topics to the truth falls to 0.105-0.123 of the start's (0.46-0.48 ->
    # 0.050-0.057), within 4% of where ML EM started AT the truth ends
    # (0.049-0.056); p_d(y)'s error falls to 0.19-0.21 of the start's; the
    # likelihood ends above the truth's (it fits the sample).  Plain and
    # accelerated EM converge (tol 1e-6) in 28-29 and 18-20 passes.
    for seed in (0, 1):
        problem = _planted(seed)
        topic_word, domain_topic = _perturbed(problem, 100 + seed)
        truth_ll = log_likelihood(problem.corpus, problem.topic_word, problem.domain_topic)
        from_truth = polish(problem.corpus, problem.topic_word, problem.domain_topic, max_iter=50)
        for accelerate in (False, True):
            result = polish(problem.corpus, topic_word, domain_topic, max_iter=50, accelerate=accelerate)
            assert result.converged and result.n_iter <= (30 if not accelerate else 22)
            assert result.loglik_after > truth_ll > result.loglik_before
            err = np.abs(result.topic_word - problem.topic_word).sum(axis=1).mean()
            err0 = np.abs(topic_word - problem.topic_word).sum(axis=1).mean()
            err_truth = np.abs(from_truth.topic_word - problem.topic_word).sum(axis=1).mean()
            assert err < 0.15 * err0
            assert err < 1.08 * err_truth
            derr = np.abs(result.domain_topic - problem.domain_topic).sum(axis=1).mean()
            derr0 = np.abs(domain_topic - problem.domain_topic).sum(axis=1).mean()
            assert derr < 0.25 * derr0


def test_fixed_topics_agrees_with_the_ml_proportions_solver():
    # Factorizer._infer_domain_topic (the KL simplex solver, duality gap 1e-9)
    # against EM with the topics fixed from the uniform start.  Measured over
    # data seeds 0-3: at tol=1e-12 plain EM (245-483 passes) and SQUAREM
    # (81-144) reach max |difference| 4e-6 - 5e-5 in p_d(y) and a likelihood
    # 1.5e-10 - 4.5e-10 nats/token below the solver's; at tol=1e-9, 33-41
    # SQUAREM passes, 3e-4 - 1.2e-3 and 3e-8 - 1.1e-7 nats/token.
    problem = _planted(0)
    counts = problem.corpus.counts
    topic_word = problem.topic_word
    want = Factorizer()._infer_domain_topic(counts, topic_word)
    start = np.full(want.shape, 0.25)
    want_ll = log_likelihood(counts, topic_word, want)
    for tol, max_diff, ll_gap in [(1e-12, 2e-5, 1e-9), (1e-9, 1e-3, 2e-7)]:
        result = polish(counts, topic_word, start, fixed_topics=True, max_iter=2000, tol=tol)
        assert result.converged
        np.testing.assert_array_equal(result.topic_word, topic_word / topic_word.sum(axis=1, keepdims=True))
        assert np.abs(result.domain_topic - want).max() < max_diff
        assert want_ll - ll_gap < result.loglik_after <= want_ll + 1e-12


def test_fixed_topics_leaves_out_words_no_topic_produces():
    counts, dense, topic_word, domain_topic = _random_problem(6)
    uniform = np.full(domain_topic.shape, 1.0 / 3)
    result = polish(counts, topic_word, uniform, fixed_topics=True, max_iter=500, tol=1e-12)
    assert np.isfinite(result.loglik_after)
    clean = dense.copy()
    clean[:, :2] = 0
    rows = clean.sum(axis=1) > 0
    again = polish(sp.csr_matrix(clean), topic_word, uniform, fixed_topics=True, max_iter=500, tol=1e-12)
    np.testing.assert_allclose(result.domain_topic[rows], again.domain_topic[rows], atol=1e-12)
    # the same as the existing solver, which skips them too
    want = Factorizer()._infer_domain_topic(counts, topic_word)
    np.testing.assert_allclose(result.domain_topic[rows], want[rows], atol=2e-3)


def test_zero_probability_start():
    problem = _planted(2, n_domains=40)
    domain_topic = problem.domain_topic.copy()
    topic_word = problem.topic_word.copy()
    word = int(problem.corpus.counts.indices[0])
    topic_word[:, word] = 0.0  # a counted word no topic produces
    topic_word /= topic_word.sum(axis=1, keepdims=True)
    with pytest.raises(ValueError, match=f"probability 0 to word {word}, counted in domain 0"):
        polish(problem.corpus, topic_word, domain_topic)
    for kwargs in (dict(prior=0.01), dict(smoothing=1e-6)):
        result = polish(problem.corpus, topic_word, domain_topic, max_iter=5, **kwargs)
        assert np.isfinite(result.objective_history[1:]).all()
        assert np.all(np.diff(result.objective_history[1:]) >= -1e-13)


def test_max_iter_zero_only_evaluates_and_threads_are_restored():
    problem = _planted(3, n_domains=50)
    before = numba.get_num_threads()
    result = polish(problem.corpus, problem.topic_word, problem.domain_topic, max_iter=0, n_threads=1)
    assert numba.get_num_threads() == before
    assert result.n_iter == 0 and not result.converged
    assert result.loglik_before == result.loglik_after
    np.testing.assert_allclose(result.topic_word, problem.topic_word, rtol=1e-15)
    np.testing.assert_allclose(result.loglik_after, log_likelihood(problem.corpus, problem.topic_word,
                                                                    problem.domain_topic), rtol=1e-13)


def test_deterministic_for_a_given_thread_count():
    problem = _planted(4, n_domains=80)
    topic_word, domain_topic = _perturbed(problem, 4)
    a = polish(problem.corpus, topic_word, domain_topic, max_iter=12, n_threads=2)
    b = polish(problem.corpus, topic_word, domain_topic, max_iter=12, n_threads=2)
    np.testing.assert_array_equal(a.topic_word, b.topic_word)
    np.testing.assert_array_equal(a.domain_topic, b.domain_topic)


# ------------------------------------------------------------------ memory
def test_likelihood_and_polish_in_bounded_memory():
    # nnz = 200,000 and K = 100: the einsum's (nnz, K) float64 array alone
    # would take 160 MB.  Peak traced here (numpy's allocations): the CSR copy
    # of the validation (2.4 MB), topic_word^T (1.6 MB); the polish adds its
    # work points (4 x 2,000 x 100 x 8 B) and one slab per thread.
    rng = np.random.default_rng(0)
    n_domains, n_words, n_topics, per_row = 2000, 2000, 100, 100
    indices = np.concatenate([rng.choice(n_words, per_row, replace=False) for _ in range(n_domains)])
    indptr = np.arange(0, n_domains * per_row + 1, per_row)
    counts = sp.csr_matrix((rng.integers(1, 4, indices.size), indices, indptr), shape=(n_domains, n_words))
    assert counts.nnz * n_topics * 8 > 150e6
    topic_word = rng.dirichlet(np.ones(n_words), size=n_topics)
    domain_topic = rng.dirichlet(np.ones(n_topics), size=n_domains)
    log_likelihood(counts, topic_word, domain_topic)  # compile outside the trace
    polish(counts, topic_word, domain_topic, max_iter=2)
    cap = 20e6
    tracemalloc.start()
    try:
        value = log_likelihood(counts, topic_word, domain_topic)
        _, peak = tracemalloc.get_traced_memory()
        assert peak < cap, peak
        tracemalloc.reset_peak()
        polish(counts, topic_word, domain_topic, max_iter=2, n_threads=2)
        _, peak = tracemalloc.get_traced_memory()
        assert peak < 2 * cap, peak
    finally:
        tracemalloc.stop()
    rows = np.repeat(np.arange(n_domains), per_row)
    want = np.dot(counts.data, np.log(np.einsum("ik,ki->i", domain_topic[rows],
                                                topic_word[:, counts.indices]))) / counts.data.sum()
    np.testing.assert_allclose(value, want, rtol=1e-12)


# ------------------------------------------------------------------ bad input
def _args():
    counts, _, topic_word, domain_topic = _random_problem(7, dead_words=0)
    return counts, topic_word, domain_topic


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(max_iter=-1), ValueError, "max_iter must be >= 0, got -1"),
    (dict(max_iter=2.5), TypeError, "max_iter must be an integer, got float: 2.5"),
    (dict(max_iter="10"), TypeError, "max_iter must be an integer"),
    (dict(tol=0.0), ValueError, "tol must be finite and > 0.0, got 0.0"),
    (dict(tol=-1e-3), ValueError, "tol must be finite and > 0.0, got -0.001"),
    (dict(tol=float("nan")), ValueError, "tol must be finite"),
    (dict(tol=None), TypeError, "tol must be a real number, got NoneType"),
    (dict(prior=-0.1), ValueError, "prior must be finite and >= 0.0, got -0.1"),
    (dict(prior=float("inf")), ValueError, "prior must be finite"),
    (dict(smoothing=1.0), ValueError, r"smoothing must be finite and >= 0.0 and < 1.0, got 1.0"),
    (dict(smoothing=-0.5), ValueError, "smoothing must be finite"),
    (dict(fixed_topics="yes"), TypeError, "fixed_topics must be True or False, got str: 'yes'"),
    (dict(accelerate=1), TypeError, "accelerate must be True or False, got int: 1"),
    (dict(n_threads=0), ValueError, "n_threads must be >= 1, got 0"),
])
def test_bad_settings(monkeypatch, kwargs, error, match):
    monkeypatch.setattr(_polish, "_Passes", None)  # any pass would fail: checks come first
    with pytest.raises(error, match=match):
        polish(*_args(), **kwargs)


def test_bad_factors(monkeypatch):
    monkeypatch.setattr(_polish, "_Passes", None)
    counts, topic_word, domain_topic = _args()
    bad = topic_word.copy()
    bad[1, 3] = np.nan
    cases = [
        ((counts, topic_word[:, :-1], domain_topic), ValueError, r"topic_word has shape \(3, 13\), expected \(3, 14\)"),
        ((counts, topic_word, domain_topic[:-1]), ValueError, r"domain_topic has shape \(8, 3\), expected \(9, 3\)"),
        ((counts, topic_word[:2] / topic_word[:2].sum(1, keepdims=True), domain_topic), ValueError,
         r"domain_topic has shape \(9, 3\), expected \(9, 2\)"),
        ((counts, topic_word[0], domain_topic), ValueError, "topic_word must be 2-dimensional"),
        ((counts, bad, domain_topic), ValueError, r"topic_word contains a non-finite value nan at position \(1, 3\)"),
        ((counts, topic_word * 1.1, domain_topic), ValueError, "topic_word rows must lie on the simplex"),
        ((counts, topic_word, -domain_topic), ValueError, "domain_topic has a negative entry"),
        ((counts, topic_word, np.full(domain_topic.shape, "x")), TypeError, "domain_topic must be numeric"),
        ((-counts.toarray(), topic_word, domain_topic), ValueError, "counts must hold non-negative counts"),
        ((counts.toarray() + 0.5, topic_word, domain_topic), ValueError, "counts must hold integer counts"),
    ]
    for args, error, match in cases:
        with pytest.raises(error, match=match):
            polish(*args)


def test_log_likelihood_bad_input():
    counts, topic_word, domain_topic = _args()
    with pytest.raises(ValueError, match="smoothing must be finite and >= 0.0 and < 1.0, got 1.5"):
        log_likelihood(counts, topic_word, domain_topic, smoothing=1.5)
    with pytest.raises(ValueError, match=r"domain_topic has shape \(9, 2\), expected \(9, 3\)"):
        log_likelihood(counts, topic_word, domain_topic[:, :2])
    with pytest.raises(TypeError, match="per_token must be True or False"):
        log_likelihood(counts, topic_word, domain_topic, per_token=None)
