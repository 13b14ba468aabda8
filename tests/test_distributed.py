"""llstopic.distributed on a two-process LocalCluster, against the single-process code paths.

One cluster serves the module.  Tolerances were measured on these corpora:
the reduced sums differ from the single-process ones only in summation order
(topic_word within 2e-16, polish within 4e-13 / 5e-11), while p_d(y) solved
from those topics differs by up to 2.4e-6 (the per-row solver stops at a
duality gap of 1e-9, so a 1e-16 change of its input can move its stopping
point); p_d(y) solved from the *same* topics is identical row by row.
"""

from __future__ import annotations

import logging
import os
import sys

import numpy as np
import pytest
import scipy.sparse as sp

distributed = pytest.importorskip("distributed")
dask_bag = pytest.importorskip("dask.bag")

from llstopic import AnchorWords, Corpus, make_finite_lls  # noqa: E402
from llstopic import distributed as lld  # noqa: E402
from llstopic.factorizers import _polish  # noqa: E402
from llstopic.factorizers._inference import ml_domain_topic  # noqa: E402
from llstopic.factorizers.anchor import _spaces  # noqa: E402

TOPIC_WORD_ATOL = 1e-12        # measured 1.1e-16 (cooccurrence), 0 (domain)
DOMAIN_TOPIC_ATOL = 2e-5       # measured 2.4e-6: the solver's stopping point, see above
POLISH_ATOL = 1e-9             # measured 4e-13 (topics), 5e-11 (p_d(y))


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=None, silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def docs():
    """Many short documents: the co-occurrence representation."""
    return make_finite_lls(300, 4, 600, 40, alpha=0.5, beta=0.1, random_state=0).corpus


@pytest.fixture(scope="module")
def files(docs, tmp_path_factory):
    """The documents in four UCI files (one gzipped) of unequal sizes."""
    folder = tmp_path_factory.mktemp("uci")
    paths = []
    for i, (a, b) in enumerate([(0, 100), (100, 250), (250, 420), (420, 600)]):
        path = folder / (f"docword.{i}.txt" + (".gz" if i == 1 else ""))
        Corpus(docs.counts[a:b]).write_uci(path)
        paths.append(str(path))
    return paths


@pytest.fixture(scope="module")
def parted(client, files):
    return lld.read_uci(client, files)


# ------------------------------------------------------------------ corpus
def test_read_uci_and_read_mm_give_the_corpus(client, docs, files, parted, tmp_path):
    assert parted.n_docs == (100, 150, 170, 180) and parted.shape == docs.shape
    assert lld.gather_corpus(client, parted) == docs
    mm = [tmp_path / "a.mtx", tmp_path / "b.mtx"]
    Corpus(docs.counts[:300]).write_mm(mm[0])
    Corpus(docs.counts[300:]).write_mm(mm[1])
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("".join(f"w{j}\n" for j in range(docs.n_words)))
    got = lld.gather_corpus(client, lld.read_mm(client, mm, vocab=vocab))
    assert got == Corpus(docs.counts, vocabulary=[f"w{j}" for j in range(docs.n_words)])


def test_a_bad_file_raises_an_error_naming_it(client, files, tmp_path):
    bad = tmp_path / "docword.bad.txt"
    bad.write_text("3\n300\n2\n1 5 2\n2 x 1\n")
    with pytest.raises(ValueError, match=r"partition 2 .*docword\.bad\.txt.*line 5"):
        lld.read_uci(client, [files[0], files[2], str(bad)])
    narrow = tmp_path / "docword.narrow.txt"
    Corpus(sp.csr_matrix(np.ones((2, 7), dtype=np.int64))).write_uci(narrow)
    with pytest.raises(ValueError, match=r"partition 1 .*docword\.narrow\.txt.* 7 words"):
        lld.read_uci(client, [files[0], str(narrow)])
    with pytest.raises(FileNotFoundError, match="no-such-file"):
        lld.read_uci(client, [files[0], str(tmp_path / "no-such-file.txt")])


def test_from_bag_gives_the_corpus_and_names_a_bad_document(client, docs):
    bows = [list(doc) for doc in docs.to_gensim()]
    bag = dask_bag.from_sequence(bows, npartitions=3)
    assert lld.gather_corpus(client, lld.from_bag(client, bag, n_words=docs.n_words)) == docs
    bows[250] = bows[250] + [(7, -1)]
    bag = dask_bag.from_sequence(bows, npartitions=3)
    with pytest.raises(ValueError, match=r"bag partition 1, document \d+: count -1 is not"):
        lld.from_bag(client, bag)


