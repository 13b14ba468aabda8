"""LLS problem generators: bounds, planted structure, sampling law, semi-synthetic domains."""

import _reference as ref
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from llstopic import (
    Corpus,
    LLSProblem,
    assign_domains,
    make_domain_topic,
    make_finite_lls,
    make_topic_word,
    oracle_topic_word,
)
from llstopic.synthetic import _sampling

# ----------------------------------------------------------- make_domain_topic


def test_domain_topic_rows_zeroing_and_reproducibility():
    dt = make_domain_topic(30, 5, alpha=0.05, random_state=0)
    assert dt.shape == (30, 5)
    np.testing.assert_allclose(dt.sum(axis=1), 1.0, rtol=1e-12)
    assert not ((dt > 0) & (dt < 1e-7)).any()
    assert (dt == 0).any()            # with alpha this small, zeroing really happened
    np.testing.assert_array_equal(dt, make_domain_topic(30, 5, alpha=0.05, random_state=0))
    assert not np.array_equal(dt, make_domain_topic(30, 5, alpha=0.05, random_state=1))


@pytest.mark.parametrize("seed", range(5))
def test_domain_topic_honours_max_condition(seed):
    unbounded = [np.linalg.cond(make_domain_topic(6, 4, alpha=2.0, random_state=100 * seed + i))
                 for i in range(20)]
    assert max(unbounded) > 8          # the bound is binding for this alpha
    dt = make_domain_topic(6, 4, alpha=2.0, max_condition=8, random_state=seed)
    assert np.linalg.cond(dt, 2) <= 8


def test_alpha_is_the_total_concentration():
    # Entries of Dirichlet(alpha / k) rows are Beta(alpha / k, alpha - alpha / k):
    # variance (1/k)(1 - 1/k) / (alpha + 1).  Per-topic alpha would give a third of it.
    k, alpha, n = 4, 3.0, 20_000
    dt = make_domain_topic(n, k, alpha=alpha, random_state=3)
    law = stats.beta(alpha / k, alpha - alpha / k)
    var = law.var()
    mu4 = (law.stats(moments="k") + 3) * var**2
    se = np.sqrt((mu4 - var**2) / n)
    assert abs(dt[:, 0].var() - var) < 5 * se
    assert abs(dt[:, 0].mean() - 1 / k) < 5 * np.sqrt(var / n)


def test_fewer_domains_than_topics():
    assert make_domain_topic(2, 5, alpha=1.0, random_state=0).shape == (2, 5)
    assert make_domain_topic(2, 5, alpha=1.0, max_condition=np.inf, random_state=0).shape == (2, 5)
    with pytest.raises(ValueError, match="n_domains = 2 < n_topics = 5 with max_condition = 100"):
        make_domain_topic(2, 5, alpha=1.0, max_condition=100)


def test_unmeetable_condition_bound_says_which_and_suggests():
    with pytest.raises(ValueError, match=r"max_condition = 1.01 could not be met.*smallest seen: "
                                         r"[0-9.]+\)\. Use a larger max_condition; "
                                         r"max_condition >= "):
        make_domain_topic(5, 3, alpha=5.0, max_condition=1.01, random_state=0)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(alpha=0.0), ValueError, "alpha must be a finite number > 0, got 0.0"),
    (dict(alpha=np.nan), ValueError, "alpha must be a finite number > 0, got nan"),
    (dict(alpha="1"), TypeError, "alpha must be a finite number > 0, got str"),
    (dict(alpha=1.0, max_condition=0.5), ValueError, "max_condition must be None, a finite number >= 1 or inf, got 0.5"),
    (dict(alpha=1.0, max_condition="big"), TypeError,
     "max_condition must be None, a finite number >= 1 or inf, got str"),
    (dict(alpha=1.0, random_state="x"), TypeError, "random_state must be"),
])
def test_domain_topic_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        make_domain_topic(6, 3, **kwargs)
    with pytest.raises(ValueError, match="n_domains must be an integer >= 1, got 0"):
        make_domain_topic(0, 3, alpha=1.0)


# ----------------------------------------------------------- make_topic_word


