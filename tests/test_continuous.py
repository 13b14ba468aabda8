"""DomainDiscretizer and DDFA: the adjust step exactly, recovery on planted truth, bad input."""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.mixture import GaussianMixture
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import SVC

from llstopic.continuous._discriminator import project_rows_onto_simplex
from llstopic.continuous import DDFA, DomainDiscretizer
from llstopic.factorizers._base import Factorizer
from llstopic.metrics import domain_topic_error, match_labels, matched_accuracy
from llstopic.synthetic import make_domain_topic


# ------------------------------------------------------------------ helpers
def blobs(seed, *, n_per_domain=200, n_topics=3, n_domains=5, sep=5.0, dim=4):
    """Gaussian blobs on the axes, labels drawn per domain from a planted p_d(y)."""
    rng = np.random.default_rng(seed)
    max_condition = 4 if n_domains >= n_topics else None
    domain_topic = make_domain_topic(n_domains, n_topics, alpha=1.0, max_condition=max_condition,
                                     random_state=rng)
    centers = np.eye(n_topics, dim) * sep
    domains = np.repeat(np.arange(n_domains), n_per_domain)
    labels = np.concatenate([rng.choice(n_topics, n_per_domain, p=domain_topic[d])
                             for d in range(n_domains)])
    X = centers[labels] + rng.normal(size=(labels.shape[0], dim))
    return X, domains, labels, domain_topic, centers


class FixedFactorizer(Factorizer):
    """Returns a given p_d(y) and identity topics (words are labels)."""

    def __init__(self, n_topics, *, domain_topic=None, random_state=None):
        self.n_topics = n_topics
        self.domain_topic = domain_topic
        self.random_state = random_state

    def _fit(self, corpus, rng):
        return np.eye(self.n_topics, corpus.n_words) + 1e-12, np.asarray(self.domain_topic)


class OracleDiscriminator(ClassifierMixin, BaseEstimator):
    """p(d|x) = P_{D|Y}[:, y] for the true label y stored in column 0 of X."""

    def __init__(self, domain_given_topic=None):
        self.domain_given_topic = domain_given_topic

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.asarray(self.domain_given_topic)[:, X[:, 0].astype(int)].T


def oracle_problem():
    """Domains drawn exactly from P_{D|Y}: p(d) and p_d(y) are known in closed form."""
    domain_topic = np.array([[0.8, 0.2, 0.0], [0.1, 0.6, 0.3], [0.2, 0.1, 0.7], [0.5, 0.0, 0.5]])
    per_block = (domain_topic * 100).astype(int)                   # exact integer counts
    domains = np.repeat(np.tile(np.arange(4), 3), per_block.T.ravel())
    labels = np.repeat(np.arange(3), per_block.sum(axis=0))
    domain_prior = np.bincount(domains) / domains.shape[0]
    joint = domain_topic * domain_prior[:, None]
    domain_given_topic = joint / joint.sum(axis=0)
    X = np.column_stack([labels, np.zeros_like(labels)]).astype(float)
    return X, domains, labels, domain_topic, domain_given_topic


def slow_simplex_projection(v, iters=200):
    """argmin ||x - v|| over the simplex, by bisection on the threshold tau."""
    lo, hi = v.min() - 1.0, v.max()
    for _ in range(iters):
        tau = 0.5 * (lo + hi)
        if np.maximum(v - tau, 0).sum() > 1:
            lo = tau
        else:
            hi = tau
    return np.maximum(v - 0.5 * (lo + hi), 0)


