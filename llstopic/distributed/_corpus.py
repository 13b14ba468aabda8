"""A corpus held by the workers of a Dask cluster: one CSR block of documents per partition.

:class:`PartitionedCorpus` keeps a Dask future per partition (an int64 CSR
of shape (n_docs_p, n_words), held in a worker's memory) plus what the
client needs to know without touching the data: the partition sizes, the
vocabulary and where each partition came from.  Partitions read from files
are recomputed from their file when a worker is lost; partitions scattered
from the client (:func:`from_corpus`) cannot be, Dask's documented limit.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp

from .._typing import Path
from ..corpus import Corpus, _io
from . import _tasks

__all__ = ["PartitionedCorpus", "RowBlocks", "read_uci", "read_mm", "from_bag", "from_corpus",
           "gather_corpus"]


@dataclass(frozen=True)
class RowBlocks:
    """A matrix of shape (sum(n_rows), n_cols) stored as one future per partition.

    ``domain_topic`` of a distributed fit or polish, row block p being the
    documents of partition p.  :meth:`gather` brings it to the client.
    """

    futures: tuple
    n_rows: tuple
    n_cols: int

    @property
    def shape(self) -> tuple[int, int]:
        return (int(sum(self.n_rows)), self.n_cols)

    def gather(self, client: Any) -> np.ndarray:
        """The whole matrix as one ndarray on the client."""
        return np.vstack(client.gather(list(self.futures)))


@dataclass(frozen=True)
class PartitionedCorpus:
    """Counts of shape (n_domains, n_words) split by rows into partitions on a cluster.

    Attributes
    ----------
    partitions : tuple of distributed.Future
        One int64 CSR matrix of shape (n_docs[p], n_words) per partition.
    n_docs : tuple of int
        Documents per partition.
    n_words : int
    sources : tuple of str
        Where each partition came from (a file name, ``"bag partition p"``,
        ``"scattered block p"``): errors name them.
    vocabulary : list of str or None
    kept_words : ndarray of int64 or None
        After :func:`~llstopic.distributed.filter_words`: the old id of each
        word, as ``Corpus.kept_words``.
    """

    partitions: tuple
    n_docs: tuple
    n_words: int
    sources: tuple
    vocabulary: list | None = None
    kept_words: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_domains(self) -> int:
        return int(sum(self.n_docs))

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_domains, self.n_words)

    @property
    def n_partitions(self) -> int:
        return len(self.partitions)

    def row_offsets(self) -> np.ndarray:
        """First global row of each partition, int64 array (n_partitions + 1,)."""
        return np.concatenate(([0], np.cumsum(self.n_docs))).astype(np.int64)


def submit(client, func, *args):
    """``client.submit`` with a fresh key: a rerun of the same computation must not meet
    the keys of an earlier one that the scheduler may still be forgetting."""
    return client.submit(func, *args, pure=False)


def put(client, data):
    """A future of ``data`` that Dask can recompute: the data rides in the task itself.

    Used instead of ``client.scatter(..., broadcast=True)`` for everything a
    result depends on (topics, projections, word maps): scattered data has no
    lineage, and the active memory manager drops the extra replicas of a
    broadcast, so a lost worker can lose it for good.  The scheduler keeps a
    copy while tasks that depend on it are known; workers fetch it from each
    other as their tasks need it.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ll]arge graph", category=UserWarning)
        return client.submit(_tasks.identity, data, pure=False)


def tree_sum(client, futures):
    """Sum of the futures' values (arrays or tuples of arrays), pairwise on the workers.

    The tree's shape depends only on the number of futures, so the result is
    the same on any cluster.  Returns a future.
    """
    level = list(futures)
    if not level:
        raise ValueError("nothing to sum: no partitions")
    while len(level) > 1:
        pairs = [submit(client, _tasks.add, level[i], level[i + 1])
                 for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            pairs.append(level[-1])
        level = pairs
    return level[0]


def _check_client(client):
    from distributed import Client

    if not isinstance(client, Client):
        raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}")


def _check_paths(paths, name):
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    if not paths:
        raise ValueError(f"{name} must name at least one file, got an empty list")
    for p in paths:
        if not isinstance(p, (str, os.PathLike)):
            raise TypeError(f"{name} must be paths (str or os.PathLike), got "
                            f"{type(p).__name__}: {p!r}")
    return [os.fspath(p) for p in paths]


def _finish(client, futures, sources, vocab, n_words=None):
    """Check the partitions' shapes against each other; the PartitionedCorpus."""
    shapes = client.gather([submit(client, _tasks.shape, f) for f in futures])
    widths = {int(s[1]) for s in shapes}
    if n_words is None and len(widths) > 1:
        first = int(shapes[0][1])
        p = next(i for i, s in enumerate(shapes) if int(s[1]) != first)
        raise ValueError(f"partition {p} ({sources[p]}) has {int(shapes[p][1])} words but "
                         f"partition 0 ({sources[0]}) has {first}: every file of one corpus must "
                         "declare the same vocabulary size W")
    width = int(shapes[0][1]) if n_words is None else int(n_words)
    vocabulary = None if vocab is None else _io.read_vocab(vocab, width)
    return PartitionedCorpus(tuple(futures), tuple(int(s[0]) for s in shapes), width,
                             tuple(sources), vocabulary)