@pytest.mark.parametrize("anchors_per_topic", [1, 3])
def test_topic_word_planted_anchors(anchors_per_topic):
    tw, anchors = make_topic_word(60, 5, beta=0.2, anchors_per_topic=anchors_per_topic,
                                  anchor_mass=0.3, random_state=4)
    assert tw.shape == (5, 60)
    assert anchors.shape == (5, anchors_per_topic) and anchors.dtype == np.int64
    np.testing.assert_allclose(tw.sum(axis=1), 1.0, rtol=1e-12)
    assert len(np.unique(anchors)) == anchors.size
    for y in range(5):
        np.testing.assert_allclose(tw[y, anchors[y]], 0.3 / anchors_per_topic, rtol=1e-12)
        others = np.delete(np.arange(5), y)
        assert (tw[np.ix_(others, anchors[y])] == 0).all()
    # Anchors sit at random places, not at the start of the vocabulary.
    assert anchors.max() >= 5 * anchors_per_topic
    tw2, anchors2 = make_topic_word(60, 5, beta=0.2, anchors_per_topic=anchors_per_topic,
                                    anchor_mass=0.3, random_state=4)
    np.testing.assert_array_equal(tw, tw2)
    np.testing.assert_array_equal(anchors, anchors2)


def test_topic_word_without_anchors_is_not_separable():
    tw, anchors = make_topic_word(30, 4, beta=1.0, anchors_per_topic=0, random_state=0)
    assert anchors.shape == (4, 0)
    assert ((tw > 0).sum(axis=0) >= 2).all()
    np.testing.assert_allclose(tw.sum(axis=1), 1.0, rtol=1e-12)


def test_beta_is_a_per_word_concentration():
    # Without anchors, an entry is Beta(beta, (n_words - 1) beta): variance
    # (1/n)(1 - 1/n) / (n beta + 1).  A total beta would give (..)/(beta + 1).
    n_words, beta, n = 5, 2.0, 20_000
    tw, _ = make_topic_word(n_words, n, beta=beta, anchors_per_topic=0, random_state=5)
    law = stats.beta(beta, (n_words - 1) * beta)
    var = law.var()
    mu4 = (law.stats(moments="k") + 3) * var**2
    assert abs(tw[:, 0].var() - var) < 5 * np.sqrt((mu4 - var**2) / n)


@pytest.mark.parametrize("args, kwargs, error, message", [
    ((10, 5), dict(beta=1.0, anchors_per_topic=2), ValueError,
     "n_words = 10 is too small for n_topics \\* anchors_per_topic = 5 \\* 2 = 10"),
    ((20, 5), dict(beta=1.0, anchor_mass=1.0), ValueError,
     r"anchor_mass must be a number in \(0, 1\), got 1.0"),
    ((20, 5), dict(beta=1.0, anchor_mass=0.0), ValueError,
     r"anchor_mass must be a number in \(0, 1\), got 0.0"),
    ((20, 5), dict(beta=-1.0), ValueError, "beta must be a finite number > 0, got -1.0"),
    ((20, 5), dict(beta=1.0, anchors_per_topic=-1), ValueError,
     "anchors_per_topic must be an integer >= 0, got -1"),
    ((20, 5), dict(beta=1.0, anchors_per_topic=1.5), TypeError,
     "anchors_per_topic must be an integer"),
    ((20, 0), dict(beta=1.0), ValueError, "n_topics must be an integer >= 1, got 0"),
])
def test_topic_word_bad_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        make_topic_word(*args, **kwargs)


# ----------------------------------------------------------- make_finite_lls


def test_finite_lls_structure_and_reproducibility(sampler):
    problem = make_finite_lls(80, 4, 6, 3000, alpha=1.0, beta=0.3, anchors_per_topic=2,
                              max_condition=50, random_state=9)
    assert isinstance(problem, LLSProblem)
    n = 6 * 3000
    assert problem.words.shape == problem.domains.shape == problem.labels.shape == (n,)
    assert problem.corpus == Corpus.from_tokens(problem.words, problem.domains,
                                                n_words=80, n_domains=6)
    np.testing.assert_array_equal(problem.corpus.domain_lengths(), 3000)
    assert (np.diff(problem.domains) >= 0).all()                      # grouped by domain
    assert problem.topic_word.shape == (4, 80) and problem.domain_topic.shape == (6, 4)
    assert problem.anchors.shape == (4, 2)
    assert np.linalg.cond(problem.domain_topic) <= 50
    # Every token is possible under its label; anchors come only from their own topic.
    assert (problem.topic_word[problem.labels, problem.words] > 0).all()
    anchor_topic = np.full(80, -1)
    anchor_topic[problem.anchors] = np.arange(4)[:, None]
    is_anchor = anchor_topic[problem.words] >= 0
    np.testing.assert_array_equal(anchor_topic[problem.words][is_anchor], problem.labels[is_anchor])
    again = make_finite_lls(80, 4, 6, 3000, alpha=1.0, beta=0.3, anchors_per_topic=2,
                            max_condition=50, random_state=9)
    for name in ("words", "domains", "labels", "topic_word", "domain_topic", "anchors"):
        np.testing.assert_array_equal(getattr(again, name), getattr(problem, name))
    other = make_finite_lls(80, 4, 6, 3000, alpha=1.0, beta=0.3, random_state=10)
    assert not np.array_equal(other.words, problem.words)
    assert "n_tokens=18000" in repr(problem)


