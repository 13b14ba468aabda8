"""The held-out estimate of n_topics: document completion across candidates.

Documents (or, with few domains, a share of every domain's tokens) are held
out; ``factorizer`` is fitted on the rest for every candidate; each held-out
document's tokens are split in two halves at random, its topic mix is
inferred on the first half with the topics fixed (``transform``), and the
second half is scored with :func:`llstopic.log_likelihood` (nats per token).
The held-out documents are dealt into groups; the smallest candidate whose
mean score is within one standard error (of its paired per-group
difference) of the best is chosen, since the likelihood flattens once the
topics are resolved.

Anchor-word fits of all candidates share one word space (the domain space or
the dense co-occurrence matrix), built once.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from ._result import SelectionResult
from .._validation import seed_from

__all__ = ["heldout_selection"]

#: With at least this many domains whole documents are held out; with fewer,
#: a share of every domain's tokens.
MIN_DOMAINS_FOR_DOCUMENT_SPLIT = 20
#: Held-out documents are dealt into at most this many groups for the standard error.
MAX_GROUPS = 10
#: Default candidates are 1..min(training domains, n_words, DEFAULT_MAX_CANDIDATE).
DEFAULT_MAX_CANDIDATE = 30
_SCORE = "held-out log-likelihood per token"


def _check_heldout(heldout):
    if isinstance(heldout, bool) or not isinstance(heldout, numbers.Real) \
            or not 0.0 < float(heldout) <= 0.5:
        raise ValueError(f"heldout must be a fraction in (0, 0.5], got {heldout!r}")
    return float(heldout)


def _split(corpus, heldout, rng):
    """(training counts, held-out counts, kind): documents or tokens held out."""
    counts = sp.csr_matrix(corpus.counts)
    n_domains = counts.shape[0]
    lengths = corpus.domain_lengths()
    if n_domains >= MIN_DOMAINS_FOR_DOCUMENT_SPLIT:
        eligible = np.flatnonzero(lengths >= 2)
        n_test = max(2, int(round(heldout * n_domains)))
        if eligible.shape[0] < n_test + 2:
            raise ValueError(f"X has {eligible.shape[0]} documents with at least two tokens; the "
                             f"held-out method needs {n_test} to hold out and 2 to fit")
        test = np.sort(rng.choice(eligible, size=n_test, replace=False))
        train = np.setdiff1d(np.arange(n_domains), test)
        return counts[train], counts[test], "documents"
    data = counts.data.astype(np.int64)
    held = rng.binomial(data, heldout)
    test = sp.csr_matrix((held, counts.indices.copy(), counts.indptr.copy()), shape=counts.shape)
    train = sp.csr_matrix((data - held, counts.indices.copy(), counts.indptr.copy()),
                          shape=counts.shape)
    test.eliminate_zeros()
    train.eliminate_zeros()
    return train, test, "tokens"


def _halves(test, rng):
    """Split every held-out count in two halves at random (binomial thinning)."""
    first = rng.binomial(test.data.astype(np.int64), 0.5)
    a = sp.csr_matrix((first, test.indices.copy(), test.indptr.copy()), shape=test.shape)
    b = sp.csr_matrix((test.data - first, test.indices.copy(), test.indptr.copy()),
                      shape=test.shape)
    a.eliminate_zeros()
    b.eliminate_zeros()
    return a, b


def _template(factorizer):
    from ..factorizers import Factorizer, make_factorizer

    if isinstance(factorizer, str):
        return make_factorizer(factorizer, 1)
    if not isinstance(factorizer, Factorizer):
        raise TypeError(f"factorizer must be a registered name or a Factorizer instance, got "
                        f"{type(factorizer).__name__}: {factorizer!r}")
    return clone(factorizer)


def heldout_selection(corpus, candidates, factorizer, heldout, rng):
    """See :func:`llstopic.select_n_topics` with ``method="heldout"``."""
    from ..corpus import Corpus
    from ..metrics import log_likelihood

    heldout = _check_heldout(heldout)
    template = _template(factorizer)
    train, test, kind = _split(corpus, heldout, rng)
    n_train = int(np.count_nonzero(np.diff(train.indptr)))
    n_words = corpus.n_words
    limit = min(n_train, n_words)
    if candidates is None:
        candidates = np.arange(1, min(limit, DEFAULT_MAX_CANDIDATE) + 1, dtype=np.int64)
    if candidates[-1] > limit:
        raise ValueError(
            f"candidates: n_topics = {int(candidates[-1])} cannot be evaluated by the held-out "
            f"method: the training part holds {n_train} domains with tokens, so at most {limit} "
            "topics are identifiable from it; use candidates up to "
            f"{limit}" + (" or method='spectral'" if kind == "documents" else ""))
    first, second = _halves(test, rng)
    if second.nnz == 0 or first.nnz == 0:
        raise ValueError("the held-out documents are too short to split into two halves; use a "
                         "larger heldout share or method='spectral'")
    groups = rng.permutation(test.shape[0]) % min(MAX_GROUPS, test.shape[0])
    n_groups = int(groups.max()) + 1
    train_corpus = Corpus._trusted(train, corpus.vocabulary)
    seed = seed_from(rng)
    shared = {}
    fit_warnings = {}
    scores = np.empty(candidates.shape[0])
    per_group = np.full((candidates.shape[0], n_groups), np.nan)
    for i, n_topics in enumerate(candidates):
        model = clone(template)
        params = {"n_topics": int(n_topics)}
        if "random_state" in model.get_params():
            params["random_state"] = seed
        model.set_params(**params)
        if model._registry_name == "anchor":
            model._shared_spaces = shared
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                model.fit(train_corpus)
            if caught:
                fit_warnings[int(n_topics)] = sorted({str(w.message) for w in caught})
        except ValueError as exc:
            raise ValueError(f"candidates: n_topics = {int(n_topics)} cannot be evaluated by the "
                             f"held-out method: fitting {type(model).__name__} failed: "
                             f"{exc}") from None
        mix = model.transform(first)
        scores[i] = log_likelihood(second, model.topic_word_, mix)
        for g in range(n_groups):
            rows = groups == g
            if second[rows].nnz:
                per_group[i, g] = log_likelihood(second[rows], model.topic_word_, mix[rows])
    best = int(np.argmax(scores))
    within = np.zeros(candidates.shape[0], dtype=bool)
    errors = np.zeros(candidates.shape[0])
    for i in range(candidates.shape[0]):
        diff = per_group[i] - per_group[best]
        diff = diff[np.isfinite(diff)]
        errors[i] = diff.std(ddof=1) / np.sqrt(diff.shape[0]) if diff.shape[0] > 1 else 0.0
        within[i] = scores[i] >= scores[best] - errors[i]
    chosen = int(candidates[np.flatnonzero(within)[0]])
    notes = []
    if kind == "tokens":
        notes.append(f"{corpus.n_domains} domains (< {MIN_DOMAINS_FOR_DOCUMENT_SPLIT}): a share "
                     f"{heldout:g} of every domain's tokens was held out instead of whole "
                     "documents")
    if candidates[-1] > corpus.n_domains:
        notes.append(f"n_topics > n_domains = {corpus.n_domains} is unidentifiable in the "
                     "domain space")
    if chosen == candidates[-1] and candidates.shape[0] > 1:
        notes.append("the largest candidate was chosen: the score may still rise beyond it")
    details = {"split": kind, "heldout": heldout, "n_train_domains": n_train,
               "n_test_documents": int(test.shape[0]), "n_groups": n_groups,
               "best": int(candidates[best]), "standard_errors": errors,
               "rule": "smallest candidate within one standard error of the best",
               "factorizer": type(template).__name__, "fit_warnings": fit_warnings}
    from ._select import _space_of

    return SelectionResult(chosen, "heldout", _space_of(corpus), candidates, scores, _SCORE,
                           notes, details)