# ------------------------------------------------------------ projection
def test_projection_matches_slow_twin():
    rng = np.random.default_rng(0)
    values = np.vstack([rng.normal(scale=s, size=(50, 6)) for s in (0.1, 1.0, 10.0)])
    edge_cases = [[0.2, 0.3, 0.5, 0, 0, 0], [-5, -5, -5, -5, -5, -5.0], [3, 0, 0, 0, 0, 0.0]]
    values = np.vstack([values, edge_cases])
    fast = project_rows_onto_simplex(values)
    slow = np.array([slow_simplex_projection(v) for v in values])
    np.testing.assert_allclose(fast, slow, atol=1e-10)
    assert (fast >= 0).all()
    np.testing.assert_allclose(fast.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(fast.argmax(axis=1), values.argmax(axis=1))
    np.testing.assert_allclose(fast[-3], values[-3], atol=1e-15)     # already on the simplex
    np.testing.assert_allclose(fast[-2], 1 / 6)                        # all equal -> uniform


# ------------------------------------------------------------ the adjust step
def test_adjust_is_exact_with_oracle_parts():
    X, domains, labels, domain_topic, domain_given_topic = oracle_problem()
    model = DDFA(3, n_words=3, factorizer=FixedFactorizer(3, domain_topic=domain_topic),
                 discretizer=DomainDiscretizer(
                     discriminator=OracleDiscriminator(domain_given_topic)),
                 random_state=0).fit(X, domains)
    np.testing.assert_allclose(model.domain_prior_, np.bincount(domains) / domains.shape[0])
    np.testing.assert_allclose(model.domain_given_topic_, domain_given_topic, atol=1e-12)
    np.testing.assert_allclose(model.domain_given_topic_.sum(axis=0), 1.0)
    # with exact p(d|x) = P_{D|Y} e_y, pinv recovers p(y|x) = e_y, and p_d(y|x) = e_y
    onehot = np.eye(3)[labels]
    np.testing.assert_allclose(model.predict_proba(X), onehot, atol=1e-9)
    np.testing.assert_allclose(model.predict_proba(X, domains), onehot, atol=1e-9)
    np.testing.assert_array_equal(model.predict(X, domains), labels)


def test_adjust_formula_on_noisy_proba():
    """predict_proba = normalise(project(pinv(P) p(d|x)) * p(d|y)), checked from the parts."""
    X, domains, labels, _, _ = blobs(1, n_per_domain=60)
    model = DDFA(3, factorizer="anchor", random_state=0).fit(X, domains)
    P = model.domain_given_topic_
    domain_proba = model.discretizer_.domain_proba(X)
    topic_proba = np.array([slow_simplex_projection(r) for r in domain_proba @ np.linalg.pinv(P).T])
    np.testing.assert_allclose(model.predict_proba(X), topic_proba, atol=1e-9)
    expected = topic_proba * P[domains]
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict_proba(X, domains), expected, atol=1e-9)
    # P_{D|Y} from p_d(y), p(d) and p(y) by Bayes' rule
    joint = model.domain_topic_ * model.domain_prior_[:, None]
    np.testing.assert_allclose(P, joint / joint.sum(axis=0), atol=1e-12)


def test_zero_posterior_row_falls_back_to_domain_mix():
    X, domains, labels, domain_topic, domain_given_topic = oracle_problem()
    model = DDFA(3, n_words=3, factorizer=FixedFactorizer(3, domain_topic=domain_topic),
                 discretizer=DomainDiscretizer(
                     discriminator=OracleDiscriminator(domain_given_topic)),
                 random_state=0).fit(X, domains)
    # label 2 never occurs in domain 0 (p_0(2) = 0): its p_0(y|x) has no mass, so p_0(y) is returned
    x = np.array([[2.0, 0.0]])
    np.testing.assert_allclose(model.predict_proba(x, [0]), domain_topic[[0]])


