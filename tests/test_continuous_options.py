"""DDFA's options: precomputed and prefit p(d|x), cv modes, size-based defaults, chunking."""

import logging

import numpy as np
import pytest
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from llstopic.continuous import DDFA, DomainDiscretizer, _default, _discretizer, _discriminator
from llstopic.metrics import matched_accuracy

from test_continuous import FixedFactorizer, blobs, oracle_problem

PRECOMPUTED = r"X \(the precomputed p\(d\|x\)\)"


@pytest.fixture(scope="module")
def problem():
    return blobs(0, n_per_domain=120)


@pytest.fixture(scope="module")
def fitted_disc(problem):
    X, domains, _, _, _ = problem
    return DomainDiscretizer(3, random_state=0).fit(X, domains)


# ------------------------------------------------------------ precomputed p(d|x)
def test_precomputed_oracle_proba_gives_exact_labels():
    X, domains, labels, domain_topic, domain_given_topic = oracle_problem()
    proba = domain_given_topic[:, labels].T                       # exact p(d|x) = p(d|y)
    model = DDFA(3, n_words=3, factorizer=FixedFactorizer(3, domain_topic=domain_topic),
                 discriminator="precomputed", random_state=0).fit(proba, domains)
    assert model.discretizer_.cv_ == "precomputed" and model.discretizer_.C_ is None
    np.testing.assert_allclose(model.predict_proba(proba, domains), np.eye(3)[labels], atol=1e-9)
    assert model.n_features_in_ == 4


def test_precomputed_matches_the_default_pipeline(problem, fitted_disc):
    """Clustering the default's held-out p(d|x) as precomputed input gives the same words."""
    X, domains, _, _, _ = problem
    again = DomainDiscretizer(3, discriminator="precomputed", random_state=0)
    again.fit(fitted_disc.held_out_proba_, domains)
    np.testing.assert_array_equal(again.words_, fitted_disc.words_)
    proba = fitted_disc.domain_proba(X)
    np.testing.assert_array_equal(again.transform(proba), fitted_disc.transform(X))
    np.testing.assert_allclose(again.domain_proba(proba), proba)
    assert again.held_out_log_loss_ == pytest.approx(fitted_disc.held_out_log_loss_)


def _bad(proba, kind):
    proba = proba.copy()
    if kind == "sum":
        proba[3] *= 1.5
    elif kind == "negative":
        proba[2, :2] = [-0.1, proba[2, 0] + proba[2, 1] + 0.1]
    elif kind == "nan":
        proba[1, 1] = np.nan
    elif kind == "columns":
        proba = proba[:, :4]
    elif kind == "complex":
        proba = proba + 0j
    return proba


@pytest.mark.parametrize("kind, error, match", [
    ("sum", ValueError, PRECOMPUTED + " rows must sum to one; row 3"),
    ("negative", ValueError, PRECOMPUTED + r" has a negative entry -0.1 at position \(2, 0\)"),
    ("nan", ValueError, PRECOMPUTED + r" contains a non-finite value nan at position \(1, 1\)"),
    ("columns", ValueError, PRECOMPUTED + r" has 4 column\(s\) but there are 5 domains"),
    ("complex", TypeError, PRECOMPUTED + " must hold real numbers, got complex numbers"),
])
def test_precomputed_input_is_validated(problem, fitted_disc, kind, error, match):
    _, domains, _, _, _ = problem
    bad = _bad(fitted_disc.held_out_proba_, kind)
    for estimator in (DomainDiscretizer(3, discriminator="precomputed"),
                      DDFA(3, factorizer="anchor", discriminator="precomputed")):
        with pytest.raises(error, match=match):
            estimator.fit(bad, domains)
    model = DDFA(3, factorizer="anchor", discriminator="precomputed", random_state=0)
    model.fit(fitted_disc.held_out_proba_, domains)
    with pytest.raises(error, match=match):
        model.predict(bad)


def test_precomputed_rejects_a_cv_mode(problem, fitted_disc):
    _, domains, _, _, _ = problem
    with pytest.raises(ValueError, match="cv = 'split' has no effect with discriminator="):
        DomainDiscretizer(discriminator="precomputed", cv="split").fit(
            fitted_disc.held_out_proba_, domains)