def test_vocabulary_counts_and_filter_words_follow_corpus_filter_words(client):
    # words 1, 3, 4 and 6 tie at 4 tokens: keep_n = 3 must keep the lower ids, as Corpus does
    dense = np.array([[4, 1, 0, 2, 1, 0, 2, 5],
                      [0, 1, 0, 1, 2, 0, 1, 5],
                      [3, 2, 1, 1, 1, 9, 1, 5]])
    corpus = Corpus(dense, vocabulary=list("abcdefgh"))
    parted = lld.from_corpus(client, corpus, 2)
    counts = lld.vocabulary_counts(client, parted)
    np.testing.assert_array_equal(counts.word_counts, corpus.word_counts())
    np.testing.assert_array_equal(counts.domain_frequencies, (dense > 0).sum(axis=0))
    for kwargs in ({"keep_n": 3}, {"keep_n": 4, "max_domain_fraction": 0.9},
                   {"min_count": 5, "min_domains": 2}):
        want = corpus.filter_words(**kwargs)
        got = lld.filter_words(client, parted, **kwargs)
        assert lld.gather_corpus(client, got) == want, kwargs
        np.testing.assert_array_equal(got.kept_words, want.kept_words)
    assert list(lld.filter_words(client, parted, keep_n=3).kept_words) == [0, 5, 7]
    with pytest.raises(ValueError, match="removes every word"):
        lld.filter_words(client, parted, min_count=100)