@pytest.fixture(params=["block counts, per-domain shuffle", "per-token search, sort-key shuffle"])
def sampler(request, monkeypatch):
    """Run a test under both sampling paths of make_finite_lls (same law, different code)."""
    if request.param.startswith("per-token"):
        monkeypatch.setattr(_sampling, "COUNT_CELLS_PER_TOKEN", 0.0)
        monkeypatch.setattr(_sampling, "MIN_SEGMENT_FOR_LOOP", 10**12)
    else:
        monkeypatch.setattr(_sampling, "COUNT_CELLS_PER_TOKEN", 10**12)
        monkeypatch.setattr(_sampling, "MIN_SEGMENT_FOR_LOOP", 1)
    return request.param


def test_label_counts_follow_the_domain_mix_and_order_carries_no_label_information(sampler):
    problem = make_finite_lls(50, 3, 5, 20_000, alpha=2.0, beta=0.5, random_state=12)
    counts = np.zeros((5, 3))
    np.add.at(counts, (problem.domains, problem.labels), 1)
    p = problem.domain_topic
    sd = np.sqrt(20_000 * p * (1 - p))
    assert (np.abs(counts - 20_000 * p) <= 5 * sd + 1e-9).all()
    # Within a domain, consecutive labels differ as often as for an i.i.d. sequence.
    for d in range(5):
        seq = problem.labels[problem.domains == d]
        change = np.mean(seq[1:] != seq[:-1])
        expected = 1 - (p[d] ** 2).sum()
        assert abs(change - expected) < 5 * np.sqrt(expected * (1 - expected) / seq.size) + 1e-3
        # ... and words rise from one token to the next as often as i.i.d. draws from the mixture.
        words = problem.words[problem.domains == d]
        q = p[d] @ problem.topic_word
        rise = np.mean(words[1:] > words[:-1])
        expected = (1 - (q**2).sum()) / 2
        assert abs(rise - expected) < 5 * np.sqrt(expected * (1 - expected) / words.size) + 1e-3


def test_unequal_domains_and_expected_counts():
    lengths = np.array([500, 0, 2000, 1500])
    problem = make_finite_lls(40, 3, 4, lengths, alpha=1.0, beta=0.5, random_state=2)
    np.testing.assert_array_equal(problem.corpus.domain_lengths(), lengths)
    mean = problem.domain_topic @ problem.topic_word
    np.testing.assert_allclose(problem.expected_counts(), lengths[:, None] * mean, rtol=1e-12)
    # A scalar total keeps the domain proportions; an array sets each domain's size.
    scaled = problem.expected_counts(8000)
    np.testing.assert_allclose(scaled, 2 * lengths[:, None] * mean, rtol=1e-12)
    np.testing.assert_allclose(scaled.sum(), 8000)
    np.testing.assert_allclose(problem.expected_counts([1, 2, 3, 4]).sum(axis=1), [1, 2, 3, 4])
    with pytest.raises(ValueError, match="total must be None, a finite number >= 0 or a list or array, got -1"):
        problem.expected_counts(-1)
    with pytest.raises(ValueError, match="total has 2 domain sizes but n_domains = 4"):
        problem.expected_counts([1, 2])
    with pytest.raises(ValueError, match=r"total must be non-negative; total\[1\] = -2.0"):
        problem.expected_counts([1, -2, 3, 4])
    with pytest.raises(ValueError, match="total must be None, a finite number >= 0 or a list or array, got nan"):
        problem.expected_counts(np.nan)


def test_empirical_topic_word_converges_to_truth(sampler):
    # One million tokens.  For a word of probability p in a topic with n tokens,
    # E|p_hat - p| ~ sqrt(2 p (1 - p) / (pi n)) (normal limit of the binomial);
    # the sum over words of these is the oracle's expected L1 error.
    problem = make_finite_lls(200, 4, 8, 125_000, alpha=1.0, beta=1.0, random_state=21)
    oracle = problem.oracle_topic_word()
    np.testing.assert_array_equal(
        oracle, oracle_topic_word(problem.words, problem.labels, 200, 4))
    n_per_topic = np.bincount(problem.labels, minlength=4)
    p = problem.topic_word
    predicted = np.sqrt(2 * p * (1 - p) / (np.pi * n_per_topic[:, None])).sum(axis=1)
    observed = np.abs(oracle - p).sum(axis=1)
    assert (observed < 1.25 * predicted).all()
    assert (observed > 0.75 * predicted).all()     # genuinely sampled, not copied
    assert predicted.max() < 0.05


