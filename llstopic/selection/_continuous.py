"""Continuous inputs: DDFA's held-out p(d|x), clustered into words, as counts.

Under latent label shift p(d|x) = sum_y p(d|y) p(y|x).  For any fixed
partition of the inputs into clusters c, the counts of (domain, cluster)
pairs have expectation ``n_d p_d(c) = n_d sum_y p_d(y) p(c|y)``, rank
n_topics, and multinomial noise given the partition: the spectral estimate
of the finite case applies unchanged.  The partition is k-means on the
*held-out* (cross-fitted) p(d|x) of a :class:`~llstopic.DomainDiscretizer`,
so an example's cluster does not use its own domain label.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.base import clone

from .._validation import check_positive_int, seed_from

__all__ = ["continuous_counts"]

#: Default clusters per domain: enough words to resolve n_domains labels,
#: few enough that a (domain, cluster) cell keeps a few examples.
CLUSTERS_PER_DOMAIN = 1.5


def continuous_counts(X, domains, candidates, n_clusters, rng, discretizer=None):
    """(Corpus of shape (n_domains, n_clusters), n_clusters, fitted DomainDiscretizer).

    ``discretizer``: an unfitted :class:`~llstopic.DomainDiscretizer` to clone
    (its ``n_words`` is replaced by ``n_clusters``); default: the default one,
    seeded from ``rng``.
    """
    from ..continuous import DomainDiscretizer
    from ..continuous._discriminator import check_training_data
    from ..corpus import Corpus

    X, domains, n_domains = check_training_data(X, domains)
    largest = n_domains
    if candidates is not None and not isinstance(candidates, (str, bytes)) \
            and hasattr(candidates, "__iter__"):
        values = [c for c in list(candidates) if isinstance(c, (int, np.integer))]
        largest = max(values + [n_domains]) if values else n_domains
    n_clusters = check_positive_int(n_clusters, "n_clusters", minimum=2, allow_none=True)
    if n_clusters is None:
        n_clusters = max(math.ceil(CLUSTERS_PER_DOMAIN * n_domains), largest + 1)
        n_clusters = min(n_clusters, X.shape[0])
    if n_clusters > X.shape[0]:
        raise ValueError(f"n_clusters = {n_clusters} is larger than the number of examples "
                         f"{X.shape[0]}")
    if discretizer is None:
        discretizer = DomainDiscretizer(n_clusters, random_state=seed_from(rng))
    else:
        discretizer = clone(discretizer).set_params(n_words=n_clusters)
    discretizer.fit(X, domains)
    corpus = Corpus.from_tokens(discretizer.words_, domains, n_words=discretizer.n_words_,
                                n_domains=n_domains)
    return corpus, int(discretizer.n_words_), discretizer