def read_uci(client: Any, docwords: Path | Sequence[Path],
             vocab: Path | None = None) -> PartitionedCorpus:
    """Read UCI bag-of-words files on the workers, one partition per file.

    Parameters
    ----------
    client : distributed.Client
    docwords : path or list of paths
        ``docword`` files (optionally gzipped), as ``Corpus.read_uci`` reads
        them; each is one partition, its documents numbered after those of
        the files before it.  Every file must declare the same W.  The paths
        must be readable by the workers (a shared file system).
    vocab : path, optional
        One vocabulary file for all partitions, read on the client.

    Returns
    -------
    PartitionedCorpus
        A malformed file raises its parse error (file name and line) here.
    """
    _check_client(client)
    paths = _check_paths(docwords, "docwords")
    futures = [submit(client, _tasks.read_partition, "uci", p, i)
               for i, p in enumerate(paths)]
    return _finish(client, futures, paths, vocab)


def read_mm(client: Any, paths: Path | Sequence[Path],
            vocab: Path | None = None) -> PartitionedCorpus:
    """Read Matrix Market files on the workers, one partition per file (rows = documents).

    Same conventions as :func:`read_uci` (and ``Corpus.read_mm`` per file).
    """
    _check_client(client)
    paths = _check_paths(paths, "paths")
    futures = [submit(client, _tasks.read_partition, "mm", p, i)
               for i, p in enumerate(paths)]
    return _finish(client, futures, paths, vocab)


def from_bag(client: Any, bag: Any, *, n_words: int | None = None,
             vocabulary: Sequence[str] | None = None) -> PartitionedCorpus:
    """A corpus from a ``dask.bag`` of documents, one partition per bag partition.

    Parameters
    ----------
    client : distributed.Client
    bag : dask.bag.Bag
        Each element a document: an iterable of ``(word_id, count)`` pairs
        (gensim's bag-of-words form), ids and counts non-negative integers.
    n_words : int, optional
        Vocabulary size; default: the largest word id + 1.
    vocabulary : list of str, optional
        ``n_words`` words.

    Returns
    -------
    PartitionedCorpus
    """
    import dask.bag

    _check_client(client)
    if not isinstance(bag, dask.bag.Bag):
        raise TypeError(f"bag must be a dask.bag.Bag, got {type(bag).__name__}")
    if n_words is not None:
        from .._validation import check_positive_int

        n_words = check_positive_int(n_words, "n_words")
    parts = client.compute(bag.to_delayed())
    futures = [submit(client, _tasks.docs_to_csr, part, i, n_words) for i, part in enumerate(parts)]
    sources = [f"bag partition {i}" for i in range(len(futures))]
    if n_words is None:
        shapes = client.gather([submit(client, _tasks.shape, f) for f in futures])
        n_words = max(int(s[1]) for s in shapes)
        futures = [submit(client, _tasks.widen, f, n_words) for f in futures]
    out = _finish(client, futures, sources, None, n_words)
    if vocabulary is not None:
        out = dataclasses.replace(out, vocabulary=_check_vocabulary(vocabulary, n_words))
    return out


def _check_vocabulary(vocabulary, n_words):
    vocabulary = list(vocabulary)
    if len(vocabulary) != n_words:
        raise ValueError(f"vocabulary has {len(vocabulary)} words but the corpus has n_words = "
                         f"{n_words}")
    return vocabulary


def from_corpus(client: Any, corpus: Corpus, n_partitions: int) -> PartitionedCorpus:
    """Scatter an in-memory :class:`~llstopic.Corpus` to the workers in ``n_partitions``
    blocks of consecutive rows (as equal as possible).

    Scattered data has no lineage: a worker lost while holding a block loses
    it for good (Dask's rule).  Read files with :func:`read_uci` or
    :func:`read_mm` when the cluster may lose workers.
    """
    from .._validation import check_positive_int

    _check_client(client)
    if not isinstance(corpus, Corpus):
        raise TypeError(f"corpus must be a llstopic.Corpus, got {type(corpus).__name__}")
    n_partitions = check_positive_int(n_partitions, "n_partitions")
    if n_partitions > corpus.n_domains:
        raise ValueError(f"n_partitions = {n_partitions} is larger than the number of domains "
                         f"{corpus.n_domains}")
    bounds = np.linspace(0, corpus.n_domains, n_partitions + 1).round().astype(np.int64)
    blocks = [corpus.counts[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    futures = client.scatter(blocks, hash=False)
    sources = [f"scattered block {i}" for i in range(n_partitions)]
    return PartitionedCorpus(tuple(futures), tuple(int(b.shape[0]) for b in blocks),
                             corpus.n_words, tuple(sources), corpus.vocabulary)


def gather_corpus(client: Any, corpus: PartitionedCorpus) -> Corpus:
    """The whole :class:`PartitionedCorpus` as one in-memory :class:`~llstopic.Corpus`."""
    _check_client(client)
    blocks = client.gather(list(corpus.partitions))
    counts = sp.csr_matrix(sp.vstack(blocks, format="csr"), dtype=np.int64)
    counts.sort_indices()
    out = Corpus._trusted(counts, corpus.vocabulary)
    if corpus.kept_words is not None:
        out._kept_words = corpus.kept_words.copy()
    return out
