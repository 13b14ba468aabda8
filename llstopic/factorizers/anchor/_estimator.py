"""Anchor-word recovery of p(x|y) (Arora et al., ICML 2013), compiled with numba.

Under separability every topic y has an anchor word, produced by y alone.  Each
word's row in a suitable representation is then a convex combination of the
anchor words' rows with weights p(y|x): the anchors are the vertices of the
rows' convex hull.  The fit finds them (farthest-point search with
Gram-Schmidt, then a clean-up pass), solves one small simplex-constrained
problem per word for p(y|x), and inverts with Bayes' rule,
p(x|y) = p(y|x) p(x) / p(y).  The label mixes p_d(y) of the training domains
are then the maximum-likelihood proportions with the topics fixed.

The corpus enters once, through the word space (one pass over its
non-zeros); the search and the recovery then depend on the vocabulary only.
Each phase is logged at INFO level (``logging.getLogger(__name__)``) with its
duration, which is also kept in ``fit_timings_``.

Module layout: the word representations live in ``_spaces``, the candidate
threshold, the search and the re-choice of duplicated topics' anchors in
``_choice``, the recovery phase in ``_recovery``; the numba kernels in
``llstopic._kernels.cooccurrence`` (Q from CSR), ``anchor`` (the search),
``simplex`` (the per-word solvers) and ``recovery`` (serial and parallel
drivers over all words).
"""

from __future__ import annotations

import contextlib
import logging
import time
from numbers import Integral, Real

import numpy as np

from ..._kernels._threads import thread_limits
from ..._validation import Interval, Options
from . import _choice, _recovery, _spaces
from .._base import Factorizer
from .._persistence import Array, Strings
from .._registry import register_factorizer

__all__ = ["AnchorWords"]

_LOG = logging.getLogger(__name__)

_REPRESENTATIONS = ("auto", "cooccurrence", "domain")
_LOSSES = ("kl", "l2")


@contextlib.contextmanager
def _phase(name, timings, detail=""):
    """Time one phase of the fit into ``timings[name]``, logging its start and end."""
    _LOG.info("AnchorWords: %s%s ...", name, detail)
    start = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - start
    _LOG.info("AnchorWords: %s done in %.2f s", name, timings[name])


