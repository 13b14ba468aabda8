"""One contract, every factorizer (after gensim's ``test/basetmtests.py``).

Every test here runs for every name in ``llstopic.factorizers.available()``:
the built-in back ends, the README's user factorizer (registered by
``test_user_factorizer.run_snippet``) and any factorizer registered in the
future.  A new back end needs nothing here except, if it is slow, an entry in
``FAST`` (cheap settings for the interface tests) and its recovery tolerance
in ``RECOVERY_FACTOR``.  A back end on an optional package (tomotopy) is listed
by ``available()``, and so tested here, only when the package is installed.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import llstopic
from llstopic import Corpus, load, make_factorizer
from llstopic.factorizers import available
from llstopic.metrics import topic_word_error
from llstopic.synthetic import make_finite_lls
from test_user_factorizer import run_snippet

run_snippet()  # registers the README example, so that it is held to the same contract
NAMES = available()

#: cheap settings for the interface tests (the recovery test uses the defaults)
FAST = {"lda": dict(passes=20, n_init=1), "tomotopy": dict(iterations=60, burn_in=30)}

#: recovery tolerance: topic_word_error < factor * oracle error (see test_recovery)
RECOVERY_FACTOR = {"anchor": 2.0, "nmf": 2.0, "lda": 2.0, "sklearn-lda": 2.0, "tomotopy": 2.0}
DEFAULT_RECOVERY_FACTOR = 2.0


def _fast(name, **params):
    return make_factorizer(name, 3, **{**FAST.get(name, {}), **params})


@pytest.fixture(scope="module")
def problem():
    """A small LLS problem: 3 topics, 8 domains of 4,000 tokens, 60 words."""
    return make_finite_lls(60, 3, 8, 4_000, alpha=1.0, beta=0.2, random_state=11)


@pytest.fixture(scope="module")
def fitted(problem):
    """One fitted model per factorizer, shared by the read-only tests."""
    return {name: _fast(name, random_state=0).fit(problem.corpus) for name in NAMES}


def _on_simplex(array, axis=1):
    assert np.all(np.isfinite(array)) and (array >= 0).all()
    np.testing.assert_allclose(array.sum(axis=axis), 1.0, atol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_fit_returns_self_with_shapes_on_the_simplex(name, problem):
    model = _fast(name, random_state=0)
    assert model.fit(problem.corpus) is model
    assert model.topic_word_.shape == (3, 60) and model.domain_topic_.shape == (8, 3)
    assert (model.n_topics_, model.n_words_in_, model.n_domains_) == (3, 60, 8)
    _on_simplex(model.topic_word_)
    _on_simplex(model.domain_topic_)


@pytest.mark.parametrize("name", NAMES)
def test_same_random_state_same_result_bit_for_bit(name, problem, fitted):
    # every built-in back end is bit-for-bit reproducible with a fixed seed; the
    # exceptions are GensimLDA(workers > 1), whose worker processes merge in finishing
    # order, and TomotopyLDA(workers > 1), whose sampler threads do the same
    again = _fast(name, random_state=0).fit(problem.corpus)
    np.testing.assert_array_equal(again.topic_word_, fitted[name].topic_word_)
    np.testing.assert_array_equal(again.domain_topic_, fitted[name].domain_topic_)


@pytest.mark.parametrize("name", NAMES)
def test_dense_csr_and_corpus_inputs_agree(name, problem, fitted):
    dense = problem.corpus.toarray()
    for X in (dense, sp.csr_matrix(dense), dense.astype(np.float64),
              Corpus.from_matrix(dense, vocabulary=[f"w{i}" for i in range(60)])):
        model = _fast(name, random_state=0).fit(X)
        np.testing.assert_array_equal(model.topic_word_, fitted[name].topic_word_)
        np.testing.assert_array_equal(model.domain_topic_, fitted[name].domain_topic_)


@pytest.mark.parametrize("name", NAMES)
def test_transform_of_training_data_is_close_to_domain_topic(name, problem, fitted):
    model = fitted[name]
    out = model.transform(problem.corpus)
    assert out.shape == (8, 3)
    _on_simplex(out)
    # ML proportions (the default transform) vs a back end's own p_d(y): same model, same data
    np.testing.assert_allclose(out, model.domain_topic_, atol=0.05)


@pytest.mark.parametrize("name", NAMES)
def test_posterior_and_predict(name, problem, fitted):
    model = fitted[name]
    words, domains = problem.words[:500], problem.domains[:500]
    post = model.posterior(words, domains)
    assert post.shape == (500, 3)
    _on_simplex(post)
    pred = model.predict(words, domains)
    assert pred.shape == (500,) and pred.dtype.kind == "i"
    np.testing.assert_array_equal(pred, post.argmax(axis=1))


@pytest.mark.parametrize("name", NAMES)
def test_log_likelihood_beats_the_uniform_model(name, problem, fitted):
    model = fitted[name]
    uniform = -np.log(problem.corpus.n_words)
    # the training sample and the (rounded) expected counts both come from the truth
    for X in (problem.corpus, np.rint(problem.expected_counts()).astype(np.int64)):
        value = model.log_likelihood(X)
        assert np.isfinite(value) and value > uniform + 0.1


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip_is_exact(name, problem, fitted, tmp_path):
    model = fitted[name]
    model.save(tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    for attr in ("topic_word_", "domain_topic_", *model._saved_attributes):
        a, b = getattr(model, attr, None), getattr(loaded, attr, None)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(b, a)
        else:
            assert b == a, attr
    assert not hasattr(loaded, "model_")
    np.testing.assert_array_equal(loaded.transform(problem.corpus), model.transform(problem.corpus))
    assert loaded.log_likelihood(problem.corpus) == model.log_likelihood(problem.corpus)


@pytest.mark.parametrize("name", NAMES)
def test_clone_and_not_fitted_errors(name, fitted):
    model = fitted[name]
    twin = clone(model)
    assert type(twin) is type(model) and twin.get_params() == model.get_params()
    assert not hasattr(twin, "topic_word_")
    for call in (lambda: twin.transform(np.ones((2, 60), dtype=int)), lambda: twin.posterior([0], [0]),
                 lambda: twin.predict([0], [0]), lambda: twin.log_likelihood(np.ones((2, 60), dtype=int)),
                 lambda: twin.top_words(), lambda: twin.save("never-written.npz")):
        with pytest.raises(NotFittedError, match="is not fitted yet"):
            call()


# ------------------------------------------------------------------ bad input
# every factorizer must fail the same way, with the same message: validation lives in the base
GOOD = np.arange(12).reshape(3, 4) % 5
BAD_FITS = {
    "negative count": (dict(X=np.array([[1, -1, 0, 0], [1, 1, 1, 1]])), ValueError,
                       "X must hold non-negative counts, found -1 at position (0, 1)"),
    "nan count": (dict(X=np.array([[1.0, np.nan, 0, 0], [1, 1, 1, 1]])), ValueError,
                  "X contains a non-finite count nan at position (0, 1)"),
    "fractional count": (dict(X=np.array([[1.0, 0.5, 0, 0], [1, 1, 1, 1]])), ValueError,
                         "X must hold integer counts, found 0.5 at position (0, 1)"),
    "no tokens": (dict(X=np.zeros((3, 4))), ValueError,
                  "X holds no tokens (every count is zero); at least one token is required"),
    "empty corpus": (dict(X=Corpus.from_matrix(np.zeros((3, 4), dtype=int))), ValueError,
                     "X holds no tokens (every count is zero); at least one token is required"),
    "1-d counts": (dict(X=np.ones(4)), ValueError,
                   "X must be 2-dimensional (n_domains, n_words), got shape (4,)"),
    "string": (dict(X="counts"), TypeError, "X must be an array-like or scipy sparse matrix, got str"),
    "zero topics": (dict(n_topics=0), ValueError, "n_topics must be an integer >= 1 or 'auto', got 0"),
    "fractional topics": (dict(n_topics=2.5), TypeError, "n_topics must be an integer >= 1 or 'auto', got float: 2.5"),
    "too many topics": (dict(n_topics=5), ValueError,
                        "n_topics = 5 is larger than the number of words n_words = 4"),
    "bad random_state": (dict(random_state="seed"), TypeError,
                         "random_state must be None, an integer >= 0, a numpy Generator or a RandomState, "
                         "got str: 'seed'"),
}


@pytest.mark.parametrize("case", list(BAD_FITS))
def test_bad_fit_input_fails_identically_everywhere(case):
    kwargs, exc, message = BAD_FITS[case]
    seen = {}
    for name in NAMES:
        params = {**FAST.get(name, {})}
        if "random_state" in kwargs:
            params["random_state"] = kwargs["random_state"]
        model = make_factorizer(name, kwargs.get("n_topics", 2), **params)
        with pytest.raises(exc) as info:
            model.fit(kwargs.get("X", GOOD))
        seen[name] = (info.type, str(info.value))
    assert set(seen.values()) == {(exc, message)}, seen


def test_bad_new_data_fails_identically_everywhere(fitted):
    cases = [
        (lambda m: m.transform(np.ones((2, 59), dtype=int)), ValueError,
         "X has 59 words (columns) but the factorizer was fitted with n_words = 60"),
        (lambda m: m.transform(np.array([[1, -2] + [0] * 58])), ValueError,
         "X must hold non-negative counts, found -2 at position (0, 1)"),
        (lambda m: m.log_likelihood(np.ones((2, 61), dtype=int)), ValueError,
         "X has 61 words (columns) but the factorizer was fitted with n_words = 60"),
        (lambda m: m.top_words(0), ValueError, "n must be an integer >= 1, got 0"),
    ]
    for call, exc, message in cases:
        seen = {}
        for name in NAMES:
            with pytest.raises(exc) as info:
                call(fitted[name])
            seen[name] = (info.type, str(info.value))
        assert set(seen.values()) == {(exc, message)}, seen
    for call in (lambda m: m.posterior([0, 60], [0, 0]), lambda m: m.predict([0], [8])):
        seen = {}
        for name in NAMES:
            with pytest.raises(ValueError) as info:
                call(fitted[name])
            seen[name] = str(info.value)
        assert len(set(seen.values())) == 1, seen


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError) as info:
        make_factorizer("pca", 3)
    assert str(info.value) == f"unknown factorizer 'pca'; available: {', '.join(NAMES)}"
    assert {"anchor", "lda", "nmf"} <= set(NAMES) == set(llstopic.available())


# ------------------------------------------------------------------ recovery
@pytest.fixture(scope="module")
def recovery_problem():
    """4 topics with anchors, 12 domains of 10,000 tokens, 100 words: the LLS regime."""
    return make_finite_lls(100, 4, 12, 10_000, alpha=0.5, beta=0.1, random_state=4)


@pytest.mark.parametrize("name", NAMES)
def test_recovery_within_a_multiple_of_the_oracle_error(name, recovery_problem):
    # The oracle counts p(x|y) with the true labels: no method does better on
    # this sample (oracle error 0.0244).  Measured with random_state=0, error /
    # oracle error: anchor 1.2, nmf 1.3, lda 1.2, sklearn-lda 1.4, tomotopy 1.2;
    # the common factor 2 leaves room for platform rounding, not for another answer (a
    # merged or split topic costs a factor of 10 or more).  This is a regression
    # check on one fixed problem, not a ranking: on other seeds of the same
    # generator the ratios of every method spread from about 1.2 to 6, and up
    # to 11 for NMF and LDA when they stop on the wrong point of a flat
    # likelihood ridge (benchmarks/lda_lls_settings.py).
    problem = recovery_problem
    oracle = topic_word_error(problem.topic_word, problem.oracle_topic_word())
    model = make_factorizer(name, 4, random_state=0).fit(problem.corpus)
    error = topic_word_error(problem.topic_word, model.topic_word_)
    factor = RECOVERY_FACTOR.get(name, DEFAULT_RECOVERY_FACTOR)
    assert error < factor * oracle, f"{name}: error {error:.4f}, oracle {oracle:.4f}"
