"""The likelihood polish (EM / MAP-EM with SQUAREM) with its passes on the workers.

The same algorithm as :func:`llstopic.factorizers._polish.polish`, step for
step: every pass over the non-zeros runs per partition
(:func:`~llstopic.distributed._tasks.em_partition`) with the topics of the
pass sent once to the cluster (:func:`~llstopic.distributed._corpus.put`,
fetched by each worker that needs them); the expected word-topic counts
(n_words x n_topics per partition) are summed pairwise on the workers, the
log-likelihoods summed on the client, and the topics' M-step and SQUAREM's
step length are computed on the client.  Each partition's p_d(y) block stays
on its worker; SQUAREM's norms and extrapolation of it run there too.

Memory per worker: its partitions' CSR, up to four p_d(y) blocks per
partition (n_docs_p x n_topics float64: x, F(x), F(F(x)) and x'), the
topics of the pass and one (n_words x n_topics) float64 block of expected
counts per running task (three during a pairwise sum).  On the client: the
topics of the four points and one reduced block of expected counts.  On the
scheduler: the topics of every pass so far (n_words x n_topics float64
each, inside the tasks that carry them), kept while the p_d(y) blocks that
descend from them are alive -- that lineage is what lets Dask recompute a
lost worker's blocks, with the same result.
"""

from __future__ import annotations

import dataclasses
import logging
import weakref
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._kernels import em as _em
from .._validation import check_positive_int
from .._validation import check_bool as _check_bool
from .._validation import check_factor as _check_factor
from .._validation import check_real as _check_real
from ..factorizers import _squarem
from ..factorizers._polish import PolishResult, _Trace
from . import _tasks
from ._anchor import infer_domain_topic
from ._corpus import PartitionedCorpus, RowBlocks, _check_client, put, submit, tree_sum
from ._vocab import _check_corpus, _check_topics, vocabulary_counts

__all__ = ["polish"]

logger = logging.getLogger(__name__)


class _ClusterPasses:
    """The passes over a partitioned corpus: the interface ``_Trace`` expects (``prior``,
    ``smoothing``, ``evaluate``) and the drivers' ``ops`` (``llstopic.factorizers._squarem``)."""

    def __init__(self, client, corpus, uncovered, smoothing, prior, fixed, n_threads, n_tokens):
        self.client, self.corpus, self.uncovered = client, corpus, uncovered
        self.smoothing, self.prior, self.fixed, self.n_threads = smoothing, prior, fixed, n_threads
        self.n_tokens = n_tokens
        self._sent = {}
        self.n_steps = 0

    def _topics(self, word_topic):
        """The future of a topics array, sent once per array while the array lives."""
        self._sent = {k: v for k, v in self._sent.items() if v[0]() is not None}
        entry = self._sent.get(id(word_topic))
        if entry is None or entry[0]() is not word_topic:
            entry = (weakref.ref(word_topic), put(self.client, word_topic))
            self._sent[id(word_topic)] = entry
        return entry[1]

    def _objective(self, loglik, log_prior, word_topic):
        if self.prior == 0.0:
            return loglik
        total = loglik + log_prior
        if not self.fixed:
            out = np.empty(word_topic.shape[0])
            _em.sum_log_rows(word_topic, out)
            total += self.prior * float(out.sum())
        return total

    def step(self, point):
        """One EM step from ``point`` = (RowBlocks, word_topic): ((loglik, objective) per
        token of the INPUT, the new point)."""
        blocks, word_topic = point
        client, shared = self.client, self._topics(word_topic)
        steps = [submit(client, _tasks.em_partition, c, self.uncovered, d, shared, self.smoothing,
                               self.prior, not self.fixed, self.n_threads)
                 for c, d in zip(self.corpus.partitions, blocks.futures)]
        new = [submit(client, _tasks.item, s, 0) for s in steps]
        wanted = [submit(client, _tasks.item, s, 2) for s in steps]
        if not self.fixed:
            wanted.append(tree_sum(client, [submit(client, _tasks.item, s, 1) for s in steps]))
        got = client.gather(wanted)
        del steps
        scalars = got[:len(new)]
        loglik = sum(s[0] for s in scalars)
        first = self.n_steps == 0
        self.n_steps += 1
        if first and not np.isfinite(loglik) and self.prior == 0.0 and self.smoothing == 0.0:
            raise self._zero_probability_error(scalars)
        if self.fixed:
            out_topics = word_topic
        else:
            out_topics = np.empty_like(word_topic)
            _em.normalize_word_counts(got[-1], self.prior, word_topic, out_topics)
        objective = self._objective(loglik, sum(s[1] for s in scalars), word_topic)
        fx = (RowBlocks(tuple(new), blocks.n_rows, blocks.n_cols), out_topics)
        return (loglik / self.n_tokens, objective / self.n_tokens), fx

    def _zero_probability_error(self, scalars):
        p = next(i for i, s in enumerate(scalars) if s[2] >= 0)
        d = int(self.corpus.row_offsets()[p]) + scalars[p][2]
        return ValueError(
            f"the starting factors give probability 0 to a word counted in domain {d} (partition "
            f"{p}, {self.corpus.sources[p]}; log-likelihood -inf), and EM cannot leave such a "
            "point; pass prior > 0 or smoothing > 0, or start from factors that give every "
            "counted word a positive probability")

    def evaluate(self, blocks, word_topic):
        """(loglik, objective) per token of a point, without a step."""
        client, shared = self.client, self._topics(word_topic)
        parts = client.gather([
            submit(client, _tasks.loglik_partition, c, self.uncovered, d, shared, self.smoothing,
                          self.prior, self.n_threads)
            for c, d in zip(self.corpus.partitions, blocks.futures)])
        loglik = sum(p[0] for p in parts)
        objective = self._objective(loglik, sum(p[1] for p in parts), word_topic)
        return loglik / self.n_tokens, objective / self.n_tokens

    def row_norms(self, x, fx, ffx):
        """SQUAREM's |r|^2 and |v|^2 of the p_d(y) part, summed over the partitions."""
        parts = self.client.gather([
            submit(self.client, _tasks.squarem_norms, a, b, c, self.n_threads)
            for a, b, c in zip(x.futures, fx.futures, ffx.futures)])
        return sum(p[0] for p in parts), sum(p[1] for p in parts)

    def extrapolate(self, x, fx, ffx, alpha):
        futures = tuple(submit(self.client, _tasks.squarem_extrapolate, a, b, c, alpha,
                                           self.n_threads)
                        for a, b, c in zip(x.futures, fx.futures, ffx.futures))
        return RowBlocks(futures, x.n_rows, x.n_cols)

    def release(self, point):
        """Nothing to do: a point's blocks are freed on the workers when its futures go."""


