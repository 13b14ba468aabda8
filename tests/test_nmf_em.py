"""NMF(engine="em"): KL-NMF of p(x|d) by EM over the non-zeros, against scikit-learn and the twins."""

import logging
import os

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.decomposition import NMF as SkNMF
from sklearn.exceptions import ConvergenceWarning

import _reference
import llstopic
from llstopic import NMF
from llstopic.factorizers import _nmf_em, _polish, nmf
from llstopic.factorizers.nmf import choose_engine
from llstopic.metrics import topic_word_error
from llstopic.synthetic import make_finite_lls

DATA = os.path.join(os.path.dirname(__file__), "data")


@pytest.fixture(scope="module")
def documents():
    """The topic-model regime: 1,000 documents of 100 tokens, 300 words, 4 topics."""
    return make_finite_lls(300, 4, 1000, 100, alpha=1.0, beta=0.1, random_state=3)


@pytest.fixture(scope="module")
def domains():
    """The LLS regime: 8 domains of 4,000 tokens, 60 words, 3 topics (the conformance problem)."""
    return make_finite_lls(60, 3, 8, 4_000, alpha=1.0, beta=0.2, random_state=11)


def _word_given_domain(counts):
    counts = np.asarray(counts, dtype=np.float64)
    lengths = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, lengths, out=np.zeros_like(counts), where=lengths > 0)


def _generalized_kl(x, fitted):
    """sum over all entries of x log(x / fitted) - x + fitted (0 log 0 = 0), written out densely."""
    x, fitted = np.asarray(x, dtype=np.float64), np.asarray(fitted, dtype=np.float64)
    nz = x > 0
    return float((x[nz] * np.log(x[nz] / fitted[nz])).sum() - x.sum() + fitted.sum())