# -------------------------------------------------------------- anchor fit
def _assert_same_fit(single, dist):
    np.testing.assert_array_equal(dist.anchors_, single.anchors_)
    for attr in ("representation_", "min_count_", "n_candidates_", "projection_dim_",
                 "n_domains_", "n_words_in_"):
        assert getattr(dist, attr) == getattr(single, attr), attr
    np.testing.assert_allclose(dist.topic_word_, single.topic_word_, rtol=0, atol=TOPIC_WORD_ATOL)
    np.testing.assert_allclose(dist.recovery_loss_, single.recovery_loss_, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(dist.domain_topic_, single.domain_topic_, rtol=0,
                               atol=DOMAIN_TOPIC_ATOL)


def test_infer_domain_topic_is_the_single_process_solve_row_for_row(client, docs, parted):
    topic_word = AnchorWords(4, random_state=0).fit(docs).topic_word_
    got = lld.infer_domain_topic(client, parted, topic_word)
    assert got.shape == (docs.n_domains, 4) and got.n_rows == parted.n_docs
    np.testing.assert_array_equal(got.gather(client), ml_domain_topic(docs.counts, topic_word))


def test_fit_anchor_words_cooccurrence_equals_single_process(client, docs, parted):
    single = AnchorWords(4, random_state=0).fit(docs)
    dist = lld.fit_anchor_words(client, parted, AnchorWords(4, random_state=0))
    assert single.representation_ == "cooccurrence" and single.projection_dim_ is None
    _assert_same_fit(single, dist)


def test_fit_anchor_words_with_column_groups_equals_single_process(client):
    # more words than the KL recovery's column groups: the groups are clustered with the
    # space's column weights (the cluster space once had none: AttributeError)
    corpus = make_finite_lls(1500, 5, 400, 200, alpha=0.5, beta=0.1, random_state=0).corpus
    single = AnchorWords(5, random_state=0).fit(corpus)
    dist = lld.fit_anchor_words(client, lld.from_corpus(client, corpus, 2),
                                AnchorWords(5, random_state=0))
    assert single.representation_ == "cooccurrence" and single.n_column_groups_ is not None
    assert dist.n_column_groups_ == single.n_column_groups_
    _assert_same_fit(single, dist)


def test_fit_anchor_words_projected_search_equals_single_process(client, docs, parted,
                                                                 monkeypatch):
    # a budget below n_words^2 float64: the search runs on Q @ projection (drawn from the
    # model's generator) and the recovery rebuilds rows of Q in blocks, on the workers
    # tol=1e-12: the warm-started KL stops near its tolerance, so a rounding-level difference
    # of the rows (sums in another order on the workers) moves the stopping point at 1e-6
    monkeypatch.setattr(_spaces, "MEMORY_BUDGET", docs.n_words**2 * 8 // 3)
    single = AnchorWords(4, tol=1e-12, random_state=1).fit(docs)
    dist = lld.fit_anchor_words(client, parted, AnchorWords(4, tol=1e-12, random_state=1),
                                block_bytes=40 * docs.n_words * 8)
    assert single.projection_dim_ == docs.n_words   # min(n_words, 1000)
    _assert_same_fit(single, dist)


def test_fit_anchor_words_domain_representation_equals_single_process(client):
    corpus = make_finite_lls(200, 3, 12, 3000, alpha=1.0, beta=0.5, random_state=0).corpus
    single = AnchorWords(3, random_state=0).fit(corpus)
    dist = lld.fit_anchor_words(client, lld.from_corpus(client, corpus, 3),
                                AnchorWords(3, random_state=0))
    assert single.representation_ == "domain"
    _assert_same_fit(single, dist)


def test_fit_anchor_words_checks_its_arguments(client, parted):
    with pytest.raises(TypeError, match="model must be an llstopic.AnchorWords"):
        lld.fit_anchor_words(client, parted, object())
    with pytest.raises(ValueError, match="n_topics = 400 is larger"):
        lld.fit_anchor_words(client, parted, AnchorWords(400))
    with pytest.raises(ValueError, match="min_count = 10000 leaves 0 candidate"):
        lld.fit_anchor_words(client, parted, AnchorWords(4, min_count=10_000))


# ------------------------------------------------------------------ polish
@pytest.mark.parametrize("options", [{}, {"accelerate": False, "prior": 0.1},
                                     {"fixed_topics": True}])
def test_polish_equals_single_process(client, docs, parted, options):
    model = AnchorWords(4, random_state=0).fit(docs)
    start = ml_domain_topic(docs.counts, model.topic_word_)
    want = _polish.polish(docs, model.topic_word_, start, max_iter=8, tol=1e-15, **options)
    got = lld.polish(client, parted, model.topic_word_, start, max_iter=8, tol=1e-15, **options)
    assert (got.n_iter, got.n_rejected, got.converged) == (want.n_iter, want.n_rejected,
                                                           want.converged)
    np.testing.assert_allclose(got.history, want.history, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.objective_history, want.objective_history, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.topic_word, want.topic_word, rtol=0, atol=POLISH_ATOL)
    np.testing.assert_allclose(got.domain_topic, want.domain_topic, rtol=0, atol=POLISH_ATOL)
    assert np.all(np.diff(got.objective_history) >= -1e-12)


def test_polish_checks_its_starting_point(client, docs, parted):
    topic_word = AnchorWords(4, random_state=0).fit(docs).topic_word_
    start = ml_domain_topic(docs.counts, topic_word)
    start[130] *= 2.0   # global row 130 is row 30 of the second partition
    with pytest.raises(ValueError, match="row 130 sums to 2"):
        lld.polish(client, parted, topic_word, start, max_iter=1)
    blocks = lld.infer_domain_topic(client, lld.from_corpus(client, docs, 2), topic_word)
    with pytest.raises(ValueError, match="blocks of"):
        lld.polish(client, parted, topic_word, blocks, max_iter=1)
    zero = topic_word.copy()
    zero[:, docs.counts.indices[0]] = 0.0   # a counted word no topic produces
    zero /= zero.sum(axis=1, keepdims=True)
    with pytest.raises(ValueError, match=r"probability 0 to a word counted in domain \d+"):
        lld.polish(client, parted, zero, np.full((docs.n_domains, 4), 0.25), max_iter=2)


# ---------------------------------------------------------- lost workers
class _KillOnce(distributed.WorkerPlugin):
    """Kills its worker process when the ``nth`` task named ``prefix`` starts (counted
    across workers with files created atomically in ``folder``)."""

    def __init__(self, folder, prefix, nth):
        self.folder, self.prefix, self.nth = folder, prefix, nth
        self.name = f"llstopic-kill-{prefix}"

    def transition(self, key, start, finish, **kwargs):
        from dask.utils import key_split

        if finish != "executing" or key_split(key) != self.prefix:
            return
        for i in range(self.nth + 1):
            try:
                os.close(os.open(os.path.join(self.folder, str(i)), os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                continue
            if i == self.nth:
                os._exit(1)
            return


@pytest.fixture
def kill_once(client, tmp_path):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    names = []

    def install(prefix, nth):
        plugin = _KillOnce(str(tmp_path), prefix, nth)
        client.register_plugin(plugin)
        names.append(plugin.name)
        return tmp_path / str(nth)

    yield install
    for name in names:
        client.unregister_worker_plugin(name)
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    client.wait_for_workers(2, timeout=60)


def test_a_worker_lost_during_a_reduction_changes_nothing(client, parted, kill_once):
    undisturbed = lld.fit_anchor_words(client, parted, AnchorWords(4, random_state=0))
    marker = kill_once("add", 6)   # the first pairwise sum of a block of Q kills its worker
    model = lld.fit_anchor_words(client, parted, AnchorWords(4, random_state=0))
    assert marker.exists()
    # the reduction tree has a fixed shape: a recomputed run is bit for bit the same
    np.testing.assert_array_equal(model.topic_word_, undisturbed.topic_word_)
    np.testing.assert_array_equal(model.domain_topic_, undisturbed.domain_topic_)


def test_a_worker_lost_during_the_polish_changes_nothing(client, docs, parted, kill_once):
    topic_word = AnchorWords(4, random_state=0).fit(docs).topic_word_
    undisturbed = lld.polish(client, parted, topic_word, max_iter=6, tol=1e-15)
    marker = kill_once("em_partition", 13)   # in the fourth E-step
    result = lld.polish(client, parted, topic_word, max_iter=6, tol=1e-15)
    assert marker.exists()
    np.testing.assert_array_equal(result.topic_word, undisturbed.topic_word)
    np.testing.assert_array_equal(result.domain_topic, undisturbed.domain_topic)
    np.testing.assert_array_equal(result.history, undisturbed.history)
