"""Matching and recovery metrics: permutation conventions, invariances, bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llstopic import (
    domain_topic_error,
    make_domain_topic,
    make_topic_word,
    match_topics,
    matched_accuracy,
    oracle_topic_word,
    topic_word_error,
)

import _reference as ref


def _rows(rng, n_rows, n_cols, concentration=0.5):
    return rng.dirichlet(np.full(n_cols, concentration), size=n_rows)


# ----------------------------------------------------------- match_topics


def test_permuted_truth_gives_zero_error_and_inverse_permutation():
    rng = np.random.default_rng(0)
    true, _ = make_topic_word(40, 6, beta=0.3, random_state=1)
    relabel = rng.permutation(6)
    est = true[relabel]                      # estimated topic j is true topic relabel[j]
    perm = match_topics(true, est)
    np.testing.assert_array_equal(perm, np.argsort(relabel))
    np.testing.assert_array_equal(est[perm], true)
    assert topic_word_error(true, est) == 0.0
    assert topic_word_error(true, est, permutation=perm) == 0.0
    domain_topic = make_domain_topic(8, 6, alpha=1.0, random_state=2)
    assert domain_topic_error(domain_topic, domain_topic[:, relabel], permutation=perm) == 0.0


def test_match_topics_is_optimal_against_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(20):
        k = int(rng.integers(2, 6))
        true, est = _rows(rng, k, 7), _rows(rng, k, 7)
        perm = match_topics(true, est)
        _, best_cost = ref.match_topics_brute(true, est)
        cost = np.abs(true - est[perm]).sum()
        assert cost == pytest.approx(best_cost, abs=1e-12)
        assert topic_word_error(true, est) == pytest.approx(best_cost / k, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(2, 9), st.integers(0, 2**31 - 1))
def test_errors_are_invariant_under_relabelling(k, n_words, seed):
    rng = np.random.default_rng(seed)
    true_tw, est_tw = _rows(rng, k, n_words), _rows(rng, k, n_words)
    true_dt, est_dt = _rows(rng, 4, k), _rows(rng, 4, k)
    relabel = rng.permutation(k)
    base = topic_word_error(true_tw, est_tw)
    assert topic_word_error(true_tw, est_tw[relabel]) == pytest.approx(base, abs=1e-12)
    # Symmetric in its arguments (L1 and optimal matching are).
    assert topic_word_error(est_tw, true_tw) == pytest.approx(base, abs=1e-12)
    assert 0.0 <= base <= 2.0
    perm = match_topics(true_tw, est_tw)
    perm_relabelled = match_topics(true_tw, est_tw[relabel])
    # The matching may break ties differently, but is equally good...
    assert np.abs(true_tw - est_tw[relabel][perm_relabelled]).sum() == pytest.approx(
        np.abs(true_tw - est_tw[perm]).sum(), abs=1e-12)
    # ... and the relabelled alignment of the same matching gives the same domain error.
    relabelled_perm = np.argsort(relabel)[perm]
    np.testing.assert_array_equal(est_tw[relabel][relabelled_perm], est_tw[perm])
    dt_base = domain_topic_error(true_dt, est_dt, permutation=perm)
    dt_relabelled = domain_topic_error(true_dt, est_dt[:, relabel], permutation=relabelled_perm)
    assert dt_relabelled == pytest.approx(dt_base, abs=1e-15)


def test_topic_word_error_range_ends():
    # Every pairing has disjoint supports: every row is at L1 distance 2.
    disjoint_est = np.array([[0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 1.0]])
    disjoint_true = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
    assert topic_word_error(disjoint_true, disjoint_est) == pytest.approx(2.0)
    assert topic_word_error(disjoint_true, disjoint_true[::-1]) == 0.0


def test_domain_topic_error_values_and_per_domain():
    true = np.array([[0.5, 0.5], [1.0, 0.0], [0.2, 0.8]])
    est = np.array([[0.6, 0.4], [0.0, 1.0], [0.8, 0.2]])
    # With the columns swapped, est becomes [[.4,.6],[1,0],[.2,.8]].
    assert domain_topic_error(true, est, permutation=[1, 0]) == pytest.approx(0.2 / 6)
    per = domain_topic_error(true, est, permutation=[1, 0], per_domain=True)
    np.testing.assert_allclose(per, [0.2, 0.0, 0.0])
    np.testing.assert_allclose(domain_topic_error(true, est, permutation=None, per_domain=True),
                               [0.2, 2.0, 1.2])
    assert domain_topic_error(true, est, permutation=None) == pytest.approx(3.4 / 6)


# ----------------------------------------------------------- matched_accuracy


def test_matched_accuracy_relabelled_perfect_and_unused_labels():
    y = np.array([0, 0, 1, 1, 2, 2, 2])
    assert matched_accuracy(y, np.array([7, 7, 3, 3, 9, 9, 9])) == 1.0
    # One predicted cluster too many: the extra one is wrong.
    assert matched_accuracy(y, [7, 7, 3, 3, 9, 9, 4]) == pytest.approx(6 / 7)
    # Every prediction the same: the majority class.
    assert matched_accuracy(y, np.zeros(7, dtype=int)) == pytest.approx(3 / 7)
    # Predicted labels never occurring in y_true at all, and fewer clusters than labels.
    assert matched_accuracy(y, [100, 100, 100, 100, 200, 200, 200]) == pytest.approx(5 / 7)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4)), min_size=1, max_size=25))
def test_matched_accuracy_matches_brute_force(pairs):
    y_true, y_pred = map(list, zip(*pairs))
    expected = ref.matched_accuracy_brute(y_true, y_pred)
    assert matched_accuracy(y_true, y_pred) == pytest.approx(expected)


# ----------------------------------------------------------- oracle


def test_oracle_topic_word_counts_with_true_labels():
    rng = np.random.default_rng(5)
    words, labels = rng.integers(0, 6, 200), rng.integers(0, 3, 200)
    oracle = oracle_topic_word(words, labels, 6, 3)
    for y in range(3):
        expected = np.bincount(words[labels == y], minlength=6) / (labels == y).sum()
        np.testing.assert_allclose(oracle[y], expected)


def test_oracle_topic_word_empty_topic_is_uniform_with_warning():
    with pytest.warns(RuntimeWarning, match=r"1 of 3 topics have no token \(topics \[2\]\)"):
        oracle = oracle_topic_word([0, 1, 1], [0, 1, 1], 4, 3)
    np.testing.assert_allclose(oracle[2], 0.25)
    np.testing.assert_allclose(oracle[:2], [[1, 0, 0, 0], [0, 1, 0, 0]])


# ----------------------------------------------------------- bad input

_TW = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])


@pytest.mark.parametrize("bad, message", [
    (np.array([[0.5, 0.5, 0.0]]), r"same shape, got \(2, 3\) and \(1, 3\)"),
    (np.array([[1.5, -0.5, 0.0], [0.0, 0.5, 0.5]]), r"est_topic_word has a negative entry -0.5"),
    (np.array([[0.5, 0.4, 0.0], [0.0, 0.5, 0.5]]), r"est_topic_word rows must sum to one; row 0"),
    (np.array([[np.nan, 0.5, 0.5], [0.0, 0.5, 0.5]]),
     r"est_topic_word contains a non-finite value nan"),
    (np.array([0.5, 0.5]), r"est_topic_word must be 2-dimensional"),
])
def test_topic_word_metrics_reject_bad_estimates(bad, message):
    with pytest.raises(ValueError, match=message):
        match_topics(_TW, bad)
    with pytest.raises(ValueError, match=message):
        topic_word_error(_TW, bad)


def test_true_matrix_is_validated_too():
    with pytest.raises(ValueError, match="true_topic_word rows must sum to one"):
        topic_word_error(_TW * 2, _TW)
    with pytest.raises(ValueError, match="true_domain_topic has a negative entry"):
        domain_topic_error([[1.2, -0.2]], [[0.5, 0.5]], permutation=None)
    with pytest.raises(ValueError, match=r"same shape, got \(1, 2\) and \(2, 2\)"):
        domain_topic_error([[0.5, 0.5]], [[0.5, 0.5], [1, 0]], permutation=None)


@pytest.mark.parametrize("perm, error, message", [
    ([0, 0], ValueError, "1 is missing"),
    ([0], ValueError, "permutation must have n_topics = 2 entries, got 1"),
    ([0, 2], ValueError, r"permutation\[1\] = 2 is out of range"),
    ([0, -1], ValueError, "permutation must be non-negative"),
    ([0.0, 1.5], ValueError, "not an integer"),
])
def test_bad_permutations(perm, error, message):
    with pytest.raises(error, match=message):
        topic_word_error(_TW, _TW, permutation=perm)
    with pytest.raises(error, match=message):
        domain_topic_error(_TW.T / _TW.T.sum(1, keepdims=True), _TW.T / _TW.T.sum(1, keepdims=True),
                           permutation=perm)


def test_domain_topic_error_requires_explicit_permutation():
    with pytest.raises(TypeError, match="permutation"):
        domain_topic_error([[1.0, 0.0]], [[1.0, 0.0]])


@pytest.mark.parametrize("y_true, y_pred, message", [
    ([0, 1], [0], "same length, got 2 and 1"),
    ([], [], "y_true is empty"),
    ([0, -1], [0, 1], r"y_true must be non-negative; y_true\[1\] = -1"),
    ([0, 1], [0, 1.5], r"y_pred must be integer ids; y_pred\[1\] = 1.5"),
    ([[0, 1]], [[0, 1]], "y_true must be 1-dimensional"),
])
def test_matched_accuracy_bad_input(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        matched_accuracy(y_true, y_pred)


@pytest.mark.parametrize("args, message", [
    (([0, 3], [0, 1], 3, 2), r"words\[1\] = 3 is out of range: it must be < n_words = 3"),
    (([0, 1], [0, 2], 3, 2), r"labels\[1\] = 2 is out of range: it must be < n_topics = 2"),
    (([0, 1], [0], 3, 2), "same length, got 2 and 1"),
    (([], [], 3, 2), "words is empty"),
    (([0], [0], 0, 2), "n_words must be an integer >= 1"),
])
def test_oracle_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        oracle_topic_word(*args)


def test_match_labels_inverts_a_relabelling_and_agrees_with_matched_accuracy():
    from llstopic import match_labels

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, size=500)
    relabel = np.array([2, 0, 3, 1])
    y_pred = relabel[y_true]
    noisy = y_pred.copy()
    noisy[:60] = rng.integers(0, 4, size=60)
    perm = match_labels(y_true, noisy, 4)
    np.testing.assert_array_equal(perm, relabel)  # estimated label perm[i] plays true label i
    inverse = np.argsort(perm)
    assert np.mean(inverse[noisy] == y_true) == pytest.approx(matched_accuracy(y_true, noisy))
    # a predicted label that never occurs still gets a place in the permutation
    assert sorted(match_labels([0, 1, 2], [0, 0, 1], 3)) == [0, 1, 2]


@pytest.mark.parametrize("args, match", [
    (([0, 1], [0], 2), "same length"),
    (([0, 3], [0, 1], 3), "y_true\\[1\\] = 3 is out of range: it must be < n_labels = 3"),
    (([0, 1], [0, -1], 2), "y_pred must be non-negative"),
    (([0], [0], 0), "n_labels must be an integer >= 1"),
])
def test_match_labels_bad_input(args, match):
    from llstopic import match_labels

    with pytest.raises(ValueError, match=match):
        match_labels(*args)