# ------------------------------------------------------------ recovery
@pytest.mark.parametrize("factorizer", ["anchor", "nmf", "lda"])
def test_ddfa_recovers_planted_labels_and_mixes(factorizer):
    X, domains, labels, domain_topic, centers = blobs(0)
    # oracle: Bayes' rule with the true centres and the true p_d(y)
    logp = (-0.5 * ((X[:, None, :] - centers[None]) ** 2).sum(-1)
            + np.log(np.maximum(domain_topic[domains], 1e-300)))
    oracle_accuracy = matched_accuracy(labels, logp.argmax(axis=1))
    empirical = np.zeros_like(domain_topic)
    np.add.at(empirical, (domains, labels), 1)
    empirical /= empirical.sum(axis=1, keepdims=True)
    sampling_error = np.abs(empirical - domain_topic).mean()    # counting the true labels
    model = DDFA(3, factorizer=factorizer, random_state=0).fit(X, domains)
    predicted = model.predict(X, domains)
    accuracy = matched_accuracy(labels, predicted)
    # The discriminator is learnt from domain ids alone; losing at most 5 points to the
    # Bayes oracle (1.0 here; measured 0.98 with each factorizer) and staying within twice
    # the sampling error (+0.01) on p_d(y) (measured 0.025 to 0.037 against a sampling
    # error of 0.025) leave room for solver noise only.
    assert oracle_accuracy >= 0.99
    assert accuracy >= oracle_accuracy - 0.05
    perm = match_labels(labels, predicted, 3)
    error = domain_topic_error(domain_topic, model.domain_topic_, permutation=perm)
    assert error <= 2 * sampling_error + 0.01
    # the clusters (2 per label by default) are pure: the majority label of each holds
    # all but a few of its examples (purity measured 1.0 with each factorizer)
    words = model.discretizer_.words_
    counts = np.zeros((model.n_words_, 3))
    np.add.at(counts, (words, labels), 1)
    assert model.n_words_ == 6 and counts.max(axis=1).sum() / labels.shape[0] >= 0.95
    assert model.condition_number_ < 10


def test_discretizer_outputs_and_custom_parts():
    X, domains, labels, _, _ = blobs(2, n_per_domain=100)
    disc = DomainDiscretizer(3, random_state=0).fit(X, domains)
    proba = disc.domain_proba(X)
    assert proba.shape == (X.shape[0], 5)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    words = disc.transform(X)
    assert words.dtype == np.int64 and words.min() >= 0 and words.max() < 3
    assert disc.words_.shape == (X.shape[0],)
    np.testing.assert_array_equal(clone(disc).fit_transform(X, domains), disc.words_)
    corpus = disc.to_corpus(X, domains)
    assert corpus.shape == (5, 3) and corpus.n_tokens == X.shape[0]
    assert corpus.vocabulary == ["cluster0", "cluster1", "cluster2"]
    np.testing.assert_array_equal(corpus.domain_lengths(), np.bincount(domains))
    assert disc.C_ is not None and disc.held_out_log_loss_ < np.log(5)  # beats ignoring x
    assert DomainDiscretizer(random_state=0).fit(X, domains).n_words_ == 5  # default: n_domains
    custom = DomainDiscretizer(3, discriminator=GaussianNB(),
                               clusterer=GaussianMixture(random_state=0), random_state=0)
    custom.fit(X, domains)
    assert custom.C_ is None and custom.clusterer_.n_components == 3
    assert matched_accuracy(labels, custom.words_) > 0.9


def test_same_seed_same_result_and_clone():
    X, domains, _, _, _ = blobs(3, n_per_domain=60)
    a = DDFA(3, factorizer="anchor", random_state=7).fit(X, domains)
    b = clone(a).fit(X, domains)
    np.testing.assert_array_equal(a.predict_proba(X, domains), b.predict_proba(X, domains))
    assert a.get_params()["n_topics"] == 3 and not hasattr(clone(a), "domain_topic_")


# ------------------------------------------------------------ warnings
def test_warns_when_labels_are_not_identifiable():
    X, domains, _, _, _ = blobs(4, n_per_domain=80, n_topics=3, n_domains=2)
    with pytest.warns(UserWarning, match="n_domains = 2 < n_topics = 3.*not identifiable"):
        DDFA(3, factorizer=FixedFactorizer(3, domain_topic=[[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]]),
             random_state=0).fit(X, domains)


def test_warns_on_ill_conditioned_domain_given_topic():
    X, domains, _, _, _ = blobs(5, n_per_domain=40, n_topics=2, n_domains=3)
    nearly_equal = [[0.5, 0.5], [0.501, 0.499], [0.5, 0.5]]
    with pytest.warns(UserWarning, match="condition number .* amplifies"):
        model = DDFA(2, factorizer=FixedFactorizer(2, domain_topic=nearly_equal), random_state=0)
        model.fit(X, domains)
    assert model.condition_number_ > 100


