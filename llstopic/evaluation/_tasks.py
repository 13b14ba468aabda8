"""What :func:`llstopic.compare` does per kind of problem.

Each builder splits the data once, computes the figures that do not depend on
a method (the oracle, the true model's scores), and returns a :class:`Task`.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from .._validation import check_random_state

__all__ = ["Task", "finite_task", "corpus_task", "continuous_task"]

_WARMUP_DOMAINS = 200
_WARMUP_TOKENS = 20_000


def _make_factorizer(n_topics):
    from ..factorizers import make_factorizer

    def make(method, params, seed):
        return make_factorizer(method, n_topics, random_state=seed, **params)

    return make


def _fit(model, corpus):
    model.fit(corpus)


def _nothing(model):
    return None


@dataclass(frozen=True)
class Task:
    """One problem of a comparison, ready for any method.

    Attributes
    ----------
    name : str
    info : dict
        The problem's description and its oracle figures (a report's header).
    data, warmup_data
        What a method is fitted on, and a small slice of it for the warm-up.
    make : callable (method, params, seed) -> model
    evaluate : callable (model) -> dict
        The per-method figures, as row columns.
    fit : callable (model, data) -> None
    warm_predict : callable (model) -> None
        Exercises a warmed-up model's prediction path (compiles its kernels).
    warmup_make : callable or None
        Builds the warm-up model when it differs from ``make`` (DDFA warms up its
        factorizer alone).
    """

    name: str
    info: dict
    data: Any
    warmup_data: Any
    make: Callable[[str, dict, int], Any]
    evaluate: Callable[[Any], dict]
    fit: Callable[[Any, Any], None] = _fit
    warm_predict: Callable[[Any], None] = _nothing
    warmup_make: Callable[[str, dict, int], Any] | None = None

    def warm_up(self, method, params):
        """Fit once on the small slice so that compilation and imports are not timed.

        Returns the seconds it took and, when the warm-up failed, a warning
        text (also issued as a ``RuntimeWarning``): the method's first timed
        fit then includes its compilation, and the report says so.
        """
        start = time.perf_counter()
        failure = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if self.warmup_make is not None:
                    self.warmup_make(method, params, 0).fit(self.warmup_data)
                else:
                    model = self.make(method, params, 0)
                    self.fit(model, self.warmup_data)
                    self.warm_predict(model)
        except (ValueError, TypeError, RuntimeError, ArithmeticError) as exc:
            failure = (f"warm-up of {method} on a small slice failed ({type(exc).__name__}: {exc}); "
                       "its fit time includes compilation")
            warnings.warn(failure, RuntimeWarning, stacklevel=2)
        return time.perf_counter() - start, failure


def _warmup_corpus(corpus, rng):
    """The first domains of ``corpus``, thinned to about ``_WARMUP_TOKENS`` tokens.

    Keeps the shape regime (few long domains stay few and long, many short
    documents stay short) so a method takes the same code path as on the full
    data and compiles the same kernels.
    """
    from ..corpus import Corpus

    n_keep = min(corpus.n_domains, _WARMUP_DOMAINS)
    counts = corpus.counts[:n_keep].copy()
    total = counts.data.sum()
    # long domains stay longer than the vocabulary (methods choose their path by that)
    target = max(_WARMUP_TOKENS, n_keep * min(total / n_keep, 1.5 * corpus.n_words))
    if total > target:
        counts.data = rng.binomial(counts.data, target / total).astype(np.int64)
        counts.eliminate_zeros()
    if counts.nnz == 0:
        counts = corpus.counts[:1].copy()
    return Corpus._trusted(sp.csr_matrix(counts), corpus.vocabulary)


def _split_tokens(words, domains, heldout, rng, n_words, n_domains):
    """Boolean mask of the training tokens and the held-out counts (or None)."""
    from ..corpus import Corpus

    if heldout <= 0 or rng is None:
        return np.ones(words.shape[0], dtype=bool), None
    test = rng.random(words.shape[0]) < heldout
    held = Corpus.from_tokens(words[test], domains[test], n_words=n_words, n_domains=n_domains)
    return ~test, held.counts


# ------------------------------------------------------------------ finite LLS
def finite_task(problem, spec, rng, name):
    """Task for an :class:`~llstopic.synthetic.LLSProblem` (truth known)."""
    from ..corpus import Corpus
    from ..metrics import (domain_topic_error, log_likelihood, match_topics, matched_accuracy, oracle_topic_word,
                          topic_word_error)
    from ..posterior import lls_predict

    n_topics = problem.n_topics
    if spec["n_topics"] not in (None, "auto") and spec["n_topics"] != n_topics:
        raise ValueError(f"n_topics = {spec['n_topics']} differs from the problem's {n_topics} topics; "
                         "recovery is measured against the true topics, so leave n_topics=None")
    corpus = problem.corpus
    n_domains, n_words = corpus.shape
    words, domains, labels = problem.words, problem.domains, problem.labels
    train, held_counts = _split_tokens(words, domains, spec["heldout"], rng, n_words, n_domains)
    if held_counts is None:
        train_corpus = corpus
    else:
        train_corpus = Corpus.from_tokens(words[train], domains[train], n_words=n_words,
                                          n_domains=n_domains)
    estimate = _estimate(spec, train_corpus)
    w_tr, d_tr, l_tr = words[train], domains[train], labels[train]
    true_tw, true_dt = problem.topic_word, problem.domain_topic
    identity = np.arange(n_topics)
    oracle_tw = oracle_topic_word(w_tr, l_tr, n_words, n_topics)
    label_counts = np.bincount(d_tr * n_topics + l_tr, minlength=n_domains * n_topics)
    label_counts = label_counts.reshape(n_domains, n_topics).astype(np.float64)
    label_counts[label_counts.sum(axis=1) == 0] = 1.0
    oracle_dt = label_counts / label_counts.sum(axis=1, keepdims=True)
    oracle = {
        "topic_word_error": topic_word_error(true_tw, oracle_tw, permutation=identity),
        "domain_topic_error": domain_topic_error(true_dt, oracle_dt, permutation=identity),
        "accuracy": float(np.mean(lls_predict(true_tw, true_dt, words, domains) == labels)),
        "heldout_loglik": (None if held_counts is None
                           else log_likelihood(held_counts, true_tw, true_dt)),
    }
    lengths = corpus.domain_lengths()
    info = {
        "name": name or "finite LLS problem", "kind": "finite", "truth": True,
        "n_domains": n_domains, "n_words": n_words, "n_topics": n_topics,
        "n_tokens": int(corpus.n_tokens), "n_train_tokens": int(train_corpus.n_tokens),
        "tokens_per_domain": float(lengths.mean()), "heldout": spec["heldout"],
        "anchors_per_topic": int(problem.anchors.shape[1]),
        "oracle": oracle, **_estimate_info(estimate),
    }

    def evaluate(model):
        if model.topic_word_.shape[0] != n_topics:      # n_topics="auto" missed the truth
            return {"topic_word_error": None,
                    "topic_word_error_oracle": oracle["topic_word_error"],
                    "topic_word_error_ratio": None, "domain_topic_error": None,
                    "domain_topic_error_oracle": oracle["domain_topic_error"],
                    "accuracy": None, "accuracy_bayes": oracle["accuracy"],
                    "heldout_loglik": (None if held_counts is None else log_likelihood(
                        held_counts, model.topic_word_, model.domain_topic_)),
                    "heldout_loglik_truth": oracle["heldout_loglik"]}
        perm = match_topics(true_tw, model.topic_word_)
        tw_err = topic_word_error(true_tw, model.topic_word_, permutation=perm)
        return {
            "topic_word_error": tw_err,
            "topic_word_error_oracle": oracle["topic_word_error"],
            "topic_word_error_ratio": tw_err / oracle["topic_word_error"],
            "domain_topic_error": domain_topic_error(true_dt, model.domain_topic_, permutation=perm),
            "domain_topic_error_oracle": oracle["domain_topic_error"],
            "accuracy": matched_accuracy(labels, model.predict(words, domains)),
            "accuracy_bayes": oracle["accuracy"],
            "heldout_loglik": (None if held_counts is None else log_likelihood(
                held_counts, model.topic_word_, model.domain_topic_)),
            "heldout_loglik_truth": oracle["heldout_loglik"],
        }

    def warm_predict(model):
        model.predict(words[:100], domains[:100])

    return Task(name=info["name"], info=info, data=train_corpus,
                warmup_data=_warmup_corpus(train_corpus, check_random_state(0)),
                make=_make_factorizer(n_topics if estimate is None else estimate.n_topics),
                evaluate=evaluate, warm_predict=warm_predict)


def _estimate(spec, data):
    """The spectral SelectionResult when ``n_topics="auto"`` was asked for, else None."""
    if spec["n_topics"] != "auto":
        return None
    from ..selection import select_n_topics

    if isinstance(data, tuple):
        return select_n_topics(data[0], domains=data[1], random_state=0)
    return select_n_topics(data, random_state=0)


def _estimate_info(estimate):
    if estimate is None:
        return {}
    return {"n_topics_estimate": estimate.n_topics, "n_topics_selection": estimate.to_dict()}


# ------------------------------------------------------------------ corpus without truth
def corpus_task(corpus, spec, rng, name):
    """Task for a user :class:`~llstopic.Corpus` (no truth): held-out documents and coherence.

    A fraction ``heldout`` of the documents (a seeded permutation) is held out
    whole; methods fit the others.  Each held-out document is scored by
    document completion: half of its tokens infer its topic mix with the
    method's topics fixed (the same maximum-likelihood inference for every
    method), the other half are scored (:func:`~llstopic.metrics.score_completion`).
    Topics are also scored by u_mass coherence on the training documents, topic
    diversity and duplicated topics.
    """
    from ..corpus import Corpus
    from ..metrics import (coherence, duplicate_topics, score_completion, split_documents,
                           topic_diversity)

    n_topics = spec["n_topics"]
    if n_topics is None:
        raise ValueError("n_topics is required to compare methods on a Corpus (it has no true topics)")
    estimate = _estimate(spec, corpus)
    if estimate is not None:
        n_topics = estimate.n_topics
    if n_topics > corpus.n_words:
        raise ValueError(f"n_topics = {n_topics} is larger than the corpus vocabulary, n_words = "
                         f"{corpus.n_words}")
    if corpus.n_tokens == 0:
        raise ValueError("the corpus holds no tokens")
    counts = corpus.counts
    observed = held_counts = None
    train_corpus = corpus
    if spec["heldout"] > 0 and rng is not None:
        lengths = corpus.domain_lengths()
        order = rng.permutation(corpus.n_domains)
        n_test = int(round(spec["heldout"] * corpus.n_domains))
        test = np.sort(order[:n_test])
        test = test[lengths[test] >= 2]                       # a document of one token cannot be split
        train = np.setdiff1d(np.arange(corpus.n_domains), test)
        if test.size == 0 or counts[train].nnz == 0:
            raise ValueError(f"the corpus ({corpus.n_domains} documents) is too small to hold "
                             f"{spec['heldout']:.0%} of its documents out; use heldout=0")
        observed, held_counts = split_documents(counts[test], random_state=rng)
        names = None if corpus.domain_names is None else [corpus.domain_names[i] for i in train]
        train_corpus = Corpus._trusted(sp.csr_matrix(counts[train]), corpus.vocabulary, names)
    vocabulary = corpus.vocabulary or [str(i) for i in range(corpus.n_words)]
    n_top = min(spec["n_top_words"], corpus.n_words)
    info = {
        "name": name or "corpus",
        "kind": "corpus", "truth": False, "n_domains": corpus.n_domains, "n_words": corpus.n_words,
        "n_topics": n_topics, "n_tokens": int(corpus.n_tokens),
        "n_train_tokens": int(train_corpus.n_tokens),
        "n_heldout_documents": 0 if held_counts is None else int(held_counts.shape[0]),
        "tokens_per_domain": float(corpus.domain_lengths().mean()), "heldout": spec["heldout"],
        **_estimate_info(estimate),
    }

    def evaluate(model):
        top = np.argsort(-model.topic_word_, axis=1, kind="stable")[:, :n_top]
        score = (None if held_counts is None
                 else score_completion(model.topic_word_, observed, held_counts))
        return {
            "heldout_loglik": None if score is None else score.nats_per_token,
            "heldout_zero_fraction": None if score is None else score.zero_fraction,
            "coherence_umass": float(coherence(model.topic_word_, counts=train_corpus.counts,
                                               measure="u_mass", top_n=n_top).mean),
            "topic_diversity": topic_diversity(model.topic_word_, top_n=min(25, corpus.n_words)),
            "duplicate_topics": len(duplicate_topics(model.topic_word_, top_n=n_top,
                                                     shared=max(1, n_top // 2))),
            "top_words": [[vocabulary[w] for w in row] for row in top],
        }

    return Task(name=info["name"], info=info, data=train_corpus,
                warmup_data=_warmup_corpus(train_corpus, check_random_state(0)),
                make=_make_factorizer(n_topics), evaluate=evaluate)


# ------------------------------------------------------------------ continuous (DDFA)
def continuous_task(problem, spec, rng, name):
    """Task for a continuous LLS problem (``load_digits_lls``): each method is DDFA's factorizer.

    Recovery is measured in DDFA's cluster space: the oracle p(cluster|y) is
    counted from the clusters of the training examples and their true labels
    (so ``topic_word_error`` is the distance to it and has no oracle of its
    own).  Accuracy is on the test split, with domains, beside a supervised
    logistic regression trained on the true labels.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..continuous import DDFA
    from ..continuous._ddfa import _WORDS_PER_TOPIC
    from ..corpus import Corpus
    from ..factorizers import make_factorizer
    from ..metrics import domain_topic_error, match_topics, matched_accuracy, oracle_topic_word, topic_word_error

    X, domains, labels = problem["X_train"], problem["domains_train"], problem["labels_train"]
    X_test, domains_test, labels_test = problem["X_test"], problem["domains_test"], problem["labels_test"]
    true_dt = np.asarray(problem["domain_topic"], dtype=np.float64)
    n_domains, n_topics = true_dt.shape
    if spec["n_topics"] not in (None, "auto") and spec["n_topics"] != n_topics:
        raise ValueError(f"n_topics = {spec['n_topics']} differs from the problem's {n_topics} classes; "
                         "leave n_topics=None")
    label_counts = np.bincount(domains * n_topics + labels, minlength=n_domains * n_topics)
    label_counts = label_counts.reshape(n_domains, n_topics).astype(np.float64)
    oracle_dt = label_counts / np.maximum(label_counts.sum(axis=1, keepdims=True), 1.0)
    # supervised reference: the discriminator's model family trained on the true labels,
    # then shifted to each test domain with the true p_d(y) (Bayes' rule)
    supervised = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X, labels)
    prior = np.bincount(labels, minlength=n_topics) / labels.shape[0]
    shifted = supervised.predict_proba(X_test) * true_dt[domains_test] / np.maximum(prior, 1e-300)
    oracle = {"topic_word_error": None,
              "domain_topic_error": domain_topic_error(true_dt, oracle_dt, permutation=None),
              "accuracy": float(np.mean(np.argmax(shifted, axis=1) == labels_test)),
              "heldout_loglik": None}
    info = {"name": name or "digits", "kind": "continuous", "truth": True,
            "n_domains": n_domains, "n_words": _WORDS_PER_TOPIC * n_topics, "n_topics": n_topics,
            "n_tokens": int(X.shape[0]), "n_train_tokens": int(X.shape[0]),
            "tokens_per_domain": X.shape[0] / n_domains, "heldout": 0.0, "oracle": oracle,
            "n_test": int(X_test.shape[0])}
    estimate = _estimate(spec, (X, domains))
    info.update(_estimate_info(estimate))
    fit_topics = n_topics if estimate is None else estimate.n_topics

    def make(method, params, seed):
        factorizer = make_factorizer(method, fit_topics, random_state=seed, **params)
        return DDFA(fit_topics, factorizer=factorizer, random_state=seed)

    def evaluate(model):
        if model.topic_word_.shape[0] != n_topics:      # n_topics="auto" missed the truth
            return {"topic_word_error": None, "topic_word_error_oracle": None,
                    "topic_word_error_ratio": None, "domain_topic_error": None,
                    "domain_topic_error_oracle": oracle["domain_topic_error"], "accuracy": None,
                    "accuracy_bayes": oracle["accuracy"], "heldout_loglik": None,
                    "heldout_loglik_truth": None, "factorize_time_s": None}
        words = model.discretizer_.words_
        # the factorization step alone, refitted on the same cluster counts and timed
        twin = clone(model.factorizer_)
        start = time.perf_counter()
        twin.fit(Corpus.from_tokens(words, domains, n_words=model.n_words_, n_domains=n_domains))
        factorize_s = time.perf_counter() - start
        oracle_cw = oracle_topic_word(words, labels, model.n_words_, n_topics)
        perm = match_topics(oracle_cw, model.topic_word_)
        return {
            "topic_word_error": topic_word_error(oracle_cw, model.topic_word_, permutation=perm),
            "topic_word_error_oracle": None, "topic_word_error_ratio": None,
            "domain_topic_error": domain_topic_error(true_dt, model.domain_topic_, permutation=perm),
            "domain_topic_error_oracle": oracle["domain_topic_error"],
            "accuracy": matched_accuracy(labels_test, model.predict(X_test, domains_test)),
            "accuracy_bayes": oracle["accuracy"],
            "heldout_loglik": None, "heldout_loglik_truth": None,
            "factorize_time_s": factorize_s,
        }

    # The warm-up fits the factorizer alone on cluster-like counts: DDFA's own cost is the
    # discriminator (scikit-learn, nothing to compile), and paying it twice would double the run.
    warm_counts = rng_counts(n_domains, max(n_topics, 2))
    return Task(name=info["name"], info=info, data=(X, domains),
                warmup_data=Corpus.from_matrix(warm_counts), make=make, evaluate=evaluate,
                fit=lambda model, data: model.fit(*data), warmup_make=_make_factorizer(n_topics))


def rng_counts(n_domains, n_words):
    """Small deterministic counts of shape (n_domains, n_words) for a warm-up fit."""
    return check_random_state(0).integers(20, 200, size=(n_domains, n_words))
