"""The planted-corpus generator of ``benchmarks/bench_scale.py`` on a tiny corpus.

The generator's numba kernels are checked against slow, obvious twins written
here (they serve the benchmark only, so their twins live next to this test
rather than in ``tests/_reference.py``); the written files are read back with
the public ``Corpus.read_uci`` and checked against the planted truth.
"""

import collections
import gzip
import importlib.util
import pathlib

import numpy as np
import pytest

import llstopic

_PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "_scale_corpus.py"
_spec = importlib.util.spec_from_file_location("_llstopic_bench__scale_corpus", _PATH)
sc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sc)

# 200 documents in blocks of 64 (the last one partial), 2,000 words, 5 topics
SPEC = sc.CorpusSpec(n_docs=200, n_words=2_000, n_topics=5, anchor_ranks=(20, 400),
                     block_docs=64, seed=3)
KEEP_N = 1_000
MASK = 2**64 - 1


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder, info = sc.ensure_corpus(SPEC, str(tmp_path_factory.mktemp("scale")),
                                    log=lambda *a: None)
    assert info["generated"]
    return folder, info["stats"]


# --------------------------------------------------------------- slow twins
def _splitmix_reference(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    z ^= z >> 31
    return state, (z >> 11) * 2.0**-53


def _sample_reference(lengths, topic_cdf, seeds, prob, alias):
    """One Python loop per token: (sorted words, counts) per document."""
    n_words = prob.shape[1]
    docs = []
    for d, n in enumerate(lengths.tolist()):
        state, tokens = int(seeds[d]), collections.Counter()
        for _ in range(n):
            state, u = _splitmix_reference(state)
            topic = int(np.searchsorted(topic_cdf[d], u, side="right"))
            state, u = _splitmix_reference(state)
            i = min(int(u * n_words), n_words - 1)
            state, u = _splitmix_reference(state)
            tokens[i if u < prob[topic, i] else int(alias[topic, i])] += 1
        docs.append(sorted(tokens.items()))
    return docs


def _implied_distribution(prob, alias):
    """p(word) of alias sampling: bucket i (1/n) keeps i w.p. prob[i], else alias[i]."""
    n = prob.shape[0]
    keep = prob.astype(np.float64)
    return (keep + np.bincount(alias, weights=1.0 - keep, minlength=n)) / n


# -------------------------------------------------------------------- tests
def test_alias_tables_reproduce_the_planted_topics():
    topic_word, anchors, _ = sc.planted_topics(SPEC)
    prob, alias = sc.alias_tables(topic_word)
    for y in range(SPEC.n_topics):
        implied = _implied_distribution(prob[y], alias[y])
        np.testing.assert_allclose(implied, topic_word[y], rtol=0, atol=1e-7)
        other_anchors = np.delete(anchors, y, axis=0).ravel()
        assert implied[other_anchors].max() == 0.0  # never drawn by topic y, exactly


def test_planted_anchors_belong_to_one_topic_each():
    topic_word, anchors, _ = sc.planted_topics(SPEC)
    assert anchors.shape == (SPEC.n_topics, SPEC.n_anchors)
    assert np.unique(anchors).size == anchors.size
    columns = topic_word[:, anchors.ravel()]
    owner = np.repeat(np.arange(SPEC.n_topics), SPEC.n_anchors)
    assert (np.count_nonzero(columns, axis=0) == 1).all()
    assert (columns.argmax(axis=0) == owner).all()
    mass = topic_word[np.arange(SPEC.n_topics)[:, None], anchors].sum(axis=1)
    np.testing.assert_allclose(mass, SPEC.anchor_mass, rtol=1e-12)


def test_sampler_kernel_matches_its_slow_twin():
    topic_word, _, _ = sc.planted_topics(SPEC)
    prob, alias = sc.alias_tables(topic_word)
    lengths, _, topic_cdf, seeds = sc.block_inputs(SPEC, 1)
    lengths, topic_cdf, seeds = lengths[:12], topic_cdf[:12], seeds[:12]
    offsets, words, counts, nnz = sc.sample_tokens(lengths, topic_cdf, seeds, prob, alias)
    expected = _sample_reference(lengths, topic_cdf, seeds, prob, alias)
    for d in range(lengths.shape[0]):
        lo, hi = offsets[d], offsets[d] + nnz[d]
        assert list(zip(words[lo:hi].tolist(), counts[lo:hi].tolist())) == expected[d]


def test_formatted_lines_match_python_formatting():
    topic_word, _, _ = sc.planted_topics(SPEC)
    prob, alias = sc.alias_tables(topic_word)
    _, _, offsets, words, counts, nnz = sc.sample_block(SPEC, 2, prob, alias)
    first = 2 * SPEC.block_docs
    text = bytes(sc.format_block(first, offsets, nnz, words, counts))
    expected = "".join(f"{first + d + 1} {words[j] + 1} {counts[j]}\n"
                       for d in range(nnz.shape[0])
                       for j in range(offsets[d], offsets[d] + nnz[d]))
    assert text == expected.encode()


def test_written_corpus_reads_back_with_the_planted_totals(generated):
    folder, stats = generated
    with gzip.open(f"{folder}/docword.txt.gz", "rb") as f:
        header = [f.readline() for _ in range(3)]
    assert [int(line) for line in header] == [SPEC.n_docs, SPEC.n_words, stats["nnz"]]
    corpus = llstopic.Corpus.read_uci(f"{folder}/docword.txt.gz", f"{folder}/vocab.txt")
    _, anchors, lengths, word_counts = sc.load_planted(folder)
    assert corpus.shape == (SPEC.n_docs, SPEC.n_words)
    assert corpus.counts.nnz == stats["nnz"]
    assert corpus.n_tokens == stats["n_tokens"] == lengths.sum()
    np.testing.assert_array_equal(corpus.domain_lengths(), lengths)
    np.testing.assert_array_equal(corpus.word_counts(), word_counts)
    vocabulary = corpus.vocabulary
    assert [vocabulary[w] for w in anchors[2]] == [f"anchor2_{j}" for j in range(SPEC.n_anchors)]
    # the same spec is reused, not regenerated
    again, info = sc.ensure_corpus(SPEC, str(pathlib.Path(folder).parent), log=lambda *a: None)
    assert again == folder and not info["generated"]


def test_anchor_words_occur_only_where_their_topic_does(generated):
    folder, _ = generated
    corpus = llstopic.Corpus.read_uci(f"{folder}/docword.txt.gz")
    _, anchors, lengths, _ = sc.load_planted(folder)
    domain_topic = np.asarray(sc.load_domain_topic(folder), dtype=np.float64)
    dense = corpus.toarray()
    anchor_tokens = dense[:, anchors].sum(axis=2)  # (n_docs, n_topics)
    absent = domain_topic < 1e-9  # P(one anchor token) < 300 * 1e-9 * 0.08 per document
    assert absent.sum() > 100  # the check is not vacuous (sparse Dirichlet)
    assert anchor_tokens[absent].sum() == 0
    # and where they do occur, at the planted rate: anchor tokens of topic y are
    # Binomial draws of mean sum_d len_d * p_d(y) * anchor_mass (5 sigma)
    expected = SPEC.anchor_mass * (lengths[:, None] * domain_topic).sum(axis=0)
    observed = anchor_tokens.sum(axis=0)
    assert (expected > 50).all()
    assert (np.abs(observed - expected) <= 5 * np.sqrt(expected)).all()


def test_anchors_survive_filter_words(generated):
    folder, stats = generated
    corpus = llstopic.Corpus.read_uci(f"{folder}/docword.txt.gz")
    _, anchors, _, _ = sc.load_planted(folder)
    kept = corpus.filter_words(keep_n=KEEP_N).kept_words
    assert np.isin(anchors, kept).all()
    assert stats["lowest_anchor_rank"] <= KEEP_N


def test_spec_rejects_bad_values():
    with pytest.raises(ValueError, match="anchor_mass"):
        sc.CorpusSpec(anchor_mass=1.5)
    with pytest.raises(ValueError, match="anchor_ranks"):
        sc.CorpusSpec(n_topics=100, n_anchors=4, anchor_ranks=(0, 100))
    with pytest.raises(ValueError, match="block"):
        sc.block_inputs(SPEC, 4)