# ------------------------------------------------------------ prefit and frozen
def test_prefit_discriminator_is_used_as_is(problem):
    X, domains, labels, _, _ = problem
    X_other, domains_other, _, _, _ = blobs(0, n_per_domain=120)   # same law, other draw
    X_other = X_other[::-1].copy()
    network = LogisticRegression(max_iter=500).fit(X_other, domains_other[::-1])
    disc = DomainDiscretizer(3, discriminator=network, cv="prefit", random_state=0)
    disc.fit(X, domains)
    assert disc.discriminator_ is network and disc.cv_ == "prefit"
    assert disc.held_out_mask_.all()
    np.testing.assert_allclose(disc.held_out_proba_, network.predict_proba(X))
    model = DDFA(3, factorizer="anchor", discretizer=disc, random_state=0).fit(X, domains)
    assert matched_accuracy(labels, model.predict(X, domains)) > 0.9


def test_frozen_estimator_behaves_like_prefit(problem):
    frozen = pytest.importorskip("sklearn.frozen")
    X, domains, _, _, _ = problem
    network = LogisticRegression(max_iter=500).fit(X, domains)
    model = DDFA(3, factorizer="anchor", discriminator=frozen.FrozenEstimator(network),
                 random_state=0).fit(X, domains)
    np.testing.assert_allclose(model.discretizer_.held_out_proba_, network.predict_proba(X))


@pytest.mark.parametrize("discretizer, error, match", [
    (DomainDiscretizer(discriminator=LogisticRegression(), cv="prefit"), NotFittedError,
     "cv='prefit' needs a fitted discriminator; LogisticRegression is not fitted"),
    (DomainDiscretizer(cv="prefit"), ValueError,
     "cv='prefit' needs a fitted discriminator, got discriminator=None"),
    (DomainDiscretizer(cv="loo"), ValueError,
     r"cv must be one of 'auto', 'folds', 'split', 'prefit', got 'loo'"),
    (DomainDiscretizer(discriminator="precomputd"), TypeError,
     "discriminator must be None, 'precomputed' or a probabilistic classifier with a fit "
     "method; str has none"),
])
def test_bad_discriminator_options(problem, discretizer, error, match):
    X, domains, _, _, _ = problem
    with pytest.raises(error, match=match):
        discretizer.fit(X, domains)


def test_prefit_classes_out_of_range(problem):
    X, domains, _, _, _ = problem
    network = LogisticRegression(max_iter=200).fit(X, domains + 3)      # ids 3..7
    with pytest.raises(ValueError, match=r"discriminator.classes_\[2\] = 5 is out of range"):
        DomainDiscretizer(discriminator=network, cv="prefit").fit(X, domains)


def test_ddfa_takes_discriminator_or_discretizer_not_both(problem):
    X, domains, _, _, _ = problem
    with pytest.raises(ValueError, match="either to DDFA .* or to its discretizer, not both"):
        DDFA(3, discriminator="precomputed", discretizer=DomainDiscretizer()).fit(X, domains)


def test_complex_X_is_refused(problem):
    X, domains, _, _, _ = problem
    model = DDFA(3, factorizer="anchor", random_state=0)
    with pytest.raises(TypeError, match=r"X must hold real numbers, got complex numbers \(dtype complex128\)"):
        model.fit(X + 1j, domains)
    model.fit(X, domains)
    with pytest.raises(TypeError, match="X must hold real numbers"):
        model.predict(X.astype(complex))


# ------------------------------------------------------------ cv modes and sizes
def test_split_clusters_and_counts_only_the_held_out_share():
    X, domains, labels, _, _ = blobs(0, n_per_domain=300)
    model = DDFA(3, factorizer="anchor", discretizer=DomainDiscretizer(cv="split"),
                 random_state=0).fit(X, domains)
    disc = model.discretizer_
    mask = disc.held_out_mask_
    assert disc.cv_ == "split" and mask.sum() == round(0.2 * X.shape[0])
    assert model.n_words_ == 6                                        # 2 x n_topics
    # stratified: every domain holds out its share (+-1)
    assert np.abs(np.bincount(domains[mask]) - 0.2 * np.bincount(domains)).max() <= 1
    assert (disc.words_[~mask] == -1).all() and (disc.words_[mask] >= 0).all()
    assert (disc.held_out_proba_[~mask] == 0).all()
    # measured 0.977 (cross-fitted: 0.987); with 120 examples per domain only 0.73
    assert matched_accuracy(labels, model.predict(X, domains)) > 0.95


