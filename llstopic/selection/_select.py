"""``select_n_topics``: input dispatch, validation, and the spectral path."""

from __future__ import annotations

import numbers
from typing import Any, Iterable

import numpy as np
from numpy.typing import ArrayLike

from ._result import SelectionResult
from ._spectral import TW1_QUANTILES, spectral_statistics
from .._typing import Seed
from .._validation import check_random_state

__all__ = ["select_n_topics", "check_candidates", "is_auto"]

_METHODS = ("auto", "spectral", "heldout")
#: Default candidates are 1..min(n_domains, n_words, DEFAULT_MAX_CANDIDATE).
DEFAULT_MAX_CANDIDATE = 100
_SPECTRAL_SCORE = "singular value / noise threshold"


def is_auto(n_topics: Any) -> bool:
    """True when ``n_topics`` asks for the estimate (the string ``"auto"``)."""
    return isinstance(n_topics, str) and n_topics == "auto"


def select_n_topics(X: Any, *, candidates: Iterable[int] | None = None, method: str = "auto",
                    domains: ArrayLike | None = None, level: float = 0.01,
                    factorizer: Any = "anchor", heldout: float = 0.2,
                    n_clusters: int | None = None, random_state: Seed = None) -> SelectionResult:
    """Estimate the number of latent labels (topics) from the data.

    Under latent label shift the expected counts, the domain space p(d|x),
    the co-occurrence matrix Q and DDFA's p(d|x) all have rank exactly
    n_topics; the sample adds noise.  Two methods:

    * ``"spectral"`` (the default; cheaper than one anchor fit): the number of
      singular values of the biwhitened counts above a threshold derived from
      the multinomial variance of the counts (the Marchenko-Pastur edge with
      a Tracy-Widom margin; see :mod:`llstopic.selection._spectral`).  No
      eigen-gap rule and nothing tuned on data.
    * ``"heldout"``: fit ``factorizer`` for every candidate and score held-out
      documents by document completion (the topic mix inferred on one half of
      each held-out document with the topics fixed, the other half scored
      with :func:`llstopic.log_likelihood`); the smallest candidate within one
      standard error of the best is chosen.

    Parameters
    ----------
    X : Corpus, array-like or sparse matrix of shape (n_domains, n_words), or continuous data
        Counts; or, with ``domains`` (or as a tuple ``(X, domains)``),
        continuous examples of shape (n_examples, n_features) as
        :meth:`llstopic.DDFA.fit` takes them.  Continuous data are turned into
        counts by a :class:`~llstopic.DomainDiscretizer` (held-out p(d|x),
        clustered into ``n_clusters`` words); both methods then run on those.
    candidates : iterable of int, optional
        Numbers of topics to consider, each in [1, n_words].  Default:
        1..min(n_domains, n_words, 100) (for continuous data 1..n_domains);
        for ``"heldout"``, which fits every candidate,
        1..min(training domains, n_words, 30).
    method : {"auto", "spectral", "heldout"}, default="auto"
        ``"auto"`` is ``"spectral"``.
    domains : array-like of int, shape (n_examples,), optional
        Domain ids of continuous examples.
    level : {0.1, 0.05, 0.01, 0.005, 0.001}, default=0.01
        Spectral: probability that pure noise exceeds the threshold (the
        Tracy-Widom tail).
    factorizer : str or Factorizer, default="anchor"
        Held-out: the factorizer fitted for each candidate (its ``n_topics``
        is replaced).  Anchor-word fits share one word space across candidates.
    heldout : float in (0, 0.5], default=0.2
        Held-out: share of the documents held out (or, with fewer than 20
        domains, of every domain's tokens).
    n_clusters : int, optional
        Continuous data: number of clusters of p(d|x); default
        ``max(ceil(1.5 n_domains), largest candidate + 1)``.
    random_state : None, int or numpy.random.Generator
        Seeds the eigensolver's start, the held-out split and fits, and the
        discretizer.

    Returns
    -------
    SelectionResult
        ``.n_topics``, ``.candidates``, ``.scores``, ``.notes`` (e.g. that
        n_topics > n_domains is unidentifiable in the domain space),
        ``.details`` and ``.plot(path_or_ax)``.

    Examples
    --------
    >>> from llstopic import make_finite_lls, select_n_topics
    >>> problem = make_finite_lls(300, 5, 20, 20_000, alpha=1.0, beta=0.1, random_state=0)
    >>> select_n_topics(problem.corpus, random_state=0).n_topics
    5
    """
    return _select(X, candidates=candidates, method=method, domains=domains, level=level,
                   factorizer=factorizer, heldout=heldout, n_clusters=n_clusters,
                   random_state=random_state)[0]


