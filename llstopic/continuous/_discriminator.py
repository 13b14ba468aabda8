"""Held-out domain posteriors p(d|x): cross-fitting, a single split, or a prefit model.

Private helpers of :mod:`llstopic.continuous`.  The discriminator is trained
on (x, domain id) pairs, never on labels.  The clustering of DDFA must be
fitted on *held-out* p(d|x), predicted by a discriminator that did not see
the example, because a discriminator's in-sample probabilities are
over-confident.  Three ways to get them (``DomainDiscretizer(cv=...)``):

* ``"folds"``: cross-fitting over stratified folds; every example gets a
  held-out p(d|x); the final discriminator is refitted on all examples.
* ``"split"``: one stratified split; only the held-out part is clustered
  and counted, and the discriminator of the training part is final (the
  latent-label-shift reference code's protocol; half the cost or less).
* ``"prefit"``: a discriminator the user trained on *other* data; every
  example's p(d|x) is held out by construction.

The default discriminator lives in :mod:`._default`.
"""

from __future__ import annotations

import logging
from numbers import Real

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, train_test_split

from . import _default
from .._validation import (Interval, check_finite_array, check_id_array, check_param,
                           check_probability_rows)

__all__ = []

logger = logging.getLogger(__name__)

#: With ``cv="auto"`` more examples than this use a single held-out split.
_SPLIT_ABOVE = 50_000
#: Row sums of precomputed p(d|x) may differ from one by this much (float32 softmax output).
_PROBA_ATOL = 1e-4
#: The values of ``cv``.
CV_MODES = ("auto", "folds", "split", "prefit")


def check_training_data(X, domains, name="X"):
    """Validate training data; return (X float64 2-D, domains int64, n_domains)."""
    X = check_finite_array(X, name, ndim=2)
    domains = check_id_array(domains, "domains")
    if X.shape[0] != domains.shape[0]:
        raise ValueError(f"X and domains must have the same length, got {X.shape[0]} rows in X "
                         f"and {domains.shape[0]} domain ids")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must have at least one example and one feature, got shape "
                         f"{X.shape}")
    n_domains = int(domains.max()) + 1
    if n_domains < 2:
        raise ValueError(f"domains must hold at least 2 distinct domains, got only domain id(s) "
                         f"{np.unique(domains).tolist()}; with one domain p(d|x) carries no "
                         "information")
    sizes = np.bincount(domains, minlength=n_domains)
    if (sizes == 0).any():
        missing = np.flatnonzero(sizes == 0)
        raise ValueError(f"domains must use every id in 0..{n_domains - 1}; domain id "
                         f"{int(missing[0])} has no examples ({missing.size} empty id(s): "
                         f"{missing[:10].tolist()})")
    return X, domains, n_domains


def check_domain_proba(proba, name, n_domains):
    """Validate precomputed p(d|x): finite, real, rows on the simplex, one column per domain."""
    proba = check_finite_array(proba, name, ndim=2)
    if proba.shape[1] != n_domains:
        raise ValueError(f"{name} has {proba.shape[1]} column(s) but there are {n_domains} "
                         f"domains (ids 0..{n_domains - 1}); precomputed p(d|x) needs one column "
                         "per domain, in domain-id order")
    proba = check_probability_rows(proba, name, atol=_PROBA_ATOL)
    return proba / proba.sum(axis=1, keepdims=True)


def n_folds_from_held_out(held_out):
    """Number of cross-fitting folds for a held-out share in (0, 0.5]."""
    held_out = check_param(held_out, "held_out", [Interval(Real, 0, 0.5, closed="right")])
    return max(2, int(round(1.0 / float(held_out))))


def resolve_cv(cv, n_examples):
    """``cv`` checked, and ``"auto"`` resolved by size (``"split"`` above ``_SPLIT_ABOVE``)."""
    if not isinstance(cv, str) or cv not in CV_MODES:
        raise ValueError(f"cv must be one of {list(CV_MODES)}, got {cv!r}")
    if cv == "auto":
        return "split" if n_examples > _SPLIT_ABOVE else "folds"
    return cv


