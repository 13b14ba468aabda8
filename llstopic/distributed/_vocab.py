"""Vocabulary counts and word filtering of a :class:`PartitionedCorpus`, on the workers."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np


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


def vocabulary_counts(client: Any, corpus: PartitionedCorpus) -> VocabularyCounts:
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


def _check_topics(topic_word, corpus, *, simplex):
    """topic_word of shape (n_topics, corpus.n_words), checked (``_validation.check_factor``)."""
    from .._validation import check_factor

    if np.ndim(topic_word) != 2:
        raise ValueError(f"topic_word must be 2-dimensional (n_topics, n_words), got shape "
                         f"{np.shape(topic_word)}")
    return check_factor(topic_word, "topic_word", (np.shape(topic_word)[0], corpus.n_words),
                        simplex=simplex)


def kept_words(counts, n_domains, *, min_count=1, min_domains=1, max_domain_fraction=1.0,
               keep_n=None):
    """Old ids of the words that pass every filter: the rule of ``Corpus.filter_words``
    (:func:`llstopic.corpus._build.kept_words`) on the reduced counts."""
    from ..corpus._build import kept_words as rule

    return rule(counts.word_counts, counts.domain_frequencies, n_domains, min_count=min_count,
                min_domains=min_domains, max_domain_fraction=max_domain_fraction, keep_n=keep_n)


def filter_words(client: Any, corpus: PartitionedCorpus, *, min_count: int = 1,
                 min_domains: int = 1, max_domain_fraction: float = 1.0,
                 keep_n: int | None = None) -> PartitionedCorpus:
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