@register_factorizer("anchor")
class AnchorWords(Factorizer):
    """Anchor-word factorizer: provable recovery of p(x|y) under separability.

    Parameters
    ----------
    n_topics : int
        Number of topics (latent labels), 1 <= n_topics <= number of candidate words.
    representation : {"auto", "cooccurrence", "domain"}, default="auto"
        The space in which the anchors are found and p(y|x) is recovered.
        ``"domain"``: row x is p(d|x), the column-normalised counts, shape
        (n_words, n_domains) -- the natural space for latent label shift (few,
        long domains) and the discrete twin of DDFA's p(d|x) space; needs at
        least ``n_topics`` domains.  ``"cooccurrence"``: Arora et al.'s
        unbiased co-occurrence estimator, rows normalised to p(w2|w1), shape
        (n_words, n_words) -- for topic models (many short documents).
        ``"auto"`` picks ``"domain"`` when ``n_topics <= n_domains <= n_words``
        and the mean domain length is at least ``n_words`` (every row p(d|x)
        is then estimated from many tokens per domain), else
        ``"cooccurrence"``; with ``rectify=True`` it always picks
        ``"cooccurrence"``.  The choice is in ``representation_``.
    loss : {"kl", "l2"}, default="kl"
        Divergence between a word's row and its mixture of anchor rows:
        ``"kl"`` = KL(row || mixture), ``"l2"`` = squared Euclidean distance
        (solved from the shared n_topics x n_topics Gram matrix).  KL starts
        from the uniform point and, on rows longer than
        ``max(1000, 10 * n_topics)`` entries, solved on coarse-grained rows:
        the columns are grouped by their anchor profiles and summed within
        groups, which keeps exact mixtures exact (see
        ``llstopic.factorizers.anchor._recovery``); the number of groups is
        in ``n_column_groups_``.
    min_count : int, optional
        Candidate anchors are words with at least ``min_count`` tokens (in the
        co-occurrence representation: tokens in documents of at least two
        tokens).  Rare words look like vertices through sampling noise alone.
        Default (``None``): derived from the data.  Row x is the mean of its
        n_x tokens' profiles (the unit vector of the token's domain, or the
        word distribution of the token's document), so its sampling noise has
        squared norm ``sigma2_x / n_x``, ``sigma2_x`` the variance of those
        profiles.  With ``S2`` the p(x)-weighted squared spread of the rows
        around their mean (its noise part removed) and ``sigma2`` the
        p(x)-weighted mean of ``sigma2_x``, the default is
        ``ceil(sigma2 / (0.07**2 * S2))``: the count at which a typical row's
        noise is at most 7% of the spread of the signal (the search takes the
        most extreme of many candidates, so their noise must be small).  It is
        lowered when needed so that at least ``min(6 * n_topics, words that
        occur)`` words qualify.
        The value used is ``min_count_``.
    rectify : bool, default=False
        Apply the alternating-projection rectification of Lee, Bindel & Mimno
        (NeurIPS 2015) to the co-occurrence matrix before the search (rank
        n_topics PSD, sums to one, non-negative): for small, noisy corpora.
        Needs the dense co-occurrence matrix (n_words^2 float64 within 1 GiB).
    max_iter : int, default=3000
        Iterations at most of the per-word solver: exponentiated gradient with
        a backtracking line search, accelerated by damped active-set Newton
        steps once the support settles (see ``llstopic._kernels.simplex``;
        typically 10-40 iterations per word).
    tol : float, default=1e-6
        Duality-gap threshold of the per-word solver, which bounds the
        sub-optimality of each word's loss (absolute for KL, in nats; relative
        to the row's squared norm for L2), and of the maximum-likelihood
        p_d(y) of the training domains (nats per token).  Recovery errors do
        not change between 1e-5 and 1e-10 on sampled problems; the population
        limit is tested with ``tol=1e-13``.
    polish : "auto" or bool, default="auto"
        Take the method-of-moments answer to the nearby optimum of the posterior
        by MAP-EM over the non-zeros (:mod:`llstopic.factorizers._polish`, never
        decreasing).  ``"auto"``: in the co-occurrence space while the corpus
        has under 40 tokens per topic-word parameter, where it pays (measured in
        ``anchor._recovery.polishes``).  ``polish_`` reports what it did.
    polish_max_iter, polish_tol : int, default=50; float, default=1e-5
        EM steps at most; stop when the log-likelihood changes (relatively) by less.
    polish_prior : float, default=0.1
        Dirichlet pseudo-count; plain EM (0) overfits short documents (held-out
        completion on Lee, K=20: -7.30 raw, -7.89 with 0, -6.75 with 0.1).
    replace_duplicates : "auto" or int >= 0, default="auto"
        Rounds at most of anchor re-choice when two topics come out duplicated
        (sharing 5 of their 10 most probable words): the anchor of the one with
        fewer tokens is replaced by the next-best candidate, and the recovery
        (of the words it touches), p_d(y) and the polish run again
        (``anchor._choice``).  The round with the fewest duplicated pairs is
        kept; 0 keeps the first anchors.  ``"auto"``: 3 rounds on corpora of
        at most 2 million non-zeros with at least 10 words per topic, else 0.
    n_jobs : int, optional
        Threads of the whole fit and of ``transform``: numba's parallel
        kernels and the BLAS products.  ``None``: all of numba's threads;
        ``1``: the serial kernels and one BLAS thread; negative: all but
        ``-n_jobs - 1``.
    random_state : None, int or numpy.random.Generator
        Seeds the random projection of the anchor search (used only when the
        candidates' rows exceed 256 MiB; dimension ``max(1000, 20 *
        n_topics)``) and the rectification's eigensolver.

    Attributes
    ----------
    topic_word_ : ndarray of shape (n_topics, n_words)
        p(x|y); each row sums to one.
    domain_topic_ : ndarray of shape (n_domains, n_topics)
        p_d(y) of the training domains (maximum likelihood, topics fixed).
    anchors_ : ndarray of int64, shape (n_topics,)
        The anchor word of each topic (topic y is anchored by ``anchors_[y]``).
    anchor_words_ : list of str or None
        The anchors as vocabulary strings, when the corpus has a vocabulary.
    representation_ : str
        ``"domain"`` or ``"cooccurrence"``.
    min_count_ : int
        The candidate threshold used.
    n_candidates_ : int
        Number of candidate words.
    projection_dim_ : int or None
        Dimension of the random projection of the anchor search, if one was used.
    recovery_loss_ : ndarray of shape (n_words,)
        Per-word residual of the recovery (KL or squared L2 between the word's
        row -- coarse-grained for KL, see ``loss`` -- and its mixture of anchor
        rows); 0 for words without data.
    n_column_groups_ : int or None
        Column groups of the KL recovery's coarse-grained rows (None: every
        column was used).
    n_iter_ : int
        Largest number of solver iterations any word needed.
    fit_timings_ : dict
        Wall-clock seconds of the fit's phases: ``representation`` (the word
        space: the one pass over the corpus), ``search``, ``recovery``,
        ``proportions`` (p_d(y) of the training domains), ``polish`` (of the
        first anchors) and, when any ran, ``duplicates`` (all rounds of
        re-choice of ``replace_duplicates``).
    polish_ : dict or None
        ``n_iter``, ``converged``, ``loglik_before`` and ``loglik_after``
        (nats per token) of the polish; None when it did not run.
    duplicates_ : dict or None
        The re-choice of ``replace_duplicates``: ``rounds`` run, ``kept_round``
        (0: the first anchors), ``replaced`` (per round, the ``[old, new]``
        anchor word ids) and the duplicated ``pairs`` ``[i, j, shared]`` the
        kept topics still have; None when no round may run
        (``replace_duplicates`` is 0 or "auto" decided 0).

    Examples
    --------
    >>> from llstopic import AnchorWords, make_finite_lls
    >>> problem = make_finite_lls(200, 3, 10, 20_000, alpha=1.0, beta=0.5, random_state=0)
    >>> model = AnchorWords(3, random_state=0).fit(problem.corpus)
    >>> model.representation_, model.topic_word_.shape, model.anchors_.shape
    ('domain', (3, 200), (3,))
    >>> model.domain_topic_.sum(axis=1).round(6).tolist()[:3]
    [1.0, 1.0, 1.0]
    """

    _saved_attributes = ("anchors_", "anchor_words_", "representation_", "min_count_",
                         "n_candidates_", "projection_dim_", "recovery_loss_", "n_iter_",
                         "n_column_groups_", "polish_", "duplicates_")
    _optional_attributes = ("n_column_groups_", "polish_", "duplicates_")  # older files lack them
    _attribute_constraints = {
        "anchors_": Array(np.int64, ("n_topics_",), ("below", "n_words_in_")),
        "anchor_words_": [None, Strings("n_topics_", distinct=False)],
        "representation_": [Options(("domain", "cooccurrence"))],
        "min_count_": [Interval(Integral, 1, None)],
        "n_candidates_": [Interval(Integral, 0, None)],
        "projection_dim_": [None, Interval(Integral, 1, None)],
        "recovery_loss_": Array(np.float64, ("n_words_in_",)),
        "n_iter_": [Interval(Integral, 0, None)],
        "n_column_groups_": [None, Interval(Integral, 1, None)],
        "polish_": [None, dict],
        "duplicates_": [None, dict],
    }

    def __init__(self, n_topics, *, representation="auto", loss="kl", min_count=None,
                 rectify=False, max_iter=3000, tol=1e-6, polish="auto", polish_max_iter=50,
                 polish_tol=1e-5, polish_prior=0.1, replace_duplicates="auto", n_jobs=None,
                 random_state=None):
        self.n_topics = n_topics
        self.representation = representation
        self.loss = loss
        self.min_count = min_count
        self.rectify = rectify
        self.max_iter = max_iter
        self.tol = tol
        self.polish = polish
        self.polish_max_iter = polish_max_iter
        self.polish_tol = polish_tol
        self.polish_prior = polish_prior
        self.replace_duplicates = replace_duplicates
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ------------------------------------------------------------ validation
    _parameter_constraints = {
        **Factorizer._parameter_constraints,
        "representation": [Options(_REPRESENTATIONS)],
        "loss": [Options(_LOSSES)],
        "min_count": [None, Interval(Integral, 1, None)],
        "rectify": ["boolean"],
        "max_iter": [Interval(Integral, 1, None)],
        "tol": [Interval(Real, 0.0, None)],
        "polish": [Options(("auto",)), "boolean"],
        "polish_max_iter": [Interval(Integral, 0, None)],
        "polish_tol": [Interval(Real, 0.0, None, closed="neither")],
        "polish_prior": [Interval(Real, 0.0, None)],
        "replace_duplicates": [Options(("auto",)), Interval(Integral, 0, None)],
        "n_jobs": [None, Interval(Integral, 1, None), Interval(Integral, None, -1)],
    }

    def _check_params(self, corpus):
        representation = self._resolve_representation(corpus, corpus.domain_lengths())
        sample = _spaces.candidate_sample(corpus, representation, self.n_topics,
                                          bool(self.rectify))
        _choice.check_candidates(sample, self.min_count, self.n_topics,
                                 "tokens" if representation == "domain"
                                 else "tokens in documents of at least two tokens")
        self._plan = (representation, sample)

    def _resolve_representation(self, corpus, lengths):
        if self.representation != "auto":
            return self.representation
        n_domains, n_words = corpus.shape
        if self.rectify:
            return "cooccurrence"
        long_domains = lengths.mean() >= n_words
        if self.n_topics <= n_domains <= n_words and long_domains:
            return "domain"
        return "cooccurrence"

    # --------------------------------------------------------------- fitting
    def _fit(self, corpus, rng):
        representation, sample = self._plan
        del self._plan

        def make_space():
            return _spaces.make_space(corpus.counts, representation, self, rng)

        n_domains, n_words = corpus.shape
        _LOG.info("AnchorWords(%d): %d domains x %d words, %d non-zeros, %s space", self.n_topics,
                  n_domains, n_words, corpus.counts.nnz, representation)
        rounds = _choice.n_rounds(self.replace_duplicates, self.n_topics, n_words,
                                  corpus.counts.nnz)
        state = {} if rounds > 0 else None
        try:
            topic_word = self._fit_space(make_space, sample, corpus.vocabulary, rng, keep=state)
            fit = self._finish(corpus, representation, topic_word, self.fit_timings_)
            self.duplicates_ = None
            if rounds > 0:
                def refit(anchors, start):
                    return self._refit(corpus, representation, state, anchors, start)

                start = time.perf_counter()
                fit = _choice.deduplicate(self, state, fit, corpus.domain_lengths(),
                                          corpus.vocabulary, refit, rounds)
                if self.duplicates_["rounds"]:
                    self.fit_timings_["duplicates"] = time.perf_counter() - start
                if corpus.vocabulary is not None:
                    self.anchor_words_ = [corpus.vocabulary[a] for a in self.anchors_]
        finally:
            if state is not None:
                state.clear()   # the space and the search's rows are not kept by the model
        _LOG.info("AnchorWords: fit done in %.2f s", sum(self.fit_timings_.values()))
        return fit

    def _finish(self, corpus, representation, topic_word, timings):
        """p_d(y) of the training domains, then the polish if it runs; returns
        (topic_word, domain_topic)."""
        with _phase("proportions", timings, f" of {corpus.shape[0]} domains"):
            domain_topic = self._infer_domain_topic(corpus.counts, topic_word, tol=float(self.tol))
        self.polish_ = None
        if _recovery.polishes(self, representation, corpus.n_tokens, corpus.shape[1]):
            with _phase("polish", timings):
                topic_word, domain_topic = _recovery.polish_fit(self, corpus, topic_word,
                                                                domain_topic)
        return topic_word, domain_topic

    def _refit(self, corpus, representation, state, anchors, start):
        """One round of ``_choice.deduplicate``: recovery with ``anchors`` from p(y|x)
        ``start`` (in the first fit's column groups), then ``_finish``; returns
        (topic_word, domain_topic, topic_given_word)."""
        self.anchors_ = anchors
        timings = {}
        space = state["space"]
        with thread_limits(self.n_jobs) as n_threads:
            with _phase("recovery", timings):
                # warnings name the user's line: 2 frames deeper than the first recovery's
                topic_given_word, _ = self._recover(space, n_threads, start, state["labels"],
                                                    stacklevel=8)
        topic_word, domain_topic = self._finish(corpus, representation,
                                                _topic_word(topic_given_word, space), timings)
        return topic_word, domain_topic, topic_given_word

    def _recover(self, space, n_threads, start=None, labels=None, stacklevel=6):
        """(p(y|x) of every word from ``anchors_``, column groups): ``_recovery.recover``
        with ``start`` and ``labels``; sets ``recovery_loss_``, ``n_column_groups_`` and
        ``n_iter_``."""
        topic_given_word, self.recovery_loss_, gap, n_iter, self.n_column_groups_, labels = \
            _recovery.recover(space, self.anchors_, loss=self.loss, max_iter=int(self.max_iter),
                              tol=float(self.tol), n_threads=n_threads,
                              budget=_spaces.MEMORY_BUDGET, start=start, labels=labels)
        self.n_iter_ = int(n_iter.max(initial=0))
        _recovery.warn_unconverged(self, gap, n_iter, stacklevel=stacklevel)
        return topic_given_word, labels

    # SEAM (issue 17, llstopic.distributed): the fit between the space and p_d(y), for a space
    # built elsewhere (from statistics reduced on a Dask cluster)
    def _fit_space(self, make_space, sample, vocabulary, rng, keep=None):
        """p(x|y) from the space ``make_space()`` builds (called inside the thread
        bound and timed as ``representation``) and the candidate sample (see
        ``_check_params``).  Sets every fitted attribute of the search and the
        recovery, and ``fit_timings_`` without ``proportions``; returns
        ``topic_word`` of shape (n_topics, n_words).  ``keep``: a dict that
        receives the ``space``, the search's ``points`` and ``candidates`` and
        ``topic_given_word`` (for ``_choice.deduplicate``)."""
        n_topics = self.n_topics
        timings = {}
        with thread_limits(self.n_jobs) as n_threads:
            with _phase("representation", timings):
                space = make_space()
            with _phase("search", timings):
                self.min_count_ = _choice.default_min_count(space, sample, n_topics) \
                    if self.min_count is None else int(self.min_count)
                candidates = np.flatnonzero(sample >= self.min_count_).astype(np.int64)
                points = space.search_points(candidates, n_topics, rng, _spaces.MEMORY_BUDGET)
                _LOG.info("AnchorWords: %d candidates (min_count %d), search in %d dimensions, "
                          "%d threads", candidates.shape[0], self.min_count_, points.shape[1],
                          n_threads)
                self.anchors_ = _choice.search(points, candidates, n_topics)
                if keep is None:
                    del points
            with _phase("recovery", timings):
                topic_given_word, labels = self._recover(space, n_threads)
        self.n_candidates_ = int(candidates.shape[0])
        self.projection_dim_ = space.projection_dim
        self.representation_ = space.name
        self.anchor_words_ = None if vocabulary is None else [vocabulary[a] for a in self.anchors_]
        self.fit_timings_ = timings
        if keep is not None:
            keep.update(space=space, points=points, candidates=candidates,
                        topic_given_word=topic_given_word, labels=labels)
        return _topic_word(topic_given_word, space)


def _topic_word(topic_given_word, space):
    """Bayes: p(x|y) is proportional to p(y|x) p(x)."""
    topic_word = (topic_given_word * space.word_weight[:, None]).T
    topic_word /= topic_word.sum(axis=1, keepdims=True)
    return topic_word