def aligned_proba(model, X, n_domains, name="discriminator"):
    """p(d|x) of shape (n_samples, n_domains), columns ordered by domain id.

    A model trained on a fold that lacks some domain predicts fewer columns;
    those domains get probability zero.
    """
    proba = np.asarray(model.predict_proba(X))
    if np.iscomplexobj(proba):
        raise TypeError(f"{name}.predict_proba returned complex values")
    proba = proba.astype(np.float64, copy=False)
    classes = getattr(model, "classes_", None)
    classes = np.arange(proba.shape[1]) if classes is None else np.asarray(classes)
    if proba.ndim != 2 or proba.shape != (X.shape[0], classes.shape[0]):
        raise ValueError(f"{name}.predict_proba returned shape {proba.shape}, expected "
                         f"({X.shape[0]}, {classes.shape[0]})")
    classes = check_id_array(classes, f"{name}.classes_", upper=n_domains, upper_name="n_domains")
    if not np.all(np.isfinite(proba)) or (proba < 0).any():
        raise ValueError(f"{name}.predict_proba returned a negative or non-finite probability")
    out = np.zeros((X.shape[0], n_domains))
    out[:, classes] = proba
    sums = out.sum(axis=1, keepdims=True)
    if (sums <= 0).any():
        raise ValueError(f"{name}.predict_proba returned a row with zero total probability")
    return out / sums


def chunked_proba(model, X, n_domains, name="discriminator"):
    """:func:`aligned_proba` over row chunks of bounded size."""
    out = np.empty((X.shape[0], n_domains))
    for rows in _default.row_chunks(X.shape[0], max(X.shape[1], n_domains)):
        out[rows] = aligned_proba(model, X[rows], n_domains, name)
    return out


def held_out_log_loss(proba, domains):
    """Mean of -log p(d_i|x_i), in nats per example."""
    picked = proba[np.arange(domains.shape[0]), domains]
    return float(-np.mean(np.log(np.clip(picked, _default._EPS, None))))


def make_pairs(domains, mode, held_out, seed):
    """(train, test) index pairs of ``mode`` ``"folds"`` or ``"split"``, stratified by domain."""
    index = np.arange(domains.shape[0])
    if mode == "folds":
        n_folds = n_folds_from_held_out(held_out)
        return list(StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(index, domains))
    train, test = train_test_split(index, test_size=float(held_out), stratify=domains,
                                   random_state=seed)
    return [(np.sort(train), np.sort(test))]


def discriminate(X, domains, n_domains, discriminator, mode, held_out, seed):
    """Held-out p(d|x), and the final discriminator.

    Parameters
    ----------
    X : ndarray of shape (n_examples, n_features)
    domains : ndarray of int64, shape (n_examples,)
        Every id in ``range(n_domains)`` occurs, often enough for ``mode``.
    discriminator : classifier with ``predict_proba``, or None
        ``None``: the default of :mod:`._default`.
    mode : {"folds", "split", "prefit"}
    held_out : float
        Share of the examples held out of each fit.
    seed : int

    Returns
    -------
    proba : ndarray of shape (n_examples, n_domains)
        Held-out p(d|x); rows outside ``mask`` are zero.
    mask : ndarray of bool, shape (n_examples,)
        Which examples have a held-out p(d|x) (all but for ``"split"``).
    final : fitted classifier
    C : float or None
        Inverse regularisation strength chosen by the default discriminator.
    """
    n = X.shape[0]
    if mode == "prefit":
        return chunked_proba(discriminator, X, n_domains), np.ones(n, bool), discriminator, None
    pairs = make_pairs(domains, mode, held_out, seed)
    mask = np.zeros(n, bool)
    for _, test in pairs:
        mask[test] = True
    refit = mode == "folds"
    if discriminator is None:
        proba, final, C = _default.fit_default(X, domains, n_domains, pairs, refit=refit,
                                               seed=seed, aligned_proba=aligned_proba)
        return proba, mask, final, C
    proba = np.zeros((n, n_domains))
    model = None
    for train, test in pairs:
        model = clone(discriminator).fit(X[train], domains[train])
        proba[test] = chunked_proba(model, X[test], n_domains)
    final = clone(discriminator).fit(X, domains) if refit else model
    return proba, mask, final, None


