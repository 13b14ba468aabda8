"""NMF back end: the reference normalisation, scikit-learn pass-through, our validation."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.decomposition import NMF as SkNMF
from sklearn.exceptions import ConvergenceWarning

import llstopic
from llstopic import NMF
from llstopic._validation import check_random_state, seed_from
from llstopic.factorizers.nmf import _normalise_factors
from llstopic.synthetic import make_finite_lls


@pytest.fixture(scope="module")
def problem():
    return make_finite_lls(50, 3, 6, 3_000, alpha=1.0, beta=0.2, random_state=5)


def test_factors_are_normalised_as_in_the_reference_code(problem):
    # the latent-label-shift reference code: NMF of p(x|d), column sums of the
    # word factor moved into the domain factor, then both normalised
    counts = problem.corpus.toarray().astype(float)
    word_given_domain = counts / counts.sum(axis=1, keepdims=True)
    reference = SkNMF(3, init="nndsvda", solver="mu", beta_loss="kullback-leibler", max_iter=1000,
                      tol=1e-4, random_state=seed_from(check_random_state(0)))
    domain_weights = reference.fit_transform(sp.csr_matrix(word_given_domain))
    topic_weights = reference.components_
    mass = topic_weights.sum(axis=1)
    expected_topic_word = topic_weights / mass[:, None]
    expected_domain_topic = domain_weights * mass
    expected_domain_topic /= expected_domain_topic.sum(axis=1, keepdims=True)

    model = NMF(3, max_iter=1000, topic_word_prior=0.0, random_state=0).fit(problem.corpus)
    np.testing.assert_allclose(model.topic_word_, expected_topic_word, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(model.domain_topic_, expected_domain_topic, rtol=1e-12, atol=1e-15)
    assert model.n_iter_ == reference.n_iter_
    assert model.reconstruction_err_ == pytest.approx(reference.reconstruction_err_, rel=1e-12)


def test_sparse_input_stays_sparse(problem, monkeypatch):
    seen = []
    original = SkNMF.fit_transform

    def spy(self, X, *args, **kwargs):
        seen.append((sp.issparse(X), X.format if sp.issparse(X) else None))
        return original(self, X, *args, **kwargs)

    monkeypatch.setattr(SkNMF, "fit_transform", spy)
    NMF(3, random_state=0).fit(problem.corpus.toarray())
    assert seen == [(True, "csr")]


def test_loss_picks_the_solver_and_frobenius_works(problem):
    kl = NMF(3, random_state=0).fit(problem.corpus)
    assert kl.model_.solver == "mu" and kl.model_.beta_loss == "kullback-leibler"
    frob = NMF(3, loss="frobenius", random_state=0).fit(problem.corpus)
    assert frob.model_.solver == "cd" and frob.model_.beta_loss == "frobenius"
    frob_mu = NMF(3, loss="frobenius", solver="mu", random_state=0).fit(problem.corpus)
    assert frob_mu.model_.solver == "mu"
    for model in (frob, frob_mu):
        np.testing.assert_allclose(model.topic_word_.sum(axis=1), 1.0)
        assert model.log_likelihood(problem.corpus) > -np.log(50)


def test_convergence_warnings_reach_the_user(problem):
    with pytest.warns(ConvergenceWarning, match="Maximum number of iterations 2 reached"):
        NMF(3, max_iter=2, random_state=0).fit(problem.corpus)


def test_sklearn_params_are_parameters(problem, tmp_path):
    model = llstopic.make_factorizer("nmf", 3, alpha_W=0.01, l1_ratio=0.5, random_state=0)
    assert model.get_params()["alpha_W"] == 0.01 and "alpha_W=0.01" in repr(model)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    model.set_params(alpha_W=0.02, tol=1e-5)
    assert model.get_params()["alpha_W"] == 0.02 and model.tol == 1e-5
    model.fit(problem.corpus)
    assert model.model_.alpha_W == 0.02 and model.model_.l1_ratio == 0.5
    model.save(tmp_path / "nmf.npz")
    loaded = llstopic.load(tmp_path / "nmf.npz")
    assert loaded.get_params() == model.get_params()


def test_empty_domain_gets_the_uniform_row(problem):
    counts = problem.corpus.toarray()
    counts[2] = 0
    model = NMF(3, random_state=0).fit(counts)
    np.testing.assert_allclose(model.domain_topic_[2], 1 / 3)
    assert np.isfinite(model.domain_topic_).all()


def test_dead_topic_becomes_uniform_with_no_weight():
    domain_weights = np.array([[1.0, 2.0], [0.5, 0.0]])
    topic_weights = np.array([[0.2, 0.2, 0.6], [0.0, 0.0, 0.0]])
    with pytest.warns(RuntimeWarning, match=r"1 topic\(s\) with no mass \(topics \[1\]\)"):
        topic_word, domain_topic = _normalise_factors(domain_weights, topic_weights, np.array([True, True]))
    np.testing.assert_allclose(topic_word, [[0.2, 0.2, 0.6], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(domain_topic, [[1.0, 0.0], [0.5, 0.0]])


def test_random_init_allows_more_topics_than_domains():
    counts = np.array([[5, 0, 3, 1, 0], [0, 4, 1, 0, 6]])
    model = NMF(3, init="random", random_state=0).fit(counts)
    assert model.topic_word_.shape == (3, 5)


@pytest.mark.parametrize("params, exc, message", [
    (dict(loss="itakura-saito"), ValueError,
     "loss must be one of 'kullback-leibler', 'frobenius', got 'itakura-saito'"),
    (dict(init="custom"), ValueError,
     "init must be None or one of 'nndsvda', 'nndsvd', 'nndsvdar', 'random', got 'custom'"),
    (dict(n_topics=3), ValueError,
     "init='nndsvda' needs n_topics <= min(n_domains, n_words) = 2, got n_topics = 3; use init='random'"),
    (dict(max_iter=0), ValueError, "max_iter must be an integer >= 1, got 0"),
    (dict(max_iter=1.5), TypeError, "max_iter must be an integer >= 1, got float: 1.5"),
    (dict(tol=-1.0), ValueError, "tol must be a finite number >= 0.0, got -1.0"),
    (dict(tol="small"), TypeError, "tol must be a finite number >= 0.0, got str: 'small'"),
    (dict(n_components=3), ValueError,
     "NMF: parameter n_components=3 cannot be passed to sklearn.decomposition.NMF: use n_topics"),
    (dict(beta_loss="frobenius"), ValueError,
     "NMF: parameter beta_loss='frobenius' cannot be passed to sklearn.decomposition.NMF: use "
     "loss='kullback-leibler' or loss='frobenius'"),
    (dict(alpha=0.1), TypeError,
     "NMF got an unexpected parameter alpha=0.1; sklearn.decomposition.NMF accepts alpha_H, alpha_W, "
     "l1_ratio, shuffle, solver, verbose"),
    (dict(solver="cd"), ValueError,
     "solver='cd' supports only loss='frobenius', got loss='kullback-leibler'; use solver='mu'"),
    (dict(solver="lbfgs"), ValueError, "solver must be one of 'mu', 'cd', got 'lbfgs'"),
    (dict(alpha_W=-1.0), ValueError, "alpha_W must be a finite number >= 0.0, got -1.0"),
    (dict(alpha_H="other"), ValueError, "alpha_H must be a finite number >= 0.0 or 'same', got 'other'"),
    (dict(l1_ratio=2.0), ValueError, "l1_ratio must be a number in [0.0, 1.0], got 2.0"),
    (dict(shuffle="yes"), TypeError, "shuffle must be a bool, got str: 'yes'"),
])
def test_bad_parameters_get_our_message_before_any_work(params, exc, message, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("scikit-learn was reached")

    monkeypatch.setattr(SkNMF, "fit_transform", never)
    n_topics = params.pop("n_topics", 2)
    with pytest.raises(exc) as info:
        llstopic.make_factorizer("nmf", n_topics, **params).fit(np.array([[3, 0, 1, 2], [0, 2, 2, 1]]))
    assert str(info.value) == message


def test_topic_word_prior_is_a_dirichlet_posterior_mean_and_keeps_held_out_words_finite(problem):
    raw = NMF(3, topic_word_prior=0.0, random_state=0).fit(problem.corpus)
    smooth = NMF(3, topic_word_prior=0.5, random_state=0).fit(problem.corpus)
    np.testing.assert_allclose(smooth.domain_topic_, raw.domain_topic_, rtol=1e-12)
    lengths = problem.corpus.domain_lengths().astype(float)
    tokens = lengths @ raw.domain_topic_                          # N_y
    n_words = problem.corpus.n_words
    expected = (tokens[:, None] * raw.topic_word_ + 0.5) / (tokens + 0.5 * n_words)[:, None]
    np.testing.assert_allclose(smooth.topic_word_, expected, rtol=1e-12)
    assert (raw.topic_word_ == 0).any() and (smooth.topic_word_ > 0).all()
    # the default prior gives every word positive probability, so no held-out token scores -inf
    assert (NMF(3, random_state=0).fit(problem.corpus).topic_word_ > 0).all()