# ------------------------------------------------------------ the EM entry point
def test_first_steps_on_fractional_weights_are_the_slow_twins_em_steps(domains):
    # em_weights is polish minus validation, on weights that are not counts
    x = _word_given_domain(domains.corpus.toarray())
    rng = np.random.default_rng(0)
    domain_topic, topic_word = _nmf_em.dirichlet_start(rng, *x.shape, 3)
    for n_steps in (1, 2):  # SQUAREM's cycle starts with two plain steps
        result = _polish.em_weights(sp.csr_matrix(x), topic_word, domain_topic.copy(),
                                    max_iter=n_steps, tol=1e-12)
        expected_tw, expected_dt = _reference.em_polish(x, topic_word, domain_topic, n_steps)
        assert result.n_iter == n_steps
        np.testing.assert_allclose(result.topic_word, expected_tw, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(result.domain_topic, expected_dt, rtol=1e-10, atol=1e-14)


def test_the_offset_moves_only_the_objective(domains):
    x = sp.csr_matrix(_word_given_domain(domains.corpus.toarray()))
    domain_topic, topic_word = _nmf_em.dirichlet_start(np.random.default_rng(1), *x.shape, 3)
    plain = _polish.em_weights(x, topic_word, domain_topic.copy(), max_iter=7, tol=1e-12)
    shifted = _polish.em_weights(x, topic_word, domain_topic.copy(), max_iter=7, tol=1e-12,
                                 offset=-5.0)
    np.testing.assert_array_equal(plain.topic_word, shifted.topic_word)
    np.testing.assert_array_equal(plain.history, shifted.history)
    np.testing.assert_allclose(shifted.objective_history, plain.history - 5.0 / x.data.sum())


# ------------------------------------------------------------------ the objective
def test_reconstruction_error_is_sklearns_quantity_computed_by_hand(documents):
    x = _word_given_domain(documents.corpus.toarray())
    # scikit-learn reports sqrt(2 D) of its own factors ...
    reference = SkNMF(4, init="nndsvda", solver="mu", beta_loss="kullback-leibler", random_state=0)
    weights = reference.fit_transform(sp.csr_matrix(x))
    d_sklearn = _generalized_kl(x, weights @ reference.components_)
    assert reference.reconstruction_err_ == pytest.approx(np.sqrt(2 * d_sklearn), rel=1e-9)
    # ... and so does the EM engine, of its normalised factors (whose rows of W H sum to one)
    model = NMF(4, engine="em", topic_word_prior=0.0, random_state=0).fit(documents.corpus)
    d_em = _generalized_kl(x, model.domain_topic_ @ model.topic_word_)
    assert model.reconstruction_err_ == pytest.approx(np.sqrt(2 * d_em), rel=1e-9)


def test_em_reaches_sklearns_divergence(documents):
    # measured D: scikit-learn 572.817 (40 iterations), EM 572.856 (36 steps) at the default
    # tol, 572.738 (59 steps) at tol=1e-6.  The rules differ (see NMF's tol), so at equal
    # settings the bound is 0.1% (measured: 0.007%); at tol=1e-6 EM must be at least as good.
    sk = NMF(4, engine="sklearn", random_state=0).fit(documents.corpus)
    em = NMF(4, engine="em", random_state=0).fit(documents.corpus)
    tight = NMF(4, engine="em", tol=1e-6, max_iter=1000, random_state=0).fit(documents.corpus)
    assert em.reconstruction_err_ ** 2 <= sk.reconstruction_err_ ** 2 * (1 + 1e-3)
    assert tight.reconstruction_err_ <= sk.reconstruction_err_
    assert (em.engine_, em.model_, sk.engine_) == ("em", None, "sklearn")


def test_em_recovers_the_planted_topics_as_well_as_sklearn(documents):
    # measured error / oracle error: scikit-learn 1.211, EM 1.198; the bound is scikit-learn's
    # own error plus 10%, far from a merged or split topic (a factor of 10 or more)
    truth = documents.topic_word
    sk = topic_word_error(truth, NMF(4, engine="sklearn", random_state=0).fit(documents.corpus).topic_word_)
    em = topic_word_error(truth, NMF(4, engine="em", random_state=0).fit(documents.corpus).topic_word_)
    assert em <= 1.1 * sk


def test_same_seed_same_fit_bit_for_bit_other_seed_other_start(documents):
    first = NMF(4, engine="em", random_state=7).fit(documents.corpus)
    again = NMF(4, engine="em", random_state=7).fit(documents.corpus.toarray())
    other = NMF(4, engine="em", random_state=8).fit(documents.corpus)
    np.testing.assert_array_equal(first.topic_word_, again.topic_word_)
    np.testing.assert_array_equal(first.domain_topic_, again.domain_topic_)
    assert (first.n_iter_, first.reconstruction_err_) == (again.n_iter_, again.reconstruction_err_)
    assert not np.array_equal(first.topic_word_, other.topic_word_)


def test_max_iter_without_convergence_warns_like_sklearn(domains):
    with pytest.warns(ConvergenceWarning, match="Maximum number of EM steps 2 reached"):
        model = NMF(3, engine="em", max_iter=2, random_state=0).fit(domains.corpus)
    assert model.n_iter_ == 2


def test_post_processing_is_the_sklearn_paths(domains):
    raw = NMF(3, engine="em", topic_word_prior=0.0, random_state=0).fit(domains.corpus)
    smooth = NMF(3, engine="em", topic_word_prior=0.5, random_state=0).fit(domains.corpus)
    np.testing.assert_array_equal(smooth.domain_topic_, raw.domain_topic_)
    tokens = domains.corpus.domain_lengths().astype(float) @ raw.domain_topic_
    expected = (tokens[:, None] * raw.topic_word_ + 0.5) / (tokens + 0.5 * 60)[:, None]
    np.testing.assert_allclose(smooth.topic_word_, expected, rtol=1e-12)


def test_empty_domains_and_more_topics_than_domains():
    counts = np.array([[5, 0, 3, 1, 0], [0, 0, 0, 0, 0], [0, 4, 1, 0, 6]])
    model = NMF(4, engine="em", random_state=0).fit(counts)   # nndsvda could not start this
    np.testing.assert_allclose(model.domain_topic_[1], 0.25)
    assert np.isfinite(model.domain_topic_).all() and model.topic_word_.shape == (4, 5)
    assert model.reconstruction_err_ < 1e-3   # 4 topics fit 2 domains exactly


def test_contract_with_the_em_engine(domains, tmp_path):
    # the conformance suite runs per registered name; the engine is a parameter, checked here
    model = NMF(3, engine="em", random_state=0).fit(domains.corpus)
    for array in (model.topic_word_, model.domain_topic_, model.transform(domains.corpus)):
        assert (array >= 0).all()
        np.testing.assert_allclose(array.sum(axis=1), 1.0, atol=1e-10)
    assert model.log_likelihood(domains.corpus) > -np.log(60) + 0.1   # per token: beats uniform
    np.testing.assert_allclose(model.transform(domains.corpus), model.domain_topic_, atol=0.05)
    model.save(tmp_path / "em.npz")
    loaded = llstopic.load(tmp_path / "em.npz")
    assert loaded.engine_ == "em" and loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.topic_word_, model.topic_word_)
    sk = NMF(3, random_state=0).fit(domains.corpus)
    sk.save(tmp_path / "sk.npz")
    assert llstopic.load(tmp_path / "sk.npz").engine_ == "sklearn"