def _select(X, *, candidates=None, method="auto", domains=None, level=0.01, factorizer="anchor",
            heldout=0.2, n_clusters=None, random_state=None, discretizer=None):
    """select_n_topics, also returning the fitted DomainDiscretizer of continuous data (or None)."""
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if level not in TW1_QUANTILES:
        raise ValueError(f"level must be one of {sorted(TW1_QUANTILES)}, got {level!r}")
    rng = check_random_state(random_state)
    continuous = domains is not None or _is_continuous_pair(X)
    if continuous:
        from ._continuous import continuous_counts

        if domains is None:
            X, domains = X
        corpus, n_clusters_used, fitted = continuous_counts(X, domains, candidates, n_clusters,
                                                            rng, discretizer)
    else:
        corpus, fitted = _as_corpus(X), None
    n_domains, n_words = corpus.shape
    if n_domains < 2:
        raise ValueError(f"X has {n_domains} domain (row); estimating n_topics needs at least 2 "
                         "domains: with one domain the latent labels leave no trace")
    upper = n_domains if continuous else min(n_domains, n_words, DEFAULT_MAX_CANDIDATE)
    default = candidates is None
    candidates = check_candidates(candidates, n_words, default_upper=min(upper, n_words))
    if method == "heldout":
        from ._heldout import heldout_selection

        result = heldout_selection(corpus, None if default else candidates, factorizer, heldout,
                                   rng)
    else:
        result = _spectral_selection(corpus, candidates, level, rng)
    if continuous:
        result.space = "continuous"
        result.details["n_clusters"] = n_clusters_used
        result.notes.append(f"continuous data: held-out p(d|x) of {n_domains} domains clustered "
                            f"into {n_clusters_used} words by a DomainDiscretizer")
    return result, fitted


def _is_continuous_pair(X):
    if not isinstance(X, tuple) or len(X) != 2:
        return False
    first, second = X
    return np.ndim(first) == 2 and np.ndim(second) == 1


def _as_corpus(X):
    from ..corpus import Corpus
    from ..factorizers._base import _as_counts

    counts, vocabulary = _as_counts(X)
    return X if isinstance(X, Corpus) else Corpus._trusted(counts, vocabulary)


def check_candidates(candidates, n_words, *, default_upper):
    """Validated candidates as a sorted int64 array of distinct values in [1, n_words]."""
    if candidates is None:
        return np.arange(1, max(default_upper, 1) + 1, dtype=np.int64)
    if isinstance(candidates, (str, bytes)) or not hasattr(candidates, "__iter__"):
        raise TypeError(f"candidates must be an iterable of ints (e.g. range(1, 21)), got "
                        f"{type(candidates).__name__}: {candidates!r}")
    values = list(candidates)
    if not values:
        raise ValueError("candidates is empty: give at least one number of topics")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"candidates must hold ints, got {type(value).__name__}: {value!r}")
        if not 1 <= value <= n_words:
            raise ValueError(f"candidates must lie in [1, n_words] = [1, {n_words}], got "
                             f"{int(value)}")
    return np.unique(np.asarray(values, dtype=np.int64))


def _space_of(corpus):
    """The word space AnchorWords' ``representation="auto"`` would use (without n_topics)."""
    n_domains, n_words = corpus.shape
    long_domains = corpus.domain_lengths().mean() >= n_words
    return "domain" if n_domains <= n_words and long_domains else "cooccurrence"


def _spectral_selection(corpus, candidates, level, rng):
    stats = spectral_statistics(corpus.counts, int(candidates[-1]) + 1, rng, level)
    values, tau = stats["singular_values"], stats["threshold"]
    n_rows, n_cols = stats["n_rows"], stats["n_cols"]
    bound = min(n_rows, n_cols)
    scores = np.array([values[k - 1] / tau if k <= values.shape[0] else 0.0 for k in candidates])
    rank = stats["rank"]
    supported = candidates[candidates <= rank]
    notes = []
    if supported.size:
        n_topics = int(supported[-1])
        if n_topics != rank:
            notes.append(f"the estimated rank is {rank}, which is not a candidate; the largest "
                         f"candidate below it is chosen")
    else:
        n_topics = int(candidates[0])
        notes.append(f"the estimated rank {rank} is below every candidate; the smallest candidate "
                     "is chosen")
    n_domains = corpus.n_domains
    if candidates[-1] > n_domains or rank >= n_domains:
        notes.append(
            f"n_topics > n_domains = {n_domains} is unidentifiable in the domain space: the "
            f"counts have rank at most {n_domains}"
            + (f", and all {n_domains} dimensions are above the noise, so any n_topics >= "
               f"{n_domains} fits the data" if rank >= n_domains else ""))
    if rank >= bound and bound < n_domains:
        notes.append(f"all {bound} dimensions of the counts are above the noise (after dropping "
                     "words and domains without a variance estimate); the rank may be larger")
    space = _space_of(corpus)
    details = {"singular_values": values, "threshold": tau, "edge": stats["edge"], "rank": rank,
               "level": level, "scaled_shape": [n_rows, n_cols], "n_exact": stats["n_exact"],
               "sinkhorn_sweeps": stats["sinkhorn_sweeps"],
               "sinkhorn_converged": stats["sinkhorn_converged"]}
    return SelectionResult(n_topics, "spectral", space, candidates, scores, _SPECTRAL_SCORE,
                           notes, details)
