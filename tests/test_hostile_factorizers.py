"""Hostile parameters and counts for every factorizer: refused in our words before any work.

A bad value is a ValueError/TypeError naming the parameter, the value and what
was expected, raised before the back end (numba, scikit-learn, gensim) runs;
the message never uses a back end's own parameter names (``n_components``).
"""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import llstopic
from llstopic import Factorizer

FAST = settings(max_examples=60, deadline=None)
METHODS = ["anchor", "nmf", "lda"]
COUNTS = np.array([[30, 0, 10, 5], [0, 20, 20, 1], [15, 10, 15, 0]])


class Reached(Exception):
    """Raised when a fit gets past validation."""


@pytest.fixture(autouse=True)
def no_training(monkeypatch):
    """Every fit stops where the work would start."""
    from llstopic.factorizers import _registry

    for name in METHODS:
        def never(self, corpus, rng):
            raise Reached
        monkeypatch.setattr(_registry.resolve(name), "_fit", never)


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.integers(2**63 - 1, 2**64),
                    st.floats(allow_nan=True), st.text(max_size=4), st.sampled_from(
                        ["kl", "l2", "auto", "frobenius", "random", "mu", "cd", "symmetric", 1 + 2j]),
                    st.lists(st.floats(0.1, 2), max_size=3), st.just(np.int64(2)),
                    st.just(np.float32(0.5)), st.just(object()))


@FAST
@given(st.sampled_from(METHODS), st.data())
def test_any_parameter_value_is_refused_in_our_words_or_reaches_the_work(method, data):
    model = llstopic.make_factorizer(method, 2)
    name = data.draw(st.sampled_from(sorted(set(model.get_params()) - {"n_topics"})))
    value = data.draw(_VALUES)
    model.set_params(**{name: value})
    try:
        model.fit(COUNTS)
    except Reached:
        return
    except (ValueError, TypeError) as exc:
        text = str(exc)
        assert "n_components" not in text and "num_topics" not in text
        assert name in text or "alpha" in text or "solver" in text, text


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name, value", [("n_topics", True), ("n_topics", 2.0), ("n_topics", "2"),
                                         ("random_state", True), ("random_state", -1)])
def test_booleans_and_strings_are_not_integers(method, name, value):
    params = {"n_topics": 2, name: value}
    model = llstopic.make_factorizer(method, params.pop("n_topics"), **params)
    with pytest.raises((TypeError, ValueError), match=name):
        model.fit(COUNTS)


@pytest.mark.parametrize("method, params, part", [
    ("anchor", dict(rectify=1), "rectify must be a bool, got int: 1"),
    ("anchor", dict(tol=True), "tol must be a finite number >= 0.0, got bool"),
    ("anchor", dict(max_iter=np.True_), "max_iter must be an integer >= 1, got bool"),
    ("nmf", dict(shuffle=1), "shuffle must be a bool"),
    ("nmf", dict(tol=float("inf")), "tol must be a finite number >= 0.0, got inf"),
    ("lda", dict(alpha=["0.1", "0.2"]), "alpha must hold real numbers, got strings"),
    ("lda", dict(alpha=[0.1, 0]), "alpha must hold positive numbers"),
    ("lda", dict(eta=1 + 2j), "eta must be None, one of"),
    ("lda", dict(decay=True), "decay must be a number in [0.0, 1.0], got bool"),
])
def test_values_of_the_wrong_kind_are_refused(method, params, part):
    with pytest.raises((TypeError, ValueError)) as info:
        llstopic.make_factorizer(method, 2, **params).fit(COUNTS)
    assert part in str(info.value)


@pytest.mark.parametrize("method", METHODS)
def test_hostile_counts_are_refused_before_any_work(method):
    model = llstopic.make_factorizer(method, 2)
    bad_csr = sp.csr_matrix(COUNTS)
    bad_csr.indices = bad_csr.indices.copy()
    bad_csr.indices[0] = 99
    for X, part in ((bad_csr, "out of range"), ([[2**62] * 4] * 2, "tokens in total"),
                    (np.array([[1 + 1j, 2]]), "numeric counts"), ([["1", "2"]], "numeric counts"),
                    (np.zeros((2, 4)), "no tokens"), ([[True, False]], None)):
        if part is None:  # booleans as counts are one token each: accepted
            continue
        with pytest.raises((ValueError, TypeError), match=part):
            model.fit(X)


def test_top_words_refuses_booleans(monkeypatch):
    monkeypatch.undo()  # this one really fits
    model = llstopic.NMF(2, init="random", random_state=0).fit(COUNTS)
    with pytest.raises(TypeError, match="n must be an integer >= 1, got bool: True"):
        model.top_words(True)
    assert model.top_words(np.int64(2)) == model.top_words(2)


def test_make_factorizer_names_bad_parameters_itself():
    with pytest.raises(TypeError, match="no parameter 'alpha'; it takes representation, loss"):
        llstopic.make_factorizer("anchor", 2, alpha=1)
    with pytest.raises(TypeError, match="multiple values for argument 'n_topics'"):
        llstopic.make_factorizer("nmf", 2, n_topics=3)


def test_a_user_factorizer_without_a_table_keeps_working(monkeypatch):
    monkeypatch.undo()

    class Uniform(Factorizer):
        def __init__(self, n_topics, *, weight=1.0):
            self.n_topics = n_topics
            self.weight = weight

        def _fit(self, corpus, rng):
            k, n = self.n_topics, corpus.n_words
            return np.full((k, n), 1 / n), np.full((corpus.n_domains, k), 1 / k)

    assert Uniform(2, weight="anything").fit(COUNTS).topic_word_.shape == (2, 4)
    with pytest.raises(ValueError, match="n_topics must be an integer >= 1 or 'auto', got 0"):
        Uniform(0).fit(COUNTS)
