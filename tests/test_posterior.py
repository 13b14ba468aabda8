"""The LLS posterior p_d(y|x): Bayes' rule, chunking, zero-probability words, bad input."""

import warnings

import _reference as ref
import numpy as np
import pytest

from llstopic import lls_posterior, lls_predict, make_finite_lls
from llstopic import posterior as posterior_module


def _random_problem(seed, n_topics=4, n_words=9, n_domains=5, n_obs=60):
    rng = np.random.default_rng(seed)
    topic_word = rng.dirichlet(np.full(n_words, 0.3), size=n_topics)
    domain_topic = rng.dirichlet(np.full(n_topics, 0.5), size=n_domains)
    # Exact zeros, so some (word, domain) pairs are impossible under some topics.
    topic_word[0, :2] = 0
    topic_word /= topic_word.sum(axis=1, keepdims=True)
    domain_topic[0, 1:] = 0
    domain_topic /= domain_topic.sum(axis=1, keepdims=True)
    words = rng.integers(0, n_words, n_obs)
    domains = rng.integers(0, n_domains, n_obs)
    return topic_word, domain_topic, words, domains


@pytest.mark.parametrize("seed", range(5))
def test_posterior_matches_bayes_rule_loop(seed):
    topic_word, domain_topic, words, domains = _random_problem(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # impossible pairs are covered below
        post = lls_posterior(topic_word, domain_topic, words, domains)
    expected = ref.lls_posterior_loop(topic_word, domain_topic, words, domains)
    np.testing.assert_allclose(post, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(post.sum(axis=1), 1.0, rtol=1e-12)


def test_zero_probability_observations_get_uniform_rows_and_are_counted():
    topic_word = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])
    domain_topic = np.array([[1.0, 0.0], [0.5, 0.5]])
    # Word 2 is impossible in domain 0 (only topic 0 there, which never emits it).
    words, domains = [2, 0, 2, 1, 2], [0, 0, 0, 1, 1]
    with pytest.warns(RuntimeWarning,
                      match="2 of 5 observations have a word with zero probability"):
        post = lls_posterior(topic_word, domain_topic, words, domains)
    np.testing.assert_allclose(post, [[0.5, 0.5], [1, 0], [0.5, 0.5], [0.5, 0.5], [0, 1]])
    with pytest.warns(RuntimeWarning, match="2 of 5 observations"):
        labels = lls_predict(topic_word, domain_topic, words, domains)
    np.testing.assert_array_equal(labels, [0, 0, 0, 0, 1])     # ties go to the lowest topic


def test_no_warning_when_every_observation_is_possible():
    topic_word, domain_topic, _, _ = _random_problem(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lls_posterior(topic_word, domain_topic, [5, 6], [1, 2])


def test_chunk_boundaries_do_not_change_results(monkeypatch):
    topic_word, domain_topic, words, domains = _random_problem(7, n_obs=101)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        whole = lls_posterior(topic_word, domain_topic, words, domains)
        labels = lls_predict(topic_word, domain_topic, words, domains)
        monkeypatch.setattr(posterior_module, "_CHUNK", 7)
        chunked = lls_posterior(topic_word, domain_topic, words, domains)
        chunked_labels = lls_predict(topic_word, domain_topic, words, domains)
    np.testing.assert_array_equal(chunked, whole)
    np.testing.assert_array_equal(chunked_labels, labels)
    np.testing.assert_array_equal(labels, whole.argmax(axis=1))


def test_zero_count_is_summed_over_chunks(monkeypatch):
    monkeypatch.setattr(posterior_module, "_CHUNK", 2)
    topic_word = np.array([[1.0, 0.0], [0.0, 1.0]])
    domain_topic = np.array([[1.0, 0.0]])
    with pytest.warns(RuntimeWarning, match="3 of 5 observations") as record:
        lls_posterior(topic_word, domain_topic, [1, 0, 1, 0, 1], [0, 0, 0, 0, 0])
    assert len(record) == 1


def test_empty_input_gives_empty_output():
    topic_word, domain_topic, _, _ = _random_problem(0)
    assert lls_posterior(topic_word, domain_topic, [], []).shape == (0, 4)
    assert lls_predict(topic_word, domain_topic, [], []).shape == (0,)


def test_predict_with_true_parameters_reaches_bayes_accuracy():
    problem = make_finite_lls(60, 3, 6, 20_000, alpha=1.0, beta=0.5, random_state=11)
    predicted = lls_predict(problem.topic_word, problem.domain_topic,
                            problem.words, problem.domains)
    accuracy = float(np.mean(predicted == problem.labels))
    # Bayes accuracy: sum over domains and words of max_y p_d(y) p(x|y), weighted by domain size.
    joint = problem.domain_topic[:, :, None] * problem.topic_word[None]     # (d, y, x)
    lengths = problem.corpus.domain_lengths()
    bayes = float((lengths * joint.max(axis=1).sum(axis=1)).sum() / lengths.sum())
    n = problem.words.shape[0]
    tolerance = 5 * np.sqrt(bayes * (1 - bayes) / n)
    assert abs(accuracy - bayes) < tolerance
    # Ignoring the domains (one pooled label mix) must do measurably worse on this problem.
    pooled = np.tile(lengths @ problem.domain_topic / lengths.sum(), (6, 1))
    pooled_accuracy = float(np.mean(lls_predict(problem.topic_word, pooled, problem.words,
                                                problem.domains) == problem.labels))
    assert pooled_accuracy < accuracy - tolerance


_TW = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])
_DT = np.array([[0.5, 0.5], [0.9, 0.1]])


@pytest.mark.parametrize("topic_word, domain_topic, words, domains, error, message", [
    (_TW, np.array([[1.0]]), [0], [0], ValueError,
     r"domain_topic has 1 topics \(columns\) but topic_word has 2"),
    (_TW, _DT, [3], [0], ValueError, r"words\[0\] = 3 is out of range: it must be < n_words"),
    (_TW, _DT, [0], [2], ValueError, r"domains\[0\] = 2 is out of range: it must be < n_domains"),
    (_TW, _DT, [0, 1], [0], ValueError, "same length, got 2 and 1"),
    (_TW, _DT, [-1], [0], ValueError, "words must be non-negative"),
    (_TW, _DT, [[0]], [[0]], ValueError, "words must be 1-dimensional"),
    (_TW, _DT, ["a"], [0], TypeError, "words must hold integer ids"),
    (_TW * 2, _DT, [0], [0], ValueError, "topic_word rows must sum to one; row 0 sums to 2.0"),
    (_TW, -_DT, [0], [0], ValueError, "domain_topic has a negative entry"),
    (np.where(_TW == 0, np.nan, _TW), _DT, [0], [0], ValueError,
     "topic_word contains a non-finite value nan"),
    (_TW[0], _DT, [0], [0], ValueError, "topic_word must be 2-dimensional"),
])
def test_bad_input_is_rejected(topic_word, domain_topic, words, domains, error, message):
    with pytest.raises(error, match=message):
        lls_posterior(topic_word, domain_topic, words, domains)
    with pytest.raises(error, match=message):
        lls_predict(topic_word, domain_topic, words, domains)