def test_files_saved_before_engines_load_and_save_again(tmp_path):
    model = llstopic.load(os.path.join(DATA, "saved_v1_nmf.npz"))
    assert not hasattr(model, "engine_") and model.engine == "auto" and model.init == "random"
    model.save(tmp_path / "again.npz")
    again = llstopic.load(tmp_path / "again.npz")
    assert again.engine_ is None and again.get_params() == model.get_params()


def test_logs_the_engine_steps_and_divergence(domains, caplog):
    with caplog.at_level(logging.INFO, logger="llstopic.factorizers.nmf"):
        model = NMF(3, engine="em", random_state=0).fit(domains.corpus)
    line = [r.getMessage() for r in caplog.records if r.name == "llstopic.factorizers.nmf"]
    assert line == [f"NMF (em): {model.n_iter_} EM steps (cap 200), divergence "
                    f"{model.reconstruction_err_:.6g}"]


# ------------------------------------------------------------------ choosing
@pytest.mark.parametrize("engine, loss, init, params, work, expected", [
    ("auto", "kullback-leibler", None, {}, 2e8, "em"),
    ("auto", "kullback-leibler", None, {}, 2e8 - 1, "sklearn"),
    ("auto", "frobenius", None, {}, 1e12, "sklearn"),
    ("auto", "kullback-leibler", "nndsvda", {}, 1e12, "sklearn"),   # init asks for scikit-learn
    ("auto", "kullback-leibler", None, {"solver": "mu"}, 1e12, "sklearn"),
    ("auto", "kullback-leibler", None, {"verbose": 0}, 1e12, "sklearn"),
    ("sklearn", "kullback-leibler", None, {}, 1e12, "sklearn"),
    ("em", "kullback-leibler", None, {}, 1, "em"),
])
def test_the_engine_rule(engine, loss, init, params, work, expected):
    assert choose_engine(engine, loss, init, params, nnz=int(work), n_topics=1) == expected
    assert nmf._EM_MIN_WORK == 2e8


def test_auto_picks_sklearn_on_small_corpora_and_em_above_the_threshold(domains, monkeypatch):
    model = NMF(3, random_state=0).fit(domains.corpus)
    assert model.engine_ == "sklearn" and model.model_ is not None
    monkeypatch.setattr(nmf, "_EM_MIN_WORK", domains.corpus.counts.nnz * 3)
    model = NMF(3, random_state=0).fit(domains.corpus)
    assert model.engine_ == "em" and model.model_ is None
    assert NMF(3, init="nndsvda", random_state=0).fit(domains.corpus).engine_ == "sklearn"


@pytest.mark.parametrize("params, message", [
    (dict(loss="frobenius"), "engine='em' fits loss='kullback-leibler' from its own start and takes "
     "no scikit-learn options, got loss='frobenius'; use engine='sklearn'"),
    (dict(init="random"), "engine='em' fits loss='kullback-leibler' from its own start and takes "
     "no scikit-learn options, got init='random'; use engine='sklearn'"),
    (dict(solver="mu", alpha_W=0.1), "engine='em' fits loss='kullback-leibler' from its own start "
     "and takes no scikit-learn options, got solver='mu', alpha_W=0.1; use engine='sklearn'"),
])
def test_em_refuses_sklearn_only_settings_before_any_work(params, message, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("a fit was reached")

    monkeypatch.setattr(_nmf_em, "fit_em", never)
    monkeypatch.setattr(SkNMF, "fit_transform", never)
    with pytest.raises(ValueError) as info:
        NMF(2, engine="em", **params).fit(np.array([[3, 0, 1, 2], [0, 2, 2, 1]]))
    assert str(info.value) == message


def test_unknown_engine_is_named():
    with pytest.raises(ValueError, match="engine must be one of 'auto', 'sklearn', 'em', got 'fast'"):
        NMF(2, engine="fast").fit(np.array([[3, 0, 1, 2], [0, 2, 2, 1]]))