def project_rows_onto_simplex(values):
    """Euclidean projection of every row onto the probability simplex.

    For a row v the projection is ``max(v - tau, 0)`` with the unique
    ``tau`` making it sum to one (Held, Wolfe and Crowder 1974; Duchi et al.
    2008): sort descending, find the last index ``k`` with
    ``u_k > (sum_{j<=k} u_j - 1) / k``.  Vectorised over rows, O(n k log k).
    Order-preserving: ``argmax`` of a row is unchanged.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_columns)
        Finite values.

    Returns
    -------
    ndarray of shape (n_rows, n_columns)
        Non-negative rows summing to one.
    """
    values = np.asarray(values, dtype=np.float64)
    n_rows, n_cols = values.shape
    desc = -np.sort(-values, axis=1)
    excess = np.cumsum(desc, axis=1) - 1.0
    ranks = np.arange(1, n_cols + 1)
    support = desc - excess / ranks > 0            # true on a prefix of each row
    k = support.sum(axis=1)                        # >= 1: the largest entry always qualifies
    tau = excess[np.arange(n_rows), k - 1] / k
    out = np.maximum(values - tau[:, None], 0.0)
    out /= out.sum(axis=1, keepdims=True)          # removes rounding drift only
    return out


def _is_precomputed(discriminator):
    return isinstance(discriminator, str) and discriminator == "precomputed"


def check_discriminator(discriminator, cv, n_examples):
    """The resolved ``cv`` mode of a DomainDiscretizer; TypeError/ValueError for a bad
    discriminator or cv."""
    if _is_precomputed(discriminator):
        if cv not in ("auto", "prefit"):
            raise ValueError(f"cv = {cv!r} has no effect with discriminator="
                             "'precomputed' (the probabilities are used as given); use "
                             "cv='auto'")
        return "precomputed"
    mode = resolve_cv(cv, n_examples)
    if discriminator is None:
        if mode == "prefit":
            raise ValueError("cv='prefit' needs a fitted discriminator, got "
                             "discriminator=None")
        return mode
    methods = ("predict_proba",) if mode == "prefit" else ("fit", "predict_proba")
    for method in methods:
        if not callable(getattr(discriminator, method, None)):
            raise TypeError(
                "discriminator must be None, 'precomputed' or a probabilistic classifier "
                f"with a {method} method; {type(discriminator).__name__} has none"
                + (f" (got {discriminator!r})" if isinstance(discriminator, str) else "")
                + (" (for SVC pass probability=True)" if method == "predict_proba" else ""))
    if mode == "prefit":
        try:
            check_is_fitted(discriminator)
        except NotFittedError:
            raise NotFittedError(f"cv='prefit' needs a fitted discriminator; "
                                 f"{type(discriminator).__name__} is not fitted") from None
    return mode

def check_sizes(domains, n_domains, mode, held_out):
    sizes = np.bincount(domains, minlength=n_domains)
    if mode == "folds":
        n_folds = n_folds_from_held_out(held_out)
        needed, why = n_folds, f"cross-fits over {n_folds} folds"
    elif mode == "split":
        n_folds_from_held_out(held_out)              # checks held_out
        needed, why = 2, "holds out a stratified share"
    else:
        return
    if sizes.min() < needed:
        d = int(np.argmin(sizes))
        raise ValueError(f"domain {d} has only {int(sizes[d])} example(s); held_out = "
                         f"{held_out!r} with cv = {mode!r} {why} and needs at least "
                         f"{needed} examples of every domain")
