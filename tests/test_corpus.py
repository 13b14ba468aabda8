"""Corpus builders, validation, filtering and the gensim round trip."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import llstopic.corpus._build as build
from llstopic import Corpus

import _reference as ref


def _assert_counts(corpus, dense):
    assert corpus.shape == dense.shape
    np.testing.assert_array_equal(corpus.toarray(), dense)
    mat = corpus.counts
    assert sp.isspmatrix_csr(mat) and mat.data.dtype == np.int64
    assert mat.has_canonical_format and (mat.data > 0).all()
    for r in range(mat.shape[0]):
        assert np.all(np.diff(mat.indices[mat.indptr[r]:mat.indptr[r + 1]]) > 0)


# ------------------------------------------------------------- from_tokens
@pytest.mark.parametrize("id_dtype", [np.int32, np.int64, np.uint16, np.float64])
@pytest.mark.parametrize("n_tokens,n_words,n_domains", [(1, 1, 1), (1, 4, 6), (400, 7, 3), (3000, 900, 300)])
def test_from_tokens_agrees_with_add_at(id_dtype, n_tokens, n_words, n_domains):
    rng = np.random.default_rng(n_tokens)
    # leave the last domain and the last word unseen
    words = rng.integers(0, max(n_words - 1, 1), n_tokens).astype(id_dtype)
    domains = rng.integers(0, max(n_domains - 1, 1), n_tokens).astype(id_dtype)
    corpus = Corpus.from_tokens(words, domains, n_words=n_words, n_domains=n_domains)
    _assert_counts(corpus, ref.dense_counts(words.astype(np.int64), domains.astype(np.int64),
                                            n_words, n_domains))
    assert corpus.n_tokens == n_tokens
    assert corpus.domain_lengths().sum() == n_tokens == corpus.word_counts().sum()


def test_from_tokens_defaults_and_names():
    corpus = Corpus.from_tokens([0, 2, 2, 1], [0, 0, 1, 1])
    assert corpus.shape == (2, 3) and corpus.vocabulary is None and corpus.kept_words is None
    named = Corpus.from_tokens([0, 2], [1, 1], vocabulary=["a", "b", "c"], domain_names=["d0", "d1"])
    assert named.shape == (2, 3) and named.vocabulary == ["a", "b", "c"]
    assert named.domain_names == ["d0", "d1"]
    assert Corpus.from_tokens([0, 2], [1, 1], parallel=True) == Corpus.from_tokens([0, 2], [1, 1])


BAD_TOKENS = [
    # (kwargs, exception, words in the message)
    (dict(words=[0, 1], domains=[0]), ValueError, ["same length", "2", "1"]),
    (dict(words=[0, -1], domains=[0, 0]), ValueError, ["words[1]", "-1"]),
    (dict(words=[0, 1], domains=[0, -2]), ValueError, ["domains[1]", "-2"]),
    (dict(words=[0, 3], domains=[0, 0], n_words=3), ValueError, ["words[1]", "3", "n_words = 3"]),
    (dict(words=[0, 1], domains=[5, 0], n_domains=2), ValueError, ["domains[0]", "5", "n_domains = 2"]),
    (dict(words=[0, 1.5], domains=[0, 0]), ValueError, ["words[1]", "1.5"]),
    (dict(words=[0, np.nan], domains=[0, 0]), ValueError, ["words[1]", "nan"]),
    (dict(words=[0, 1], domains=[np.inf, 0]), ValueError, ["domains[0]", "inf"]),
    (dict(words=["a", "b"], domains=[0, 0]), TypeError, ["words", "dtype"]),
    (dict(words=[], domains=[]), ValueError, ["empty"]),
    (dict(words=[0, 1], domains=[0, 0], n_words=0), ValueError, ["n_words", "0"]),
    (dict(words=[0, 1], domains=[0, 0], n_words=2.5), TypeError, ["n_words", "2.5"]),
    (dict(words=[0, 1], domains=[0, 0], vocabulary=["a"]), ValueError, ["words[1]", "n_words = 1"]),
    (dict(words=[0, 1], domains=[0, 0], vocabulary=["a", "b"], n_words=3), ValueError,
     ["vocabulary", "2 entries", "n_words = 3"]),
    (dict(words=[0, 1], domains=[0, 0], vocabulary=["a", "a"]), ValueError, ["duplicate", "'a'"]),
    (dict(words=[0, 1], domains=[0, 0], vocabulary="ab"), TypeError, ["vocabulary", "string"]),
    (dict(words=[0, 1], domains=[0, 0], domain_names=["x", "y"]), ValueError, ["domain_names", "n_domains = 1"]),
]


@pytest.mark.parametrize("kwargs,exc,parts", BAD_TOKENS)
def test_from_tokens_rejects_bad_input_before_counting(kwargs, exc, parts, monkeypatch):
    def never(*args, **kw):
        raise AssertionError("the counting kernels ran on bad input")

    monkeypatch.setattr(build, "count_tokens", never)
    with pytest.raises(exc) as info:
        Corpus.from_tokens(**kwargs)
    for part in parts:
        assert part in str(info.value)


# ------------------------------------------------------------- from_matrix
def test_from_matrix_dense_and_sparse_agree():
    dense = np.array([[0, 2, 0], [1, 0, 3]])
    for X in (dense, dense.astype(float), sp.coo_matrix(dense), sp.csc_array(dense), sp.lil_matrix(dense)):
        _assert_counts(Corpus.from_matrix(X), dense)
    dup = sp.coo_matrix(([1, 2, 0], ([0, 0, 1], [1, 1, 0])), shape=(2, 3))  # duplicates, explicit zero
    _assert_counts(Corpus.from_matrix(dup), np.array([[0, 3, 0], [0, 0, 0]]))


@pytest.mark.parametrize("X,parts", [
    (np.array([[1, -1]]), ["non-negative", "-1", "(0, 1)"]),
    (np.array([[1, 0.5]]), ["integer", "0.5", "(0, 1)"]),
    (np.array([[np.nan, 1]]), ["non-finite", "nan", "(0, 0)"]),
    (sp.csr_matrix(np.array([[0, 0], [0, np.inf]])), ["non-finite", "inf", "(1, 1)"]),
    (np.zeros((0, 3)), ["at least one row"]),
])
def test_from_matrix_rejects_bad_counts(X, parts):
    with pytest.raises(ValueError) as info:
        Corpus.from_matrix(X)
    for part in parts:
        assert part in str(info.value)


# ------------------------------------------------------------ filter_words
def test_filter_words_each_filter():
    # word:          0  1  2  3  4
    dense = np.array([[5, 1, 0, 1, 0],
                      [5, 0, 0, 1, 0],
                      [5, 0, 2, 1, 0]])
    corpus = Corpus.from_matrix(dense, vocabulary=list("abcde"), domain_names=["p", "q", "r"])
    f = corpus.filter_words(min_count=2)
    assert f.vocabulary == ["a", "c", "d"] and f.kept_words.tolist() == [0, 2, 3]
    np.testing.assert_array_equal(f.toarray(), dense[:, [0, 2, 3]])
    assert f.domain_names == ["p", "q", "r"]
    assert corpus.filter_words(min_domains=2).kept_words.tolist() == [0, 3]
    assert corpus.filter_words(max_domain_fraction=0.5).kept_words.tolist() == [1, 2]
    assert corpus.filter_words(keep_n=2).kept_words.tolist() == [0, 3]  # counts 15, 3 beat 2, 1
    assert corpus.filter_words(keep_n=3).kept_words.tolist() == [0, 2, 3]
    assert corpus.filter_words(min_count=0, min_domains=0).kept_words.tolist() == [0, 1, 2, 3, 4]
    assert corpus.filter_words().kept_words.tolist() == [0, 1, 2, 3]
    emptied = corpus.filter_words(min_count=2, max_domain_fraction=0.34)  # only word 2 is left
    assert emptied.kept_words.tolist() == [2] and emptied.domain_lengths().tolist() == [0, 0, 2]


@pytest.mark.parametrize("kwargs,exc,part", [
    (dict(min_count=-1), ValueError, "min_count"),
    (dict(min_domains=1.5), TypeError, "min_domains"),
    (dict(max_domain_fraction=0.0), ValueError, "max_domain_fraction"),
    (dict(max_domain_fraction=1.5), ValueError, "max_domain_fraction"),
    (dict(max_domain_fraction="all"), TypeError, "max_domain_fraction"),
    (dict(keep_n=0), ValueError, "keep_n"),
    (dict(min_count=100), ValueError, "removes every word"),
])
def test_filter_words_rejects_bad_arguments(kwargs, exc, part):
    corpus = Corpus.from_tokens([0, 1, 1], [0, 0, 1])
    with pytest.raises(exc, match=part):
        corpus.filter_words(**kwargs)


# --------------------------------------------------------------- from_texts
def test_from_texts_sorted_vocabulary_and_filters():
    texts = [["the", "cat", "sat"], ["the", "dog"], [], ["the", "cat", "cat"]]
    corpus = Corpus.from_texts(iter(texts))  # a one-shot generator is enough
    assert corpus.vocabulary == ["cat", "dog", "sat", "the"]
    np.testing.assert_array_equal(corpus.toarray(), [[1, 0, 1, 1], [0, 1, 0, 1], [0, 0, 0, 0], [2, 0, 0, 1]])
    filtered = Corpus.from_texts(texts, min_count=2, max_domain_fraction=0.5)
    assert filtered.vocabulary == ["cat"] and filtered.kept_words is None
    with pytest.warns(UserWarning, match=r"2 of 8 tokens \(25.0%\) are not in the vocabulary"):
        fixed = Corpus.from_texts(texts, vocabulary=["the", "cat", "mouse"], domain_names=list("abcd"))
    assert fixed.n_unknown_tokens == 2 and corpus.n_unknown_tokens is None
    assert fixed.vocabulary == ["the", "cat", "mouse"]
    np.testing.assert_array_equal(fixed.toarray(), [[1, 1, 0], [1, 0, 0], [0, 0, 0], [1, 2, 0]])


@pytest.mark.parametrize("texts,kwargs,exc,part", [
    ([], {}, ValueError, "no documents"),
    ([[], []], {}, ValueError, "no tokens"),
    ([["a"]], dict(vocabulary=["b"]), ValueError, "no tokens in the given vocabulary"),
    ([b"the cat"], {}, TypeError, r"texts\[0\] is bytes"),
    ([["a"], 3], {}, TypeError, r"texts\[1\]"),
    ([["a", 3]], {}, TypeError, "tokens must be strings"),
    ([["a", ["b"]]], {}, TypeError, "tokens must be strings"),
    ("abc", {}, TypeError, "texts must be an iterable"),
    ([["a"]], dict(vocabulary=["a", "a"]), ValueError, "duplicate"),
])
def test_from_texts_rejects_bad_input(texts, kwargs, exc, part):
    with pytest.raises(exc, match=part):
        Corpus.from_texts(texts, **kwargs)


# ------------------------------------------------------------------ gensim
def test_gensim_view_and_dictionary_match_gensim():
    from gensim.corpora import Dictionary

    texts = [["human", "computer", "interface", "computer"], ["survey", "user", "computer"], [],
             ["graph", "trees", "user"]]
    gdict = Dictionary(texts)
    bow = [gdict.doc2bow(t) for t in texts]
    corpus = Corpus.from_gensim(bow, vocabulary=gdict)
    assert corpus.vocabulary == [gdict[i] for i in range(len(gdict))]
    view = corpus.to_gensim()
    assert len(view) == 4 and view.num_terms == len(gdict) and list(view) == bow == list(view)  # re-iterable
    assert view[0] == bow[0] and view[-1] == bow[-1] and view[2] == []
    with pytest.raises(IndexError):
        view[4]
    ours = corpus.to_gensim_dictionary()
    for word, j in gdict.token2id.items():
        assert ours.token2id[word] == j
        assert ours.dfs[j] == gdict.dfs[j] and ours.cfs[j] == gdict.cfs[j]
    assert (ours.num_docs, ours.num_pos, ours.num_nnz) == (gdict.num_docs, gdict.num_pos, gdict.num_nnz)
    assert ours[0] == gdict[0]  # id2token is rebuilt on demand
    with pytest.raises(ValueError, match="no vocabulary"):
        Corpus.from_tokens([0], [0]).to_gensim_dictionary()


def test_gensim_model_trains_on_the_view():
    from gensim.models import LdaModel

    corpus = Corpus.read_uci("data/docword.example.txt", "data/vocab.example.txt")
    lda = LdaModel(corpus.to_gensim(), num_topics=3, id2word=corpus.to_gensim_dictionary(), passes=1,
                   iterations=5, random_state=0)
    assert lda.get_topics().shape == (3, corpus.n_words)


def test_from_gensim_details():
    bow = [[(3, 1), (1, 2), (3, 4)], [], [(0, 0)]]  # unsorted, repeated id, explicit zero
    corpus = Corpus.from_gensim(bow)
    np.testing.assert_array_equal(corpus.toarray(), [[0, 2, 0, 5], [0, 0, 0, 0], [0, 0, 0, 0]])
    assert Corpus.from_gensim(bow, n_words=6).n_words == 6
    assert Corpus.from_gensim(((w, 1.0) for w in doc) for doc in ([0, 1], [1])).n_tokens == 3
    # a corpus without tokens, as from_matrix accepts it (word ids still give n_words)
    assert Corpus.from_gensim([[(0, 0)]]) == Corpus.from_matrix([[0]])


@pytest.mark.parametrize("bow,kwargs,exc,parts", [
    ([], {}, ValueError, ["no documents"]),
    ([[], []], {}, ValueError, ["no tokens", "n_words is unknown"]),
    ([[(0, 1)], [(1, 2, 3)]], {}, TypeError, ["document 1, entry 0", "(1, 2, 3)"]),
    ([[(0, 1), "x"]], {}, TypeError, ["document 0, entry 1", "'x'"]),
    ([[(0, 1)], "ab"], {}, TypeError, ["document 1", "str"]),
    ([[(0, 1)], [(1, -2)]], {}, ValueError, ["document 1, entry 0", "count", "-2"]),
    ([[(0, 1), (1, 0.5)]], {}, ValueError, ["document 0, entry 1", "0.5"]),
    ([[(0, 1), (1.5, 1)]], {}, ValueError, ["document 0, entry 1", "word id", "1.5"]),
    ([[(0, float("nan"))]], {}, ValueError, ["non-finite", "count"]),
    ([[(0, 1)], [(4, 1)]], dict(n_words=3), ValueError, ["document 1, entry 0", "4", "n_words = 3"]),
    ([[(0, 1)]], dict(vocabulary=["a", "b"], n_words=3), ValueError, ["vocabulary", "n_words = 3"]),
    (5, {}, TypeError, ["bow_iterable"]),
])
def test_from_gensim_rejects_bad_input(bow, kwargs, exc, parts):
    with pytest.raises(exc) as info:
        Corpus.from_gensim(bow, **kwargs)
    for part in parts:
        assert part in str(info.value)


# ------------------------------------------------ properties (hypothesis)
@st.composite
def corpora(draw, named=False):
    n_words = draw(st.integers(1, 9))
    n_domains = draw(st.integers(1, 7))
    pairs = draw(st.lists(st.tuples(st.integers(0, n_words - 1), st.integers(0, n_domains - 1)),
                          min_size=1, max_size=60))
    words, domains = (np.array(v, dtype=np.int64) for v in zip(*pairs))
    vocabulary = [f"w{j}" for j in range(n_words)] if named else None
    return Corpus.from_tokens(words, domains, n_words=n_words, n_domains=n_domains, vocabulary=vocabulary)


@settings(max_examples=60, deadline=None)
@given(corpora(named=True))
def test_round_trip_through_gensim(corpus):
    view = corpus.to_gensim()
    assert Corpus.from_gensim(view, vocabulary=corpus.vocabulary) == corpus
    assert Corpus.from_gensim(list(view), vocabulary=corpus.to_gensim_dictionary()) == corpus


@settings(max_examples=60, deadline=None)
@given(corpora(), st.integers(0, 4), st.integers(0, 3), st.floats(0.05, 1.0), st.none() | st.integers(1, 6))
def test_filter_words_preserves_counts(corpus, min_count, min_domains, fraction, keep_n):
    word_counts = corpus.word_counts()
    domain_freq = (corpus.toarray() > 0).sum(axis=0)
    passes = (word_counts >= min_count) & (domain_freq >= min_domains) & (domain_freq <= fraction * corpus.n_domains)
    if not passes.any():
        with pytest.raises(ValueError, match="removes every word"):
            corpus.filter_words(min_count=min_count, min_domains=min_domains, max_domain_fraction=fraction,
                                keep_n=keep_n)
        return
    out = corpus.filter_words(min_count=min_count, min_domains=min_domains, max_domain_fraction=fraction,
                              keep_n=keep_n)
    kept = out.kept_words
    assert np.all(np.diff(kept) > 0) and passes[kept].all()
    _assert_counts(out, corpus.toarray()[:, kept])  # every kept column exactly as it was
    if keep_n is None:
        assert kept.tolist() == np.flatnonzero(passes).tolist()
    else:
        assert kept.size == min(keep_n, passes.sum())
        dropped = np.setdiff1d(np.flatnonzero(passes), kept)
        if dropped.size:  # nothing dropped outranks anything kept
            assert word_counts[dropped].max() <= word_counts[kept].min()
