"""What :func:`llstopic.compare` does per kind of problem.

Each builder splits the data once, computes the figures that do not depend on
a method (the oracle, the true model's scores), and returns a *task*: a dict
with

``name``, ``info``
    the problem's name and its description/oracle figures;
``data``, ``warmup_data``
    what a method is fitted on, and a small slice of it for the warm-up;
``make(method, params, seed)``, ``fit(model, data)``, ``warm_predict(model)``
    how to build, fit and exercise a model;
``evaluate(model)``
    the per-method figures, a dict of row columns.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from .._validation import check_random_state

__all__ = ["finite_task", "corpus_task", "continuous_task"]

_WARMUP_DOMAINS = 200
_WARMUP_TOKENS = 20_000


def _make_factorizer(n_topics):
    from ..factorizers import make_factorizer

    def make(method, params, seed):
        return make_factorizer(method, n_topics, random_state=seed, **params)

    return make


def _fit(model, corpus):
    model.fit(corpus)


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
    from ..metrics import log_likelihood
    from ..corpus import Corpus
    from ..metrics import (domain_topic_error, match_topics, matched_accuracy, oracle_topic_word,
                          topic_word_error)
    from ..posterior import lls_predict

    n_topics = problem.n_topics
    if spec["n_topics"] is not None and spec["n_topics"] != n_topics:
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
        "oracle": oracle,
    }

    def evaluate(model):
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

    return {"name": info["name"], "info": info, "data": train_corpus,
            "warmup_data": _warmup_corpus(train_corpus, check_random_state(0)),
            "make": _make_factorizer(n_topics), "fit": _fit, "warm_predict": warm_predict,
            "evaluate": evaluate}


# ------------------------------------------------------------------ corpus without truth
def corpus_task(corpus, spec, rng, name):
    """Task for a user :class:`~llstopic.Corpus` (no truth): likelihood and coherence."""
    from ..metrics import log_likelihood
    from ..corpus import Corpus

    n_topics = spec["n_topics"]
    if n_topics is None:
        raise ValueError("n_topics is required to compare methods on a Corpus (it has no true topics)")
    if n_topics > corpus.n_words:
        raise ValueError(f"n_topics = {n_topics} is larger than the corpus vocabulary, n_words = "
                         f"{corpus.n_words}")
    if corpus.n_tokens == 0:
        raise ValueError("the corpus holds no tokens")
    counts = corpus.counts
    held_counts = None
    train_corpus = corpus
    if spec["heldout"] > 0 and rng is not None:
        held = rng.binomial(counts.data, spec["heldout"]).astype(np.int64)
        held_counts = sp.csr_matrix((held, counts.indices.copy(), counts.indptr.copy()), shape=counts.shape)
        train = sp.csr_matrix((counts.data - held, counts.indices.copy(), counts.indptr.copy()),
                              shape=counts.shape)
        held_counts.eliminate_zeros()
        train.eliminate_zeros()
        if train.nnz == 0:
            raise ValueError("the corpus is too small to hold tokens out; use heldout=0")
        train_corpus = Corpus._trusted(train, corpus.vocabulary, corpus.domain_names)
    vocabulary = corpus.vocabulary or [str(i) for i in range(corpus.n_words)]
    coherence = _UMass(train_corpus.counts, vocabulary)
    n_top = min(spec["n_top_words"], corpus.n_words)
    info = {
        "name": name or "corpus",
        "kind": "corpus", "truth": False, "n_domains": corpus.n_domains, "n_words": corpus.n_words,
        "n_topics": n_topics, "n_tokens": int(corpus.n_tokens),
        "n_train_tokens": int(train_corpus.n_tokens),
        "tokens_per_domain": float(corpus.domain_lengths().mean()), "heldout": spec["heldout"],
    }

    def evaluate(model):
        top = np.argsort(-model.topic_word_, axis=1, kind="stable")[:, :n_top]
        return {
            "heldout_loglik": (None if held_counts is None else log_likelihood(
                held_counts, model.topic_word_, model.domain_topic_)),
            "coherence_umass": coherence(top),
            "top_words": [[vocabulary[w] for w in row] for row in top],
        }

    return {"name": info["name"], "info": info, "data": train_corpus,
            "warmup_data": _warmup_corpus(train_corpus, check_random_state(0)),
            "make": _make_factorizer(n_topics), "fit": _fit, "warm_predict": lambda model: None,
            "evaluate": evaluate}


class _UMass:
    """Mean u_mass coherence of top-word lists on a count matrix (gensim ``CoherenceModel``)."""

    def __init__(self, counts, vocabulary):
        from gensim.corpora import Dictionary

        from ..corpus._gensim import GensimBow

        self.bow = list(GensimBow(counts))
        self.vocabulary = vocabulary
        self.dictionary = Dictionary.from_corpus(self.bow, id2word=dict(enumerate(vocabulary)))

    def __call__(self, top_ids):
        from gensim.models.coherencemodel import CoherenceModel

        topics = [[self.vocabulary[w] for w in row] for row in top_ids]
        model = CoherenceModel(topics=topics, corpus=self.bow, dictionary=self.dictionary,
                               coherence="u_mass", topn=len(topics[0]))
        return float(model.get_coherence())


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
    if spec["n_topics"] is not None and spec["n_topics"] != n_topics:
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

    def make(method, params, seed):
        factorizer = make_factorizer(method, n_topics, random_state=seed, **params)
        return DDFA(n_topics, factorizer=factorizer, random_state=seed)

    def evaluate(model):
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
    return {"name": info["name"], "info": info, "data": (X, domains),
            "warmup_data": Corpus.from_matrix(warm_counts), "make": make,
            "warmup_make": _make_factorizer(n_topics),
            "fit": lambda model, data: model.fit(*data),
            "warm_predict": lambda model: None, "evaluate": evaluate}


def rng_counts(n_domains, n_words):
    """Small deterministic counts of shape (n_domains, n_words) for a warm-up fit."""
    return check_random_state(0).integers(20, 200, size=(n_domains, n_words))