def test_auto_cv_and_clusterer_follow_the_size(problem, monkeypatch):
    X, domains, _, _, _ = problem
    disc = DomainDiscretizer(3, random_state=0).fit(X, domains)
    assert disc.cv_ == "folds" and isinstance(disc.clusterer_, KMeans)
    monkeypatch.setattr(_discriminator, "_SPLIT_ABOVE", 100)
    monkeypatch.setattr(_discretizer, "_MINIBATCH_ABOVE", 50)
    disc = DomainDiscretizer(3, random_state=0).fit(X, domains)
    assert disc.cv_ == "split" and isinstance(disc.clusterer_, MiniBatchKMeans)
    assert disc.held_out_mask_.sum() == 120


def test_default_discriminator_follows_the_size(problem, monkeypatch):
    X, domains, _, _, _ = problem
    small = DomainDiscretizer(3, random_state=0).fit(X, domains)
    features = small.discriminator_.named_steps["features"]
    assert features.kernel_ is not None and features.components_ is None
    assert isinstance(small.discriminator_.named_steps["model"], LogisticRegression)
    assert small.C_ > 0
    monkeypatch.setattr(_default, "_KERNEL_BELOW", 100)
    large = DomainDiscretizer(3, random_state=0).fit(X, domains)
    assert isinstance(large.discriminator_.named_steps["model"], MLPClassifier)
    assert large.C_ is None and large.discriminator_.named_steps["features"].kernel_ is None
    assert large.held_out_log_loss_ < np.log(5)                      # beats ignoring x


def test_domain_features_leave_constant_columns_and_project_wide_data():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=(300, 3)) * [1, 10, 100], np.full(300, 7.0)])
    features = _default.DomainFeatures(random_state=0).fit(X)
    np.testing.assert_allclose(features.scale_[3], 1.0)
    Z = features.transform(X)
    np.testing.assert_allclose(Z[:, :3].std(axis=0), np.sqrt(4 / 3), rtol=1e-9)
    np.testing.assert_allclose(Z[:, 3], 0.0)
    wide = rng.normal(size=(300, 150))
    features = _default.DomainFeatures(random_state=0).fit(wide)
    assert features.transform(wide).shape == (300, 50)
    kernel = _default.DomainFeatures(kernel_components=40, random_state=0).fit(wide)
    assert kernel.transform(wide[:7]).shape == (7, 40)


def test_chunked_prediction_equals_unchunked(problem, monkeypatch):
    X, domains, _, _, _ = problem
    model = DDFA(3, factorizer="anchor", random_state=0).fit(X, domains)
    whole = model.predict_proba(X, domains)
    words = model.discretizer_.transform(X)
    monkeypatch.setattr(_default, "_CHUNK_BYTES", 8 * 40 * 7)        # 7 rows at a time
    assert len(_default.row_chunks(X.shape[0], 40)) == -(-X.shape[0] // 7)
    # equal up to the rounding of differently blocked matrix products (measured 4e-11)
    np.testing.assert_allclose(model.predict_proba(X, domains), whole, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(model.discretizer_.transform(X), words)


def test_timings_and_phase_logging(problem, caplog):
    X, domains, _, _, _ = problem
    with caplog.at_level(logging.INFO, logger="llstopic.continuous"):
        model = DDFA(3, factorizer="anchor", random_state=0).fit(X, domains)
    assert set(model.timings_) == {"discriminate", "discretize", "factorize", "adjust"}
    assert all(seconds >= 0 for seconds in model.timings_.values())
    text = caplog.text
    for phase in ("discriminate (folds)", "discretize (KMeans", "factorize (AnchorWords",
                  "adjust:"):
        assert phase in text
    # silent by default: the package installs no handler of its own
    assert not logging.getLogger("llstopic.continuous._ddfa").handlers
