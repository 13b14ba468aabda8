"""The default domain discriminator p(d|x), chosen by the size of the data.

Private helper of :mod:`llstopic.continuous._discriminator`.  What makes it
fast on real, high-dimensional data (784-pixel images) while keeping the
calibration DDFA needs (its adjust step inverts p(d|x) linearly):

* **Features** (:class:`DomainFeatures`).  Standardise; with more than
  ``_PCA_ABOVE`` features keep the leading ``_N_COMPONENTS`` principal
  components of the standardised features, *not* whitened, and divide by one
  global scale so that a component has unit variance on average.  Whitening
  gives the many low-variance directions (rarely-inked border pixels,
  inflated by standardisation) as much weight as the leading ones; left
  unwhitened, the L2 penalty shrinks them hardest, a ridge-like prior.
  Measured on MNIST-5k (15 domains, seeds 0-2, DDFA-NMF, one fixed C):
  whitened 100 components 0.80-0.93 matched accuracy, unwhitened 0.944-0.951,
  all 784 pixels 0.952 at 5x the time.
* **A non-linear model.**  Under latent label shift p(d|x) = sum_y p(d|y)
  p(y|x) is a mixture, which a linear softmax over domains cannot follow.
  Up to ``_KERNEL_BELOW`` examples: a kernel logistic regression, the
  features mapped through ``_KERNEL_COMPONENTS`` Nystroem components of an
  RBF kernel (median bandwidth).  On MNIST-5k it lowered the held-out domain
  log-loss from 1.56-1.60 (linear) to 1.44-1.49 nats and raised the accuracy
  of the adjust step with the *true* P_{D|Y} from 0.955 to 0.965.  Above: a
  one-hidden-layer MLP (``_MLP_HIDDEN`` ReLU units, Adam, early stopping on a
  10% validation share), whose cost is linear in the examples; on a planted
  Gaussian problem of 200,000 x 50 (20 domains) its held-out log-loss was
  2.05 nats against 2.15 for 200 kernel components and 2.21 for the linear
  model, the adjust step with the true P_{D|Y} 0.929 against 0.922 and
  0.915, in 11 s against 24 s and 4 s (loaded machine).  On MNIST-5k the
  MLP was no better than the linear model.
* **Regularisation path** (:func:`_path`, the kernel model).  The penalty is
  searched as a per-example strength ``lam`` (``C = 1 / (lam * n_train)``),
  so the grid sits where it should at any sample size; it is walked from
  strong to weak with warm starts over every fold and stopped at the first
  rise of the held-out log-loss (the weakly regularised fits are the slow
  ones).  The chosen ``lam`` is the strongest whose held-out log-loss is
  within one standard error of the best (the "one-standard-error rule").
* **One BLAS thread** for thin products (``_SMALL``).
"""

from __future__ import annotations

import copy
import logging
import warnings
from contextlib import nullcontext

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

__all__ = ["DefaultDiscriminator", "DomainFeatures", "fit_default", "row_chunks"]

logger = logging.getLogger(__name__)

#: With more features than this the default discriminator works on principal components.
_PCA_ABOVE = 100
#: Number of principal components kept.
_N_COMPONENTS = 50
#: Up to this many examples the discriminator is a kernel logistic regression
#: (``_KERNEL_COMPONENTS`` Nystroem features of an RBF kernel); above, an MLP.
_KERNEL_BELOW = 10_000
_KERNEL_COMPONENTS = 300
#: Rows sampled for the median-distance bandwidth of the RBF kernel.
_BANDWIDTH_ROWS = 2000
#: The scaler and PCA are fitted on at most this many rows (a random subsample).
_FEATURE_ROWS = 20_000
#: Per-example penalties tried, strong to weak (half decades); ``C = 1 / (lam * n_train)``.
_LAMBDA_GRID = 10.0 ** np.arange(-0.5, -6.01, -0.5)
#: Choose the strongest penalty within one standard error of the best held-out log-loss.
_ONE_SE = True
#: Iteration cap of the L-BFGS solver.
_MAX_ITER = 1000
#: The MLP of larger data sets: hidden units, L2 penalty, minibatch size, epoch cap.
_MLP_HIDDEN = (100,)
_MLP_ALPHA = 0.1
_MLP_BATCH = 512
_MAX_EPOCHS = 200
#: Up to this many entries (of the rows a fit or prediction sees) BLAS runs on one
#: thread.  The products are thin (rows x at most 300 features, by n_domains
#: columns): OpenBLAS' threads gain little on them and lose badly when the cores
#: are shared.  Measured on a loaded 2-core machine: L-BFGS on 160,000 x 50 with 20
#: domains 2.2 s on one BLAS thread, 23-27 s on two; MNIST-5k's path 2-4 s against
#: 105-160 s.  (OpenMP threads, limited instead, changed nothing.)
_SMALL = 2**25
#: Working arrays of the chunked loops are bounded by about this many bytes.
_CHUNK_BYTES = 2**26
#: Probabilities are clipped here before taking logs in the held-out log-loss.
_EPS = 1e-15