def test_no_warning_on_a_good_problem():
    X, domains, _, _, _ = blobs(0, n_per_domain=60)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        DDFA(3, factorizer="anchor", random_state=0).fit(X, domains)


# ------------------------------------------------------------ bad input
@pytest.fixture(scope="module")
def small():
    X, domains, _, _, _ = blobs(6, n_per_domain=30)
    return X, domains


@pytest.fixture(scope="module")
def fitted(small):
    X, domains = small
    return DDFA(3, factorizer="anchor", random_state=0).fit(X, domains)


@pytest.mark.parametrize("make_args, error, match", [
    (lambda X, d: (X[:-1], d), ValueError, "same length.*149 rows in X and 150"),
    (lambda X, d: (X, np.where(d == 2, 4, d)), ValueError, "domain id 2 has no examples"),
    (lambda X, d: (X, np.zeros_like(d)), ValueError, "at least 2 distinct domains"),
    (lambda X, d: (np.where(np.arange(X.size).reshape(X.shape) == 7, np.nan, X), d), ValueError,
     r"X contains a non-finite value nan at position \(1, 3\)"),
    (lambda X, d: (X, d - 1), ValueError, "domains must be non-negative"),
    (lambda X, d: (X, np.where((d == 4) & (np.arange(d.size) < 147), 0, d)), ValueError,
     "domain 4 has only 3 example.*5 folds"),
])
def test_bad_training_data(small, make_args, error, match):
    X, domains = make_args(*small)
    for estimator in (DomainDiscretizer(3), DDFA(3, factorizer="anchor")):
        with pytest.raises(error, match=match):
            estimator.fit(X, domains)


@pytest.mark.parametrize("estimator, error, match", [
    (DomainDiscretizer(discriminator=SVC()), TypeError,
     "predict_proba method; SVC has none.*probability=True"),
    (DomainDiscretizer(discriminator="logistic"), TypeError, "with a fit method; str has none"),
    (DomainDiscretizer(held_out=0.7), ValueError,
     r"held_out must be a number in \(0, 0.5\], got 0.7"),
    (DomainDiscretizer(n_words=0), ValueError, "n_words must be None or an integer >= 1, got 0"),
    (DomainDiscretizer(clusterer=object()), TypeError, "clusterer must have a fit method"),
    (DDFA(3, n_words=2), ValueError, "n_words = 2 must be at least n_topics = 3"),
    (DDFA(3, factorizer="no-such"), ValueError, "no-such"),
    (DDFA(3, factorizer=FixedFactorizer(2)), ValueError,
     "factorizer has n_topics = 2 but DDFA has n_topics = 3"),
    (DDFA(3, factorizer=42), TypeError, "factorizer must be a registered name or a Factorizer"),
    (DDFA(3, discretizer=GaussianNB()), TypeError, "discretizer must be a DomainDiscretizer"),
])
def test_bad_parameters(small, estimator, error, match):
    with pytest.raises(error, match=match):
        estimator.fit(*small)


def test_bad_prediction_input(small, fitted):
    X, domains = small
    match = r"domains\[0\] = 5 is out of range: it must be < n_domains seen in fit = 5"
    with pytest.raises(ValueError, match=match):
        fitted.predict_proba(X[:2], [5, 0])
    with pytest.raises(ValueError, match="same length, got 2 rows in X and 3 domain ids"):
        fitted.predict(X[:2], [0, 1, 2])
    with pytest.raises(ValueError, match="X has 3 features but the discretizer was fitted with 4"):
        fitted.predict_proba(X[:, :3])
    with pytest.raises(ValueError, match="non-finite"):
        fitted.predict_proba(np.full((1, 4), np.inf))
    with pytest.raises(ValueError, match="out of range"):
        fitted.discretizer_.to_corpus(X[:2], [0, 7])
    with pytest.raises(NotFittedError):
        DDFA(3).predict(X)
    with pytest.raises(NotFittedError):
        DomainDiscretizer().transform(X)
