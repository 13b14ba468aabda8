"""Vocabulary counts and word filtering of a :class:`PartitionedCorpus`, on the workers."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .._validation import check_positive_int
from . import _tasks
from ._corpus import PartitionedCorpus, _check_client, put, submit, tree_sum

__all__ = ["VocabularyCounts", "vocabulary_counts", "filter_words"]


@dataclass(frozen=True)
class VocabularyCounts:
    """Vocabulary statistics of a corpus, reduced from its partitions (exact int64 sums).

    Attributes
    ----------
    word_counts : ndarray of int64, shape (n_words,)
        Tokens per word (``Corpus.word_counts()``).
    domain_frequencies : ndarray of int64, shape (n_words,)
        Documents containing each word.
    n_domains, n_tokens : int
    n_used : int
        Documents of at least two tokens (those the co-occurrence statistics use).
    used_word_counts : ndarray of int64, shape (n_words,)
        Tokens per word in those documents.
    """

    word_counts: np.ndarray
    domain_frequencies: np.ndarray
    n_domains: int
    n_tokens: int
    n_used: int
    used_word_counts: np.ndarray


def vocabulary_counts(client, corpus):
    """Word totals and document frequencies, computed per partition and summed.

    Parameters
    ----------
    client : distributed.Client
    corpus : PartitionedCorpus

    Returns
    -------
    VocabularyCounts
    """
    _check_client(client)
    _check_corpus(corpus)
    parts = [submit(client, _tasks.word_stats, f) for f in corpus.partitions]
    n_docs, n_tokens, n_used, counts, freq, used = client.gather(tree_sum(client, parts))
    return VocabularyCounts(np.asarray(counts, np.int64), np.asarray(freq, np.int64), int(n_docs),
                      int(n_tokens), int(n_used), np.asarray(used, np.int64))


def _check_corpus(corpus):
    if not isinstance(corpus, PartitionedCorpus):
        raise TypeError(f"corpus must be a llstopic.distributed.PartitionedCorpus, got "
                        f"{type(corpus).__name__}")


def kept_words(counts, n_domains, *, min_count=1, min_domains=1, max_domain_fraction=1.0,
               keep_n=None):
    """Old ids of the words that pass every filter: the rule of ``Corpus.filter_words``,
    ties of ``keep_n`` going to the lower id."""
    min_count = check_positive_int(min_count, "min_count", minimum=0)
    min_domains = check_positive_int(min_domains, "min_domains", minimum=0)
    keep_n = check_positive_int(keep_n, "keep_n", allow_none=True)
    fraction = max_domain_fraction
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.integer,
                                                                np.floating)):
        raise TypeError(f"max_domain_fraction must be a number, "
                        f"got {type(fraction).__name__}: {fraction!r}")
    if not 0.0 < float(fraction) <= 1.0:
        raise ValueError(f"max_domain_fraction must be in (0, 1], got {fraction!r}")
    totals, domain_freq = counts.word_counts, counts.domain_frequencies
    keep = ((totals >= min_count) & (domain_freq >= min_domains)
            & (domain_freq <= float(fraction) * n_domains))
    kept = np.flatnonzero(keep).astype(np.int64)
    if keep_n is not None and kept.size > keep_n:
        top = np.lexsort((kept, -totals[kept]))[:keep_n]
        kept = np.sort(kept[top])
    if kept.size == 0:
        raise ValueError(
            f"filter_words(min_count={min_count}, min_domains={min_domains}, "
            f"max_domain_fraction={fraction}, keep_n={keep_n}) removes every word")
    return kept


def filter_words(client, corpus, *, min_count=1, min_domains=1, max_domain_fraction=1.0,
                 keep_n=None):
    """Keep the words that pass every filter, as ``Corpus.filter_words`` does; a new corpus.

    The counts are reduced on the client (two int64 vectors of length
    n_words), the kept ids chosen there by the same rule (``keep_n`` keeps the
    most frequent words, ties going to the lower id) and broadcast; each
    partition is renumbered on its worker.

    Returns
    -------
    PartitionedCorpus
        ``kept_words`` maps each new id to its id in ``corpus``; documents keep
        their rows, even when emptied.
    """
    counts = vocabulary_counts(client, corpus)
    kept = kept_words(counts, counts.n_domains, min_count=min_count, min_domains=min_domains,
                      max_domain_fraction=max_domain_fraction, keep_n=keep_n)
    new_id = np.full(corpus.n_words, -1, dtype=np.int64)
    new_id[kept] = np.arange(kept.size)
    shared = put(client, new_id)
    futures = tuple(submit(client, _tasks.remap_words, f, shared, int(kept.size))
                    for f in corpus.partitions)
    vocabulary = None if corpus.vocabulary is None else [corpus.vocabulary[j] for j in kept]
    return dataclasses.replace(corpus, partitions=futures, n_words=int(kept.size),
                               vocabulary=vocabulary, kept_words=kept)