def _start_blocks(client, corpus, domain_topic, topic_word, n_threads):
    """The starting p_d(y) as RowBlocks with rows checked and normalised on the workers."""
    n_topics = topic_word.shape[0]
    if domain_topic is None:
        return infer_domain_topic(client, corpus, topic_word, n_threads=n_threads)
    if isinstance(domain_topic, RowBlocks):
        if domain_topic.n_rows != corpus.n_docs or domain_topic.n_cols != n_topics:
            raise ValueError(f"domain_topic has blocks of {domain_topic.n_rows} rows x "
                             f"{domain_topic.n_cols} topics; the corpus has partitions of "
                             f"{corpus.n_docs} documents and topic_word {n_topics} topics")
        futures = domain_topic.futures
    else:
        array = _check_factor(domain_topic, "domain_topic", (corpus.n_domains, n_topics),
                              simplex=True)
        offsets = corpus.row_offsets()
        futures = [put(client, array[a:b]) for a, b in zip(offsets[:-1], offsets[1:])]
    offsets = corpus.row_offsets()
    checked = tuple(submit(client, _tasks.checked_rows, f, int(o)) for f, o in
                    zip(futures, offsets[:-1]))
    client.gather([submit(client, _tasks.shape, f) for f in checked])  # raise bad rows here
    return RowBlocks(checked, corpus.n_docs, n_topics)


def polish(client: Any, corpus: PartitionedCorpus, topic_word: ArrayLike,
           domain_topic: RowBlocks | ArrayLike | None = None, *, max_iter: int = 50,
           tol: float = 1e-6, prior: float = 0.0, smoothing: float = 0.0,
           fixed_topics: bool = False, accelerate: bool = True, n_threads: int = 1,
           gather: bool = True) -> PolishResult:
    """Polish a factorization by EM on a partitioned corpus; see ``factorizers._polish.polish``.

    Parameters
    ----------
    client : distributed.Client
    corpus : PartitionedCorpus
    topic_word : array-like of shape (n_topics, n_words)
        Starting p(x|y), rows on the simplex (within 1e-6; renormalised).
    domain_topic : None, RowBlocks or array-like of shape (n_domains, n_topics)
        Starting p_d(y).  None: the maximum-likelihood proportions with the
        topics fixed, solved on the workers (what ``AnchorWords`` reports as
        ``domain_topic_``).  An array is sent to the cluster by partition.
    max_iter, tol, prior, smoothing, fixed_topics, accelerate
        As in the single-process polish; with the same arguments the result
        equals it to float tolerance (sums are taken in another order).
    n_threads : int, default=1
        numba threads per task on the workers.
    gather : bool, default=True
        Return ``domain_topic`` as one ndarray on the client; False leaves it
        on the workers as :class:`RowBlocks`.

    Returns
    -------
    PolishResult
    """
    _check_client(client)
    _check_corpus(corpus)
    topic_word = _check_topics(topic_word, corpus, simplex=True)
    max_iter = check_positive_int(max_iter, "max_iter", minimum=0)
    tol = _check_real(tol, "tol", low=0.0, low_open=True)
    prior = _check_real(prior, "prior", low=0.0)
    smoothing = _check_real(smoothing, "smoothing", low=0.0, high=1.0)
    fixed_topics = _check_bool(fixed_topics, "fixed_topics")
    accelerate = _check_bool(accelerate, "accelerate")
    gather = _check_bool(gather, "gather")
    n_threads = check_positive_int(n_threads, "n_threads")

    word_topic = np.ascontiguousarray(topic_word.T)
    counts = vocabulary_counts(client, corpus)
    if counts.n_tokens == 0:
        raise ValueError("corpus holds no tokens (every count is zero)")
    n_tokens, uncovered = float(counts.n_tokens), None
    if fixed_topics and smoothing == 0.0:
        mask = word_topic.sum(axis=1) <= 0.0
        if mask.any():
            n_tokens -= float(counts.word_counts[mask].sum())
            if n_tokens == 0:
                raise ValueError("fixed_topics: no counted word is produced by any topic")
            uncovered = put(client, mask)
    start = _start_blocks(client, corpus, domain_topic, topic_word, n_threads)
    passes = _ClusterPasses(client, corpus, uncovered, smoothing, prior, fixed_topics, n_threads,
                            n_tokens)
    run = _squarem.squarem if accelerate else _squarem.plain_em
    result = run(passes, _Trace(passes, None, tol), (start, word_topic), max_iter)
    if gather:
        result = dataclasses.replace(result, domain_topic=result.domain_topic.gather(client))
    return result
