"""Semi-synthetic LLS problems from scikit-learn's digits (shipped with scikit-learn)."""

from __future__ import annotations

from numbers import Real

from typing import Any

import numpy as np

from .._typing import Seed
from .._validation import (Interval, Options, check_param, check_positive_int, check_random_state,
                           seed_from)

__all__ = ["load_digits_lls"]


_GROUPINGS = {
    # latent class of each digit 0..9
    "pairs": np.arange(10) // 2,
    "digits": np.arange(10),
}


def load_digits_lls(*, grouping: str = "pairs", n_domains: int = 10, alpha: float = 0.5,
                    max_condition: float | None = 4, test_size: float = 0.3,
                    random_state: Seed = None) -> Any:
    """Latent-label-shift problem built from the 1,797 digits of scikit-learn.

    The digits are split into train and test sets (stratified by digit), a
    label mix p_d(y) is drawn with :func:`llstopic.make_domain_topic`, and
    each split is divided into equal, disjoint domains with those mixes by
    :func:`llstopic.assign_domains` (the latent-label-shift paper's
    protocol, so not every digit is used).

    With ``grouping="pairs"`` each latent class is a pair of visually
    unrelated digits, {0,1}, {2,3}, {4,5}, {6,7}, {8,9}.  Domains are assigned
    by class only, so the digit mix inside a class is the same in every
    domain (up to sampling): p(x|y) is shared, as latent label shift
    requires, but a class is two clusters in feature space.  Clustering the
    pixels finds digits, not classes; this is the failure mode of
    feature-similarity methods that DDFA avoids.  ``grouping="digits"``
    keeps the ten digits as classes.

    Parameters
    ----------
    grouping : {"pairs", "digits"}, default="pairs"
        5 classes of digit pairs, or the 10 digits.
    n_domains : int, default=10
        Number of domains, at least the number of classes.
    alpha : float, default=0.5
        Total Dirichlet concentration of each domain's label mix (small:
        nearly pure domains, strong shift).
    max_condition : float or None, default=4
        Bound on the condition number of p_d(y); see
        :func:`llstopic.make_domain_topic`.
    test_size : float, default=0.3
        Share of the digits put in the test split, in (0, 1).
    random_state : None, int or numpy.random.Generator
        One generator draws p_d(y), the split and both domain assignments.

    Returns
    -------
    Bunch
        ``X_train`` of shape (n_train, 64) and ``X_test`` of shape
        (n_test, 64): pixel intensities 0..16;
        ``domains_train``, ``domains_test``: int64 domain ids;
        ``labels_train``, ``labels_test``: int64 hidden latent classes;
        ``digits_train``, ``digits_test``: the original digits;
        ``domain_topic`` of shape (n_domains, n_classes): the true p_d(y),
        shared by both splits;
        ``label_names``: list of str, e.g. ``"0/1"`` for a pair;
        ``grouping``: the grouping used.

    Examples
    --------
    >>> from llstopic.datasets import load_digits_lls
    >>> data = load_digits_lls(random_state=0)
    >>> data.domain_topic.shape
    (10, 5)
    >>> data.X_train.shape[1]
    64
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.utils import Bunch

    from ..synthetic import assign_domains, make_domain_topic

    grouping = check_param(grouping, "grouping", [Options(sorted(_GROUPINGS))])
    n_domains = check_positive_int(n_domains, "n_domains")
    test_size = check_param(test_size, "test_size", [Interval(Real, 0, 1, closed="neither")])
    classes = _GROUPINGS[grouping]
    n_classes = int(classes.max()) + 1
    rng = check_random_state(random_state)
    domain_topic = make_domain_topic(n_domains, n_classes, alpha=alpha, max_condition=max_condition,
                                     random_state=rng)
    digits = load_digits()
    X, digit = digits.data, digits.target.astype(np.int64)
    train, test = train_test_split(np.arange(digit.shape[0]), test_size=float(test_size),
                                   stratify=digit, random_state=seed_from(rng))
    names = ["/".join(str(d) for d in np.flatnonzero(classes == c)) for c in range(n_classes)]
    out = Bunch(domain_topic=domain_topic, grouping=grouping, label_names=names)
    for name, part in (("train", train), ("test", test)):
        chosen, domain_ids = assign_domains(classes[digit[part]], domain_topic, random_state=rng)
        idx = part[chosen]
        out[f"X_{name}"] = X[idx]
        out[f"domains_{name}"] = domain_ids
        out[f"labels_{name}"] = classes[digit[idx]]
        out[f"digits_{name}"] = digit[idx]
    return out
