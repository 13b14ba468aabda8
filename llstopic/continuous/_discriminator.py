"""Cross-fitted domain discriminators p(d|x) and the simplex projection.

Private helpers of :mod:`llstopic.continuous`.  The discriminator is trained
on (x, domain id) pairs, never on labels.  Every training example gets a
*held-out* p(d|x), predicted by a discriminator that did not see it
(cross-fitting over stratified folds); the clustering of DDFA is fitted on
these, because a discriminator's in-sample probabilities are over-confident.
"""

from __future__ import annotations

from numbers import Real
from contextlib import nullcontext

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from .._validation import Interval, check_finite_array, check_id_array, check_param

__all__ = []

#: Inverse regularisation strengths tried by the default discriminator, weakest
#: regularisation last (the warm-started path runs in this order).
_C_GRID = np.logspace(-3, 1, 9)
#: Iteration cap of the default discriminator's L-BFGS solver.
_MAX_ITER = 1000
#: The regularisation path stops after this many grid steps without a new best loss.
_PATIENCE = 2
#: Below this many entries of X the default discriminator runs BLAS on one
#: thread: its matrices are tiny and extra BLAS threads only contend (measured
#: 10-20x slower on a loaded 2-core machine with OpenBLAS' default threads).
_SMALL = 2**20
#: Probabilities are clipped here before taking logs in the held-out log-loss.
_EPS = 1e-15


def check_training_data(X, domains):
    """Validate training data; return (X float64 2-D, domains int64, n_domains)."""
    X = check_finite_array(X, "X", ndim=2)
    domains = check_id_array(domains, "domains")
    if X.shape[0] != domains.shape[0]:
        raise ValueError(f"X and domains must have the same length, got {X.shape[0]} rows in X "
                         f"and {domains.shape[0]} domain ids")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one example and one feature, got shape {X.shape}")
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


def n_folds_from_held_out(held_out):
    """Number of cross-fitting folds for a held-out share in (0, 0.5]."""
    held_out = check_param(held_out, "held_out", [Interval(Real, 0, 0.5, closed="right")])
    return max(2, int(round(1.0 / float(held_out))))


def default_discriminator(C):
    """Standardisation followed by multinomial logistic regression."""
    return Pipeline([("scale", StandardScaler()),
                     ("logistic", LogisticRegression(C=float(C), max_iter=_MAX_ITER))])


def aligned_proba(model, X, n_domains, name="discriminator"):
    """p(d|x) of shape (n_samples, n_domains), columns ordered by domain id.

    A model trained on a fold that lacks some domain predicts fewer columns;
    those domains get probability zero.
    """
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    classes = getattr(model, "classes_", None)
    classes = np.arange(proba.shape[1]) if classes is None else np.asarray(classes)
    if proba.ndim != 2 or proba.shape != (X.shape[0], classes.shape[0]):
        raise ValueError(f"{name}.predict_proba returned shape {proba.shape}, expected "
                         f"({X.shape[0]}, {classes.shape[0]})")
    if not np.all(np.isfinite(proba)) or (proba < 0).any():
        raise ValueError(f"{name}.predict_proba returned a negative or non-finite probability")
    out = np.zeros((X.shape[0], n_domains))
    out[:, classes.astype(np.int64)] = proba
    sums = out.sum(axis=1, keepdims=True)
    if (sums <= 0).any():
        raise ValueError(f"{name}.predict_proba returned a row with zero total probability")
    return out / sums


def _held_out_log_loss(proba, domains):
    return float(-np.mean(np.log(np.clip(proba[np.arange(domains.shape[0]), domains], _EPS, None))))


def cross_fit(X, domains, n_domains, discriminator, n_folds, seed):
    """Held-out p(d|x) of every training example, and the final discriminator.

    Parameters
    ----------
    X : ndarray of shape (n_examples, n_features)
    domains : ndarray of int64, shape (n_examples,)
        Every id in ``range(n_domains)`` occurs at least ``n_folds`` times.
    discriminator : classifier with ``predict_proba``, or None
        ``None``: :func:`default_discriminator` with ``C`` chosen from
        ``_C_GRID`` by held-out log-loss.
    n_folds : int
    seed : int
        Seed of the fold assignment.

    Returns
    -------
    held_out_proba : ndarray of shape (n_examples, n_domains)
        p(d|x) of each example from the discriminator of the fold holding it out.
    final : fitted classifier
        Trained on all examples (with the chosen ``C`` for the default).
    C : float or None
        The chosen inverse regularisation strength (None for a user discriminator).
    log_loss : float
        Held-out log-loss of ``held_out_proba``.
    """
    folds = list(StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(X, domains))
    if discriminator is not None:
        held_out = np.zeros((X.shape[0], n_domains))
        for train, test in folds:
            model = clone(discriminator).fit(X[train], domains[train])
            held_out[test] = aligned_proba(model, X[test], n_domains)
        final = clone(discriminator).fit(X, domains)
        return held_out, final, None, _held_out_log_loss(held_out, domains)

    with threadpool_limits(1, user_api="blas") if X.size <= _SMALL else nullcontext():
        return _default_path(X, domains, n_domains, folds)


def _default_path(X, domains, n_domains, folds):
    """Cross-fit :func:`default_discriminator` over ``_C_GRID``; see :func:`cross_fit`."""
    # A warm-started regularisation path per fold, from strong to weak
    # regularisation, stopped once the held-out loss has risen _PATIENCE times
    # in a row past its minimum (the weakly regularised fits are the slow ones).
    standardized = []
    for train, test in folds:
        scaler = StandardScaler().fit(X[train])
        standardized.append((scaler.transform(X[train]), scaler.transform(X[test])))
    models = [LogisticRegression(max_iter=_MAX_ITER, warm_start=True) for _ in folds]
    best_loss, best_C, best_proba, rises = np.inf, None, None, 0
    for C in _C_GRID:
        proba = np.zeros((X.shape[0], n_domains))
        for (train, test), (Z_train, Z_test), model in zip(folds, standardized, models):
            model.set_params(C=float(C)).fit(Z_train, domains[train])
            proba[test] = aligned_proba(model, Z_test, n_domains)
        loss = _held_out_log_loss(proba, domains)
        if loss < best_loss:
            best_loss, best_C, best_proba, rises = loss, float(C), proba, 0
        else:
            rises += 1
            if rises >= _PATIENCE:
                break
    final = default_discriminator(best_C).fit(X, domains)
    return best_proba, final, best_C, best_loss


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