@pytest.mark.parametrize("tokens, error, message", [
    (0, ValueError, "tokens_per_domain must be an integer >= 1, got 0"),
    ([10, 10], ValueError, "tokens_per_domain has 2 entries but n_domains = 3"),
    ([10, -1, 10], ValueError,
     r"tokens_per_domain must be non-negative; tokens_per_domain\[1\] = -1"),
    ([0, 0, 0], ValueError, "tokens_per_domain is zero for every domain"),
    (2.5, TypeError, "tokens_per_domain must be an integer"),
])
def test_finite_lls_bad_sizes(tokens, error, message):
    with pytest.raises(error, match=message):
        make_finite_lls(20, 2, 3, tokens, alpha=1.0, beta=1.0)


def test_finite_lls_passes_bounds_through():
    with pytest.raises(ValueError, match="n_domains = 2 < n_topics = 3"):
        make_finite_lls(20, 3, 2, 100, alpha=1.0, beta=1.0, max_condition=10)
    with pytest.raises(ValueError, match="n_words = 6 is too small"):
        make_finite_lls(6, 3, 4, 100, alpha=1.0, beta=1.0, anchors_per_topic=2)


# ----------------------------------------------------------- assign_domains


def _check_assignment(labels, domain_topic, indices, domain_ids):
    labels = np.asarray(labels)
    domain_topic = np.asarray(domain_topic, dtype=float)
    n_domains, n_topics = domain_topic.shape
    assert indices.dtype == np.int64 and domain_ids.dtype == np.int64
    assert len(np.unique(indices)) == len(indices)                  # no example reused
    assert (np.diff(domain_ids) >= 0).all()
    m = len(indices) // n_domains
    np.testing.assert_array_equal(np.bincount(domain_ids, minlength=n_domains), m)
    assert m == ref.largest_domain_size_brute(labels, domain_topic)
    counts = np.zeros((n_domains, n_topics))
    np.add.at(counts, (domain_ids, labels[indices]), 1)
    assert (np.abs(counts - m * domain_topic) <= 1 + 1e-9).all()    # within the rounding
    assert (counts[domain_topic == 0] == 0).all()
    return m


def test_assign_domains_semi_synthetic_protocol():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 3000)
    domain_topic = make_domain_topic(5, 4, alpha=1.0, random_state=1)
    indices, domain_ids = assign_domains(labels, domain_topic, random_state=2)
    m = _check_assignment(labels, domain_topic, indices, domain_ids)   # m is the largest that fits
    assert m > 100
    again = assign_domains(labels, domain_topic, random_state=2)
    np.testing.assert_array_equal(again[0], indices)
    other = assign_domains(labels, domain_topic, random_state=3)[0]
    assert not np.array_equal(other, indices)
    # Examples within a domain are not in index order.
    assert not (np.diff(indices[domain_ids == 0]) > 0).all()


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(5, 80), st.floats(0.1, 5.0),
       st.integers(0, 2**31 - 1))
def test_assign_domains_property(n_domains, n_topics, n_examples, alpha, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_topics, n_examples)
    domain_topic = make_domain_topic(n_domains, n_topics, alpha=alpha, random_state=rng)
    try:
        indices, domain_ids = assign_domains(labels, domain_topic, random_state=rng)
    except ValueError as exc:
        assert "too few examples" in str(exc)
        assert ref.largest_domain_size_brute(labels, domain_topic) == 0
        return
    _check_assignment(labels, domain_topic, indices, domain_ids)


@pytest.mark.parametrize("labels, domain_topic, message", [
    ([0, 2], [[0.5, 0.5]], r"labels\[1\] = 2 is out of range: it must be < n_topics"),
    ([], [[0.5, 0.5]], "labels is empty"),
    ([0, 1], [[0.5, 0.6]], "domain_topic rows must sum to one; row 0"),
    ([0, 1], [0.5, 0.5], "domain_topic must be 2-dimensional"),
    ([0, 0, 0], [[0.0, 1.0], [0.5, 0.5]],
     "too few examples for 2 domains: .* label 1 than the 0 available"),
])
def test_assign_domains_bad_input(labels, domain_topic, message):
    with pytest.raises(ValueError, match=message):
        assign_domains(labels, domain_topic)
