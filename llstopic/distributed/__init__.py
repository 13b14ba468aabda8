"""Corpus statistics, the anchor fit and the likelihood polish on a Dask cluster.

Everything anchor words need from a corpus is a sum over documents, and so is
every EM step of the likelihood polish: a map over partitions and a reduce.
This module runs the map on the workers of a ``dask.distributed`` cluster
(one partition = one file, or one ``dask.bag`` partition, held as a CSR block
in a worker's memory) and the reduce pairwise on the workers and then on the
client, and fits :class:`~llstopic.AnchorWords` on the client from the sums.
Results equal a single-process fit of the gathered corpus with the same
seed, to float tolerance.

Needs the optional extra ``dask`` (``pip install llstopic[dask]``)::

    from distributed import Client, LocalCluster
    from llstopic import AnchorWords, distributed as lld

    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))
    corpus = lld.read_uci(client, ["docword.0.txt.gz", "docword.1.txt.gz"], vocab="vocab.txt")
    corpus = lld.filter_words(client, corpus, keep_n=15_000)
    model = lld.fit_anchor_words(client, corpus, AnchorWords(100, random_state=0))
    result = lld.polish(client, corpus, model.topic_word_, max_iter=20)

Fault tolerance: every task is a pure function of its inputs, so a worker
lost mid-run only makes Dask recompute what it held (from the files, for
corpora read with :func:`read_uci` / :func:`read_mm`); nothing is
accumulated in place.  A malformed file raises its parse error, naming the
file, when the corpus is read.
"""

try:
    import distributed as _distributed  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("llstopic.distributed needs dask.distributed: pip install "
                      "'llstopic[dask]' (or 'dask[distributed]')") from exc

from ._anchor import fit_anchor_words, infer_domain_topic
from ._corpus import (PartitionedCorpus, RowBlocks, from_bag, from_corpus, gather_corpus,
                      read_mm, read_uci)
from ._polish import polish
from ._vocab import VocabularyCounts, filter_words, vocabulary_counts

__all__ = ["PartitionedCorpus", "RowBlocks", "VocabularyCounts", "read_uci", "read_mm", "from_bag",
           "from_corpus", "gather_corpus", "vocabulary_counts", "filter_words", "fit_anchor_words",
           "infer_domain_topic", "polish"]
