"""AnchorWords fitted from statistics summed on the workers.

Everything the anchor fit reads from the documents is a sum over documents:

* the word counts (the candidate threshold and, for the domain
  representation, p(x));
* for the co-occurrence representation, the rows of
  ``Q = sum_d (h_d h_d^T - diag h_d) / (n_d (n_d - 1) n_used)``, its row sums
  and the profile norms behind the default ``min_count`` -- or, when the
  dense Q exceeds the memory budget, ``Q @ projection`` (V x m) for the
  search and blocks of rows of Q for the recovery.

Each partition computes its share, the shares are summed pairwise on the
workers (:func:`~llstopic.distributed._corpus.tree_sum`) and the client fits
:class:`~llstopic.AnchorWords` on the sums through its ``_fit_space`` seam,
with the same random draws in the same order as a single-process fit.  For
the domain representation the statistic *is* the (few, long) documents'
counts, so they are gathered and ``DomainSpace`` is built from them.
Finally p_d(y) is solved on the workers, partition by partition.
"""

from __future__ import annotations

import time
import types
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from .._validation import check_positive_int, check_random_state
from ..factorizers._base import _normalize_rows
from ..factorizers.anchor import AnchorWords
from ..factorizers.anchor import _choice, _spaces
from ..factorizers.anchor._recovery import polish_summary, polishes
from . import _tasks
from ._corpus import PartitionedCorpus, RowBlocks, _check_client, put, submit, tree_sum
from ._vocab import _check_corpus, _check_topics, vocabulary_counts

__all__ = ["fit_anchor_words", "infer_domain_topic"]

#: Default bytes of one block of rows of Q that a partition's task returns.
BLOCK_BYTES = 2**27


