"""Held-out evaluation: document splits, completion, perplexity, coherence, diversity."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

import llstopic
from llstopic.metrics import _heldout, _likelihood
from llstopic.metrics import coherence, duplicate_topics, topic_diversity
from llstopic.metrics import (document_completion, perplexity, score_completion,
                               split_documents)

TOPIC_WORD = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])


def _random_counts(seed, shape=(40, 30)):
    rng = np.random.default_rng(seed)
    counts = rng.poisson(0.4, size=shape)
    counts[:, 0] += 2  # every row has at least 2 tokens
    return counts


# ------------------------------------------------------------------ split
@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.9])
def test_split_adds_up_and_holds_out_the_stated_share(fraction):
    counts = _random_counts(0)
    observed, held_out = split_documents(counts, fraction=fraction, random_state=3)
    assert observed.dtype == np.int64 and held_out.dtype == np.int64
    np.testing.assert_array_equal((observed + held_out).toarray(), counts)
    assert observed.min() >= 0 and held_out.min() >= 0
    n = counts.sum(axis=1)
    expect = np.clip(np.floor(fraction * n), 1, n - 1)
    np.testing.assert_array_equal(held_out.sum(axis=1).A1, expect)


def test_split_is_deterministic_under_a_seed_and_changes_with_it():
    counts = _random_counts(1)
    a = split_documents(counts, random_state=7)[1].toarray()
    b = split_documents(counts, random_state=7)[1].toarray()
    c = split_documents(counts, random_state=8)[1].toarray()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_split_draws_tokens_uniformly():
    # a row [3, 1]: 2 of its 4 tokens are held out; word 1 is among them with
    # probability 2/4 (hypergeometric).  4,000 rows: sd 0.008, tolerance 5 sd.
    counts = np.tile([3, 1], (4000, 1))
    held = split_documents(counts, random_state=0)[1].toarray()
    assert abs(held[:, 1].mean() - 0.5) < 0.04


def test_split_chunks_agree_with_the_invariants(monkeypatch):
    monkeypatch.setattr(_heldout, "_SPLIT_TOKENS", 7)  # many chunks, some rows longer than one
    counts = _random_counts(2)
    observed, held_out = split_documents(counts, random_state=0)
    np.testing.assert_array_equal((observed + held_out).toarray(), counts)
    n = counts.sum(axis=1)
    np.testing.assert_array_equal(held_out.sum(axis=1).A1, np.clip(n // 2, 1, n - 1))


def test_split_refuses_short_documents_and_names_the_row():
    with pytest.raises(ValueError, match=r"counts row 1 has 1 token.*2 of 3 rows"):
        split_documents(np.array([[2, 1], [1, 0], [0, 0]]))


@pytest.mark.parametrize("fraction, error", [(0.0, ValueError), (1.0, ValueError), (1.5, ValueError),
                                             ("half", TypeError), (True, TypeError),
                                             (float("nan"), TypeError)])
def test_split_rejects_bad_fractions(fraction, error):
    with pytest.raises(error, match="fraction"):
        split_documents(np.array([[2, 1]]), fraction=fraction)


def test_split_rejects_bad_counts():
    with pytest.raises(ValueError, match="non-negative"):
        split_documents(np.array([[2, -1]]))


# ------------------------------------------------------------------ scoring
def test_score_completion_exact_small_example():
    # observed row [1, 0, 1]: maximum likelihood mixes the two topics half and
    # half (p = 0.25, 0.5, 0.25); held-out [1, 1, 0] scores log 0.25 + log 0.5.
    s = 0.1
    score = score_completion(TOPIC_WORD, [[1, 0, 1]], [[1, 1, 0]], smoothing=s)
    expect = (math.log(0.9 * 0.25 + s / 3) + math.log(0.9 * 0.5 + s / 3)) / 2
    assert score.nats_per_token == pytest.approx(expect, abs=1e-12)
    assert score.n_tokens == 2 and score.zero_fraction == 0.0


def test_score_completion_smooths_zero_probabilities_and_counts_them():
    # the observed half says topic 0; held-out word 2 has probability 0 under it
    # (the given inference is exact; the solver's would stop 1e-14 short of the vertex)
    score = score_completion(TOPIC_WORD, [[2, 0, 0]], [[0, 1, 3]], smoothing=1e-10,
                             infer=lambda obs: np.array([[1.0, 0.0]]))
    expect = (math.log((1 - 1e-10) * 0.5 + 1e-10 / 3) + 3 * math.log(1e-10 / 3)) / 4
    assert score.nats_per_token == pytest.approx(expect, rel=1e-9)
    assert score.zero_fraction == 0.75


def test_score_completion_with_a_given_inference():
    infer = lambda obs: np.array([[0.25, 0.75]])  # noqa: E731
    score = score_completion(TOPIC_WORD, [[1, 0, 1]], [[0, 0, 2]], infer=infer, smoothing=0.5)
    assert score.nats_per_token == pytest.approx(math.log(0.5 * 0.375 + 0.5 / 3), abs=1e-12)


def test_score_completion_chunks_agree(monkeypatch):
    counts = _random_counts(4)
    topic_word = np.random.default_rng(0).dirichlet(np.ones(30), size=4)
    observed, held_out = split_documents(counts, random_state=0)
    whole = score_completion(topic_word, observed, held_out)
    monkeypatch.setattr(_likelihood, "_ZERO_BLOCK", 3)        # the zero count runs in blocks
    chunked = score_completion(topic_word, observed, held_out)
    assert chunked.nats_per_token == pytest.approx(whole.nats_per_token, abs=1e-12)
    assert chunked.zero_fraction == whole.zero_fraction


def test_document_completion_exact_when_every_split_is_the_same():
    # row 0 [2, 0, 0] always splits 1 / 1 of word 0; row 1 [0, 0, 4] 2 / 2 of word 2
    value = document_completion(TOPIC_WORD, np.array([[2, 0, 0], [0, 0, 4]]), random_state=0)
    assert value == pytest.approx(math.log((1 - 1e-10) * 0.5 + 1e-10 / 3), abs=1e-9)
    ppl = perplexity(TOPIC_WORD, np.array([[2, 0, 0], [0, 0, 4]]), random_state=0)
    assert ppl == pytest.approx(2.0, rel=1e-8)


def test_completion_is_deterministic_under_a_seed():
    counts = _random_counts(5)
    topic_word = np.random.default_rng(1).dirichlet(np.ones(30), size=3)
    a = document_completion(topic_word, counts, random_state=11)
    assert document_completion(topic_word, counts, random_state=11) == a
    assert perplexity(topic_word, counts, random_state=11) == pytest.approx(math.exp(-a))


@pytest.mark.parametrize("seed", [0, 1])
def test_true_model_beats_uniform_and_shuffled_models(seed):
    problem = llstopic.make_finite_lls(300, 5, 200, 100, alpha=0.5, beta=0.1, random_state=seed)
    counts, true = problem.corpus, problem.topic_word
    uniform = np.full_like(true, 1.0 / true.shape[1])
    shuffled = true[:, np.random.default_rng(seed).permutation(true.shape[1])]
    score = {name: document_completion(tw, counts, random_state=1)
             for name, tw in (("true", true), ("uniform", uniform), ("shuffled", shuffled))}
    # measured on seeds 0-3: true -4.17 to -4.31, uniform -5.70, shuffled -6.86 to -7.08
    assert score["uniform"] == pytest.approx(-math.log(300), abs=1e-9)
    assert score["true"] > score["uniform"] + 1.0
    assert score["true"] > score["shuffled"] + 1.0
    # the true mixes score better than those inferred from half a document (0.05 to 0.08 nats)
    with_truth = document_completion(true, counts, infer=lambda obs: problem.domain_topic,
                                      random_state=1)
    assert with_truth > score["true"]


def test_factorizer_transform_as_inference():
    problem = llstopic.make_finite_lls(200, 3, 60, 150, alpha=1.0, beta=0.1, random_state=0)
    model = llstopic.make_factorizer("anchor", 3, random_state=0).fit(problem.corpus.counts[:40])
    held = problem.corpus.counts[40:]
    ours = document_completion(model.topic_word_, held, random_state=0)
    theirs = document_completion(model.topic_word_, held, infer=model.transform, random_state=0)
    assert theirs == pytest.approx(ours, abs=1e-6)  # the same solver


def test_scoring_rejects_bad_input():
    good = ([[1, 0, 1]], [[1, 1, 0]])
    with pytest.raises(ValueError, match="topic_word rows must sum to one"):
        score_completion([[0.5, 0.4, 0.0]], *good)
    with pytest.raises(ValueError, match="observed has 2 words"):
        score_completion(TOPIC_WORD, [[1, 1]], [[1, 1]])
    with pytest.raises(ValueError, match="same shape"):
        score_completion(TOPIC_WORD, [[1, 0, 1]], [[1, 1, 0], [1, 0, 0]])
    with pytest.raises(ValueError, match="held_out holds no tokens"):
        score_completion(TOPIC_WORD, [[1, 0, 1]], [[0, 0, 0]])
    for smoothing in (0.0, 1.0, -1e-3):
        with pytest.raises(ValueError, match="smoothing"):
            score_completion(TOPIC_WORD, *good, smoothing=smoothing)
    with pytest.raises(TypeError, match="infer must be a callable"):
        score_completion(TOPIC_WORD, *good, infer=np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"infer\(observed\) returned shape \(1, 3\)"):
        score_completion(TOPIC_WORD, *good, infer=lambda obs: np.full((1, 3), 1 / 3))
    with pytest.raises(ValueError, match=r"infer\(observed\) rows must sum to one"):
        score_completion(TOPIC_WORD, *good, infer=lambda obs: np.array([[0.2, 0.2]]))
    with pytest.raises(ValueError, match="counts row 0 has 1 token"):
        document_completion(TOPIC_WORD, [[1, 0, 0], [0, 2, 0]])


# ---------------------------------------------------------------- coherence
TEXTS = [["apple", "banana", "cherry", "apple"], ["banana", "cherry", "date"],
         ["apple", "date", "egg"], ["egg", "fig", "grape", "egg"], ["fig", "grape", "apple"],
         ["cherry", "banana", "fig"]]
VOCAB = ["apple", "banana", "cherry", "date", "egg", "fig", "grape"]


def _tiny_topics():
    topic_word = np.array([[0.3, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02],
                           [0.02, 0.03, 0.05, 0.1, 0.3, 0.3, 0.2]])
    return topic_word, [["apple", "banana", "cherry"], ["egg", "fig", "grape"]]


@pytest.mark.parametrize("measure", ["u_mass", "c_npmi", "c_uci", "c_v"])
def test_coherence_equals_gensims_own(measure):
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    topic_word, topics = _tiny_topics()
    corpus = llstopic.Corpus.from_texts(TEXTS, vocabulary=VOCAB)
    dictionary = Dictionary(TEXTS)
    reference = CoherenceModel(topics=topics, texts=TEXTS, corpus=[dictionary.doc2bow(t) for t in TEXTS],
                               dictionary=dictionary, coherence=measure, topn=3, processes=1)
    expect = reference.get_coherence_per_topic()
    result = coherence(topic_word, counts=corpus, texts=TEXTS, measure=measure, top_n=3)
    np.testing.assert_allclose(result.per_topic, expect, rtol=1e-12, atol=1e-12)
    assert result.mean == pytest.approx(reference.get_coherence(), abs=1e-12)
    assert result.measure == measure


def test_u_mass_from_counts_without_a_vocabulary():
    topic_word, _ = _tiny_topics()
    counts = llstopic.Corpus.from_texts(TEXTS, vocabulary=VOCAB).counts
    named = coherence(topic_word, counts=counts, vocabulary=VOCAB, top_n=3)
    anonymous = coherence(topic_word, counts=counts, top_n=3)
    np.testing.assert_allclose(anonymous.per_topic, named.per_topic)
    from_texts = coherence(topic_word, texts=TEXTS, vocabulary=VOCAB, top_n=3)
    np.testing.assert_allclose(from_texts.per_topic, named.per_topic)


def test_coherence_rejects_bad_input():
    topic_word, _ = _tiny_topics()
    counts = llstopic.Corpus.from_texts(TEXTS, vocabulary=VOCAB)
    with pytest.raises(ValueError, match="measure must be one of"):
        coherence(topic_word, counts=counts, measure="c_w2v", top_n=3)
    with pytest.raises(ValueError, match=r"texts\[1\] has the word 'kiwi'"):
        coherence(topic_word, counts=counts, texts=[["apple"], ["kiwi"]] + TEXTS[2:],
                  measure="c_npmi", top_n=3)
    with pytest.raises(ValueError, match="texts has 5 documents but counts has 6 rows"):
        coherence(topic_word, counts=counts, texts=TEXTS[:5], measure="c_npmi", top_n=3)
    with pytest.raises(ValueError, match="vocabulary is required with texts"):
        coherence(topic_word, counts=counts.counts, texts=TEXTS, measure="c_npmi", top_n=3)
    with pytest.raises(ValueError, match="pass texts"):
        coherence(topic_word, counts=counts, measure="c_v", top_n=3)
    with pytest.raises(ValueError, match="needs counts"):
        coherence(topic_word, top_n=3)
    with pytest.raises(ValueError, match="vocabulary has 3 words"):
        coherence(topic_word, counts=counts.counts, vocabulary=VOCAB[:3], top_n=3)
    with pytest.raises(ValueError, match="counts has 6 words"):
        coherence(topic_word, counts=counts.counts[:, :6], top_n=3)
    with pytest.raises(ValueError, match="top_n = 8 is larger than n_words = 7"):
        coherence(topic_word, counts=counts, top_n=8)
    with pytest.raises(TypeError, match=r"texts\[0\] must be a list"):
        coherence(topic_word, counts=counts, texts=["apple banana"] * 6, measure="c_npmi", top_n=3)


# ---------------------------------------------------------------- diversity
def test_topic_diversity_and_duplicates_by_hand():
    topic_word = np.array([[0.4, 0.3, 0.2, 0.1, 0.0],
                           [0.3, 0.4, 0.1, 0.0, 0.2],
                           [0.0, 0.0, 0.1, 0.4, 0.5]])
    # top-2: {0,1}, {1,0}, {4,3} -> 4 distinct of 6; top-3: {0,1,2}, {1,0,4}, {4,3,2}
    assert topic_diversity(topic_word, top_n=2) == pytest.approx(4 / 6)
    assert topic_diversity(topic_word, top_n=3) == pytest.approx(5 / 9)
    assert duplicate_topics(topic_word, top_n=3, shared=2) == [(0, 1, 2)]
    assert duplicate_topics(topic_word, top_n=3, shared=1) == [(0, 1, 2), (0, 2, 1), (1, 2, 1)]
    assert duplicate_topics(topic_word, top_n=3, shared=3) == []
    assert topic_diversity(np.eye(4), top_n=1) == 1.0


def test_diversity_rejects_bad_input():
    with pytest.raises(ValueError, match="shared = 4 is larger than top_n = 3"):
        duplicate_topics(np.eye(5), top_n=3, shared=4)
    with pytest.raises(ValueError, match="top_n must be an integer >= 1"):
        topic_diversity(np.eye(5), top_n=0)
    with pytest.raises(ValueError, match="topic_word has a negative entry"):
        topic_diversity(np.array([[1.5, -0.5]]), top_n=1)
    with pytest.raises(ValueError, match="top_n = 3 is larger than n_words = 2"):
        duplicate_topics(sp.eye(2).toarray(), top_n=3, shared=1)