def row_chunks(n_rows, n_columns):
    """Slices of at most ``_CHUNK_BYTES`` of float64 rows of width ``n_columns``."""
    step = max(1, _CHUNK_BYTES // (8 * max(1, int(n_columns))))
    return [slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]


class DomainFeatures(TransformerMixin, BaseEstimator):
    """Standardised features; leading principal components when many; RBF kernel features.

    Parameters
    ----------
    n_components : int, default=50
        Principal components kept when the data have more than ``_PCA_ABOVE``
        features.
    kernel_components : int, default=0
        Nystroem components of an RBF kernel on the (scaled) features; 0: none
        (a linear discriminator).  The bandwidth is the median heuristic,
        ``gamma = 1 / median squared distance`` between sampled rows.
    random_state : int, optional
        Seeds the row subsample, the randomised PCA and the Nystroem landmarks.

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_features,)
        Standardisation (a constant feature keeps scale 1, as in
        ``StandardScaler``).
    components_ : ndarray of shape (n_components, n_features) or None
        Principal axes of the standardised features; ``None``: no projection.
    global_scale_ : float
        Root mean variance of the scaled features before this division.
    kernel_ : sklearn.kernel_approximation.Nystroem or None
    """

    def __init__(self, n_components=_N_COMPONENTS, kernel_components=0, random_state=None):
        self.n_components = n_components
        self.kernel_components = kernel_components
        self.random_state = random_state

    def fit(self, X, y=None):
        rng = np.random.default_rng(self.random_state)
        sample = X if X.shape[0] <= _FEATURE_ROWS else X[np.sort(
            rng.choice(X.shape[0], _FEATURE_ROWS, replace=False))]
        self.mean_ = sample.mean(axis=0)
        scale = sample.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        self.components_ = None
        self.kernel_ = None
        self.n_features_in_ = X.shape[1]
        standard = (sample - self.mean_) / self.scale_
        k = min(int(self.n_components), *standard.shape)
        if X.shape[1] > _PCA_ABOVE and k < X.shape[1]:
            pca = PCA(k, svd_solver="randomized", random_state=int(rng.integers(2**31 - 1)))
            pca.fit(standard)
            self.components_ = pca.components_
            self.pca_mean_ = pca.mean_
            variance = float(pca.explained_variance_.mean())
        else:
            variance = float(standard.var(axis=0).mean())
        self.global_scale_ = float(np.sqrt(variance)) if variance > 0 else 1.0
        if self.kernel_components:
            scaled = self._linear(sample)
            pick = rng.choice(scaled.shape[0], min(scaled.shape[0], _BANDWIDTH_ROWS),
                              replace=False)
            a, b = scaled[pick], scaled[np.roll(pick, 1)]
            median = float(np.median(((a - b) ** 2).sum(axis=1)))
            self.kernel_ = Nystroem(gamma=1.0 / median if median > 0 else 1.0,
                                    n_components=min(int(self.kernel_components), scaled.shape[0]),
                                    random_state=int(rng.integers(2**31 - 1))).fit(scaled)
        return self

    def _linear(self, X):
        standard = (X - self.mean_) / self.scale_
        if self.components_ is not None:
            standard = (standard - self.pca_mean_) @ self.components_.T
        return standard / self.global_scale_

    def transform(self, X):
        if self.kernel_ is not None:
            width = self.kernel_.components_.shape[0]
        else:
            width = X.shape[1] if self.components_ is None else self.components_.shape[0]
        out = np.empty((X.shape[0], width))
        for rows in row_chunks(X.shape[0], max(X.shape[1], width)):
            linear = self._linear(X[rows])
            out[rows] = linear if self.kernel_ is None else self.kernel_.transform(linear)
        return out


class DefaultDiscriminator(Pipeline):
    """The fitted default discriminator: :class:`DomainFeatures`, then the model.

    The model step (``"model"``) is the kernel logistic regression or the MLP.

    A plain ``Pipeline``, except that ``predict_proba`` runs BLAS on one thread
    for small inputs (see ``_SMALL``).
    """

    def predict_proba(self, X, **params):
        with threads_for(X.size):
            return super().predict_proba(X, **params)


def _log_losses(proba, domains):
    return -np.log(np.clip(proba[np.arange(domains.shape[0]), domains], _EPS, None))


def threads_for(n_entries):
    """One BLAS thread for an operation on at most ``_SMALL`` entries, else the default."""
    return threadpool_limits(1, user_api="blas") if n_entries <= _SMALL else nullcontext()


def _fit(model, Z, domains, rows):
    with threads_for(rows.shape[0] * Z.shape[1]), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(Z[rows], domains[rows])


def _predict(model, Z, rows, n_domains, aligned_proba):
    with threads_for(rows.shape[0] * Z.shape[1]):
        return aligned_proba(model, Z[rows], n_domains)


def _model(C):
    return LogisticRegression(C=float(C), max_iter=_MAX_ITER, warm_start=True)


def fit_default(X, domains, n_domains, pairs, *, refit, seed, aligned_proba):
    """Fit the default discriminator on every (train, test) pair; see the module docstring.

    Parameters
    ----------
    X : ndarray of shape (n_examples, n_features)
    domains : ndarray of int64, shape (n_examples,)
        Every domain occurs in every training part.
    pairs : list of (train, test) index arrays
        Cross-fitting folds (whose test parts cover every example once) or a
        single held-out split.
    refit : bool
        Refit on all examples for the final model (cross-fitting), or keep
        the model of the single split's training part.
    seed : int
    aligned_proba : callable
        ``aligned_proba(model, X, n_domains)``, p(d|x) with columns by domain id.

    Returns
    -------
    proba : ndarray of shape (n_examples, n_domains)
        Held-out p(d|x) on the test parts (rows outside them stay zero).
    final : DefaultDiscriminator
        ``DomainFeatures``, then the kernel logistic regression or the MLP.
    C : float or None
        The inverse regularisation strength chosen (of the first part's fit)
        for the kernel logistic regression; None for the MLP.
    """
    rng = np.random.default_rng(seed)
    small = X.shape[0] <= _KERNEL_BELOW
    with threads_for(min(X.shape[0], _FEATURE_ROWS) * X.shape[1]):
        features = DomainFeatures(kernel_components=_KERNEL_COMPONENTS if small else 0,
                                  random_state=int(rng.integers(2**31 - 1))).fit(X)
        Z = features.transform(X)
    logger.info("discriminator: %s on %d -> %d features%s", "kernel logistic regression"
                if small else "MLP", features.n_features_in_, Z.shape[1],
                " (principal components)" if features.components_ is not None else "")
    if small:
        C, models, proba = _path(Z, domains, n_domains, pairs, aligned_proba)
        final = _fit(copy.deepcopy(models[0]), Z, domains, np.arange(Z.shape[0])) if refit \
            else models[0]
    else:
        C = None
        seed = int(rng.integers(2**31 - 1))
        proba = np.zeros((Z.shape[0], n_domains))
        for train, test in pairs:
            final = _fit(_mlp(seed, train.shape[0]), Z, domains, train)
            proba[test] = _predict(final, Z, test, n_domains, aligned_proba)
        if refit:
            final = _fit(_mlp(seed, Z.shape[0]), Z, domains, np.arange(Z.shape[0]))
    return proba, DefaultDiscriminator([("features", features), ("model", final)]), C


def _mlp(seed, n_rows):
    batch = min(_MLP_BATCH, n_rows * 9 // 10)   # early stopping trains on 90% of the rows
    return MLPClassifier(_MLP_HIDDEN, alpha=_MLP_ALPHA, batch_size=batch, early_stopping=True,
                         max_iter=_MAX_EPOCHS, random_state=seed)


def _path(Z, domains, n_domains, pairs, aligned_proba):
    """Walk ``_LAMBDA_GRID`` with warm starts; return (C, models at C, held-out proba at C)."""
    models = [None] * len(pairs)
    history = []                                     # (lam, mean loss, se, models, proba)
    test_all = np.concatenate([test for _, test in pairs])
    tried = 0
    for lam in _LAMBDA_GRID:
        tried += 1
        proba = np.zeros((Z.shape[0], n_domains))
        for i, (train, test) in enumerate(pairs):
            C = 1.0 / (lam * train.shape[0])
            model = models[i] if models[i] is not None else _model(C)
            models[i] = _fit(model.set_params(C=C), Z, domains, train)
            proba[test] = _predict(model, Z, test, n_domains, aligned_proba)
        losses = _log_losses(proba[test_all], domains[test_all])
        mean = float(losses.mean())
        se = float(losses.std() / np.sqrt(losses.shape[0]))
        logger.debug("discriminator path: lam=%.3g held-out log-loss %.4f (se %.4f)", lam, mean, se)
        if history and mean >= history[-1][1]:
            break
        history.append((float(lam), mean, se, [copy.deepcopy(m) for m in models], proba))
    best = min(range(len(history)), key=lambda j: history[j][1])
    threshold = history[best][1] + (history[best][2] if _ONE_SE else 0.0)
    chosen = next(j for j in range(len(history)) if history[j][1] <= threshold)
    lam, mean, _, snapshot, proba = history[chosen]
    if best == 0 or (best == len(history) - 1 and tried == len(_LAMBDA_GRID)):
        logger.info("discriminator path: the best penalty lam=%.3g is at the end of the grid",
                    history[best][0])
    logger.info("discriminator path: %d penalties tried, lam=%.3g chosen (held-out log-loss "
                "%.4f; best %.4f at lam=%.3g)", tried, lam, mean, history[best][1],
                history[best][0])
    return float(snapshot[0].C), snapshot, proba