class _ClusterCooccurrenceSpace(_spaces.CooccurrenceSpace):
    """``CooccurrenceSpace`` whose sums over documents run on the workers.

    Only the constructor and the two methods that read the counts
    (``_rows_into``, ``_project``) differ from the parent; the rest (the
    normalisation, the search points, the anchor rows, the row blocks of the
    recovery and the statistics of the default ``min_count``) is inherited.
    """

    def __init__(self, client, corpus, counts, *, rectify, n_topics, rng, budget, block_bytes,
                 n_threads):
        self.client, self.partitions = client, corpus.partitions
        self.n_used, self.block_bytes, self.n_threads = counts.n_used, block_bytes, n_threads
        shares = [submit(client, _tasks.cooc_word_stats, f, self.n_used) for f in self.partitions]
        word_weight, weighted = client.gather(tree_sum(client, shares))
        self.sample_size = counts.used_word_counts.astype(np.float64)
        self.word_weight = word_weight  # row sums of Q
        with np.errstate(divide="ignore", invalid="ignore"):
            self.profile_norms2 = np.where(word_weight > 0, weighted / word_weight, 0.0)
        n_words = corpus.n_words
        self.n_words = self.n_dims = n_words
        self.n_topics = n_topics
        self.rng = rng
        self.projection_dim = None
        self.dense = None
        self._projected = None
        if n_words * n_words * 8 <= budget:
            Q = np.zeros((n_words, n_words))
            self._rows_into(np.arange(n_words, dtype=np.int64), Q)
            if rectify:
                Q = _spaces.rectify_cooccurrence(Q, n_topics, rng)
                self.word_weight = Q.sum(axis=1)
            self._normalise(Q, 0)
            self.dense = Q

    @property
    def column_weight(self):
        """Q is symmetric: its column sums are its row sums (as ``CooccurrenceSpace``)."""
        return self.word_weight

    def _rows_into(self, words, out):
        """out[i] = row words[i] of Q, in blocks of ``block_bytes`` per task (one block
        submitted ahead of the one being gathered)."""
        size = max(1, int(self.block_bytes // (8 * self.n_words)))
        starts = list(range(0, words.shape[0], size))

        def block_sum(a):
            block = np.ascontiguousarray(words[a:a + size])
            parts = [submit(self.client, _tasks.cooc_rows, f, self.n_used, block, self.n_threads)
                     for f in self.partitions]
            return tree_sum(self.client, parts)

        pending = block_sum(starts[0]) if starts else None
        for i, a in enumerate(starts):
            following = block_sum(starts[i + 1]) if i + 1 < len(starts) else None
            rows = self.client.gather(pending)
            out[a:a + rows.shape[0]] = rows
            del rows
            pending = following

    def _project(self):
        if self._projected is None:
            dim = _spaces.projection_dim(self.n_words, self.n_topics)
            self.projection_dim = dim
            projection = self.rng.standard_normal((self.n_words, dim)) / np.sqrt(dim)
            shared = put(self.client, projection)
            parts = [submit(self.client, _tasks.cooc_project, f, self.n_used, shared)
                     for f in self.partitions]
            out = self.client.gather(tree_sum(self.client, parts))
            self._normalise(out, 0)
            self._projected = out
        return self._projected


def _plan(model, counts, n_words):
    """``AnchorWords._check_params`` on reduced statistics: (representation, sample)."""
    model._validate_parameters()
    n_topics, n_domains = model.n_topics, counts.n_domains
    # _resolve_representation reads corpus.shape and lengths.mean() only
    shape = types.SimpleNamespace(shape=(n_domains, n_words))
    representation = model._resolve_representation(shape, np.array([counts.n_tokens / n_domains]))
    _spaces.check_representation(representation, n_domains, n_words, n_topics,
                                 bool(model.rectify), counts.n_used)
    if representation == "domain":
        sample, what = counts.word_counts, "tokens"
    else:
        sample, what = counts.used_word_counts, "tokens in documents of at least two tokens"
    _choice.check_candidates(sample, model.min_count, n_topics, what)
    return representation, sample


def infer_domain_topic(client: Any, corpus: PartitionedCorpus, topic_word: ArrayLike, *,
                       max_iter: int = 1000, tol: float = 1e-9, n_threads: int = 1) -> RowBlocks:
    """Maximum-likelihood p_d(y) of every document with the topics fixed, on the workers.

    Row by row the same solve as ``Factorizer.transform`` (so equal rows);
    the topics are broadcast.

    Returns
    -------
    RowBlocks
        Shape (n_domains, n_topics), one block per partition, left on the workers.
    """
    _check_client(client)
    _check_corpus(corpus)
    topic_word = _check_topics(topic_word, corpus, simplex=False)
    shared = put(client, topic_word)
    futures = tuple(submit(client, _tasks.ml_domain_topic, f, shared, int(max_iter), float(tol),
                                  n_threads) for f in corpus.partitions)
    return RowBlocks(futures, corpus.n_docs, topic_word.shape[0])


def fit_anchor_words(client: Any, corpus: PartitionedCorpus, model: AnchorWords, *,
                     n_threads: int = 1, block_bytes: int = BLOCK_BYTES) -> AnchorWords:
    """Fit an :class:`~llstopic.AnchorWords` on a partitioned corpus.

    The result equals ``model.fit(gather_corpus(client, corpus))`` with the
    same ``random_state`` to float tolerance (sums are taken in another
    order).

    Parameters
    ----------
    client : distributed.Client
    corpus : PartitionedCorpus
    model : AnchorWords
        Its parameters are used; it is fitted in place and returned.
    n_threads : int, default=1
        numba threads per task on the workers (a worker runs one task per
        thread already).  ``model.n_jobs`` bounds the client's threads.
    block_bytes : int, default=2**27
        Size of the block of rows of Q (rows x n_words float64) that one
        partition's task returns.

    Returns
    -------
    AnchorWords
        With every attribute of a single-process fit; ``domain_topic_`` is
        gathered to the client.

    Notes
    -----
    Memory per worker: its partitions' CSR (12 bytes per non-zero) plus, per
    running task, the int64/float64 CSR and CSC copies the co-occurrence
    kernel reads (about 3x the CSR, transient) and one dense block of at most
    ``block_bytes`` (rows of Q, n_rows x V float64; three blocks during a
    pairwise sum).  When the dense Q exceeds the 1 GiB budget, the anchor
    search instead sends the workers the V x m projection and each returns
    one V x m block (m = ``min(V, max(1000, 20 * n_topics))``).  On the
    client: the dense Q (V^2 float64, within the budget) or the V x m
    projection and one block of rows at a time, as in a single-process fit;
    for the domain representation, the whole count matrix (few, long
    documents: it *is* the representation).
    """
    _check_client(client)
    _check_corpus(corpus)
    if not isinstance(model, AnchorWords):
        raise TypeError(f"model must be an llstopic.AnchorWords, got {type(model).__name__}")
    n_threads = check_positive_int(n_threads, "n_threads")
    block_bytes = check_positive_int(block_bytes, "block_bytes")
    n_topics = check_positive_int(model.n_topics, "n_topics")
    if n_topics > corpus.n_words:
        raise ValueError(f"n_topics = {n_topics} is larger than the number of words n_words = "
                         f"{corpus.n_words}")
    rng = check_random_state(model.random_state)
    counts = vocabulary_counts(client, corpus)
    if counts.n_tokens == 0:
        raise ValueError("corpus holds no tokens (every count is zero); at least one token is "
                         "required")
    representation, sample = _plan(model, counts, corpus.n_words)
    topic_word = _fit(client, corpus, model, counts, representation, sample, rng, n_threads,
                      block_bytes)
    model.topic_word_ = _normalize_rows(np.asarray(topic_word, dtype=np.float64), "topic_word")
    start = time.perf_counter()
    blocks = infer_domain_topic(client, corpus, topic_word, max_iter=model._infer_max_iter,
                                tol=float(model.tol), n_threads=n_threads)   # as AnchorWords._fit
    model.domain_topic_ = _normalize_rows(blocks.gather(client), "domain_topic")
    model.fit_timings_["proportions"] = time.perf_counter() - start
    model.polish_ = None
    # the re-choice of duplicated topics' anchors (AnchorWords.replace_duplicates) re-runs the
    # recovery, p_d(y) and the polish per round; it is not distributed
    model.duplicates_ = None
    if polishes(model, representation, counts.n_tokens, corpus.n_words):
        # the same EM steps as AnchorWords' polish, with the E-steps on the workers
        from ._polish import polish

        start = time.perf_counter()
        result = polish(client, corpus, model.topic_word_, model.domain_topic_,
                        max_iter=int(model.polish_max_iter), tol=float(model.polish_tol),
                        prior=float(model.polish_prior), smoothing=1e-10, n_threads=n_threads)
        model.topic_word_ = result.topic_word
        model.polish_ = polish_summary(result)
        # as AnchorWords: domain_topic_ is the maximum likelihood with the polished topics
        blocks = infer_domain_topic(client, corpus, model.topic_word_, max_iter=model._infer_max_iter,
                                    tol=float(model.tol), n_threads=n_threads)
        model.domain_topic_ = _normalize_rows(blocks.gather(client), "domain_topic")
        model.fit_timings_["polish"] = time.perf_counter() - start
    model.n_topics_ = n_topics
    model.n_words_in_ = corpus.n_words
    model.n_domains_ = corpus.n_domains
    model.vocabulary_ = corpus.vocabulary
    return model


def _fit(client, corpus, model, counts, representation, sample, rng, n_threads, block_bytes):
    """topic_word through the seam (one frame between the seam and the public function,
    as ``fit -> _fit`` in a single-process fit, so warnings point at the caller)."""

    def make_space():
        if representation == "domain":
            blocks = client.gather(list(corpus.partitions))
            return _spaces.DomainSpace(sp.vstack(blocks, format="csr"))
        return _ClusterCooccurrenceSpace(client, corpus, counts, rectify=bool(model.rectify),
                                         n_topics=model.n_topics, rng=rng,
                                         budget=_spaces.MEMORY_BUDGET, block_bytes=block_bytes,
                                         n_threads=n_threads)

    return model._fit_space(make_space, sample, corpus.vocabulary, rng)
