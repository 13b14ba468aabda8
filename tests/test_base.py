"""The Factorizer base class and the registry, with a minimal in-test factorizer."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import llstopic
from llstopic import Corpus, Factorizer, available, load, make_factorizer, register_factorizer
from llstopic.factorizers import _registry


class FixedTopics(Factorizer):
    """Topics given up front; p_d(y) by the base class' maximum-likelihood inference."""

    _saved_attributes = ("fit_count_",)

    def __init__(self, n_topics, *, topic_word=None, random_state=None):
        self.n_topics = n_topics
        self.topic_word = topic_word
        self.random_state = random_state

    def _check_params(self, corpus):
        if self.topic_word is None or np.asarray(self.topic_word).shape != (self.n_topics, corpus.n_words):
            raise ValueError("topic_word must have shape (n_topics, n_words)")

    def _fit(self, corpus, rng):
        topic_word = np.asarray(self.topic_word, dtype=float)
        self.fit_count_ = np.int64(corpus.n_tokens)
        return topic_word, self._infer_domain_topic(corpus.counts, topic_word)


@pytest.fixture(autouse=True)
def _registered():
    register_factorizer("fixed-test", FixedTopics)
    yield
    _registry._TABLE.pop("fixed-test", None)


TOPICS = np.array([[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.25, 0.75]])
PROPS = np.array([[0.2, 0.8], [0.9, 0.1], [0.5, 0.5]])


def _counts(total=100_000):
    return np.rint(total * PROPS @ TOPICS).astype(np.int64)


def _model(**kw):
    return make_factorizer("fixed-test", 2, topic_word=TOPICS.tolist(), **kw)


def test_population_counts_give_the_true_proportions():
    model = _model().fit(_counts())
    np.testing.assert_allclose(model.domain_topic_, PROPS, atol=1e-5)
    np.testing.assert_allclose(model.topic_word_, TOPICS)
    assert (model.n_topics_, model.n_words_in_, model.n_domains_) == (2, 4, 3)
    np.testing.assert_allclose(model.transform(_counts()[::-1]), PROPS[::-1], atol=1e-5)
    assert model.fit_transform(_counts()) is model.domain_topic_


def test_inputs_of_every_kind_agree():
    dense = _counts(1000)
    results = [_model().fit(X).domain_topic_ for X in
               (dense, sp.csr_matrix(dense), sp.coo_matrix(dense), Corpus.from_matrix(dense), dense.astype(float))]
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])


def test_transform_of_an_empty_domain_is_uniform():
    model = _model().fit(_counts())
    out = model.transform(np.array([[0, 0, 0, 0], [3, 3, 0, 0]]))
    np.testing.assert_allclose(out[0], [0.5, 0.5])
    np.testing.assert_allclose(out[1], [1.0, 0.0], atol=1e-6)


def test_log_likelihood_and_smoothing():
    model = _model().fit(_counts())
    X = _counts(1000)
    expected = np.sum(X * np.log(np.maximum(model.transform(X) @ TOPICS, 1e-300))) / X.sum()
    assert model.log_likelihood(X, smoothing=0.0) == pytest.approx(expected, rel=1e-9)
    # word 2 is impossible in a domain whose proportions put all mass on topic 0
    assert np.isfinite(model.log_likelihood(np.array([[5, 5, 1, 0]])))
    with pytest.raises(ValueError, match="smoothing"):
        model.log_likelihood(X, smoothing=1.5)


def test_top_words_use_the_vocabulary():
    corpus = Corpus.from_matrix(_counts(100), vocabulary=["a", "b", "c", "d"])
    model = _model().fit(corpus)
    assert model.top_words(2) == [["a", "b"], ["d", "c"]]
    assert _model().fit(_counts(100)).top_words(1) == [[0], [3]]
    assert model.vocabulary_ == ["a", "b", "c", "d"]


def test_top_words_as_a_data_frame():
    pd = pytest.importorskip("pandas")
    corpus = Corpus.from_matrix(_counts(100), vocabulary=["a", "b", "c", "d"])
    frame = _model().fit(corpus).top_words(2, as_frame=True)
    assert list(frame.columns) == ["topic", "rank", "word", "probability"]
    assert frame["word"].tolist() == ["a", "b", "d", "c"]
    np.testing.assert_allclose(frame["probability"], [0.5, 0.5, 0.75, 0.25])
    wide = frame.pivot(index="rank", columns="topic", values="word")
    assert wide[1].tolist() == ["d", "c"] and isinstance(frame, pd.DataFrame)


def test_top_words_frame_without_pandas_says_how_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r'pip install "llstopic\[pandas\]"'):
        _model().fit(_counts(100)).top_words(2, as_frame=True)


def test_scikit_learn_names_of_the_columns():
    model = _model()
    assert not hasattr(model, "n_features_in_")  # scikit-learn's test for "fitted"
    model.fit(_counts(100))
    assert model.n_features_in_ == 4
    assert model.get_feature_names_out().tolist() == ["topic0", "topic1"]
    assert model.get_feature_names_out(list("abcd")).dtype == object
    with pytest.raises(ValueError, match="input_features should have length equal to number of "
                                         r"features \(4\), got 3"):
        model.get_feature_names_out(list("abc"))


def test_save_load_round_trip_is_exact(tmp_path):
    corpus = Corpus.from_matrix(_counts(100), vocabulary=["a", "b", "c", "d"])
    model = _model(random_state=3).fit(corpus)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = load(path)
    assert type(loaded) is FixedTopics
    assert loaded.get_params() == model.get_params()
    for attr in ("topic_word_", "domain_topic_"):
        np.testing.assert_array_equal(getattr(loaded, attr), getattr(model, attr))
    assert loaded.fit_count_ == model.fit_count_ and loaded.vocabulary_ == model.vocabulary_
    np.testing.assert_array_equal(loaded.transform(_counts(50)), model.transform(_counts(50)))
    # the file is a plain npz: it loads without pickle
    with np.load(path, allow_pickle=False) as data:
        assert "topic_word_" in data.files


def test_load_rejects_foreign_files(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, a=np.zeros(3))
    with pytest.raises(ValueError, match="not an llstopic factorizer file"):
        load(path)


def test_not_fitted_errors():
    model = _model()
    for call in (lambda: model.transform(_counts()), lambda: model.posterior([0], [0]),
                 lambda: model.predict([0], [0]), lambda: model.save("never.npz"),
                 lambda: model.log_likelihood(_counts()), lambda: model.top_words()):
        with pytest.raises(NotFittedError):
            call()


@pytest.mark.parametrize("X, exc, match", [
    (np.array([[1, -1, 0, 0]]), ValueError, "non-negative counts, found -1 at position \\(0, 1\\)"),
    (np.array([[1, np.nan, 0, 0]]), ValueError, "non-finite count nan at position \\(0, 1\\)"),
    (np.array([[1, 0.5, 0, 0]]), ValueError, "integer counts, found 0.5"),
    (np.zeros((2, 4)), ValueError, "holds no tokens"),
    (np.ones(4), ValueError, "2-dimensional"),
    ("counts", TypeError, "array-like"),
    (np.array([["a", "b", "c", "d"]]), TypeError, "numeric counts"),
])
def test_bad_counts(X, exc, match):
    with pytest.raises(exc, match=match):
        _model().fit(X)


@pytest.mark.parametrize("n_topics, exc, match", [
    (0, ValueError, "n_topics must be an integer >= 1 or 'auto', got 0"),
    (2.5, TypeError, "n_topics must be an integer"),
    ("2", ValueError, "n_topics must be an integer >= 1 or .auto., got .2."),
    (5, ValueError, "n_topics = 5 is larger than the number of words n_words = 4"),
])
def test_bad_n_topics(n_topics, exc, match):
    model = FixedTopics(n_topics, topic_word=TOPICS)
    with pytest.raises(exc, match=match):
        model.fit(_counts())


def test_transform_checks_the_vocabulary_size():
    model = _model().fit(_counts())
    with pytest.raises(ValueError, match="X has 3 words .* n_words = 4"):
        model.transform(np.ones((2, 3)))


def test_bad_random_state():
    with pytest.raises(TypeError, match="random_state must be"):
        _model(random_state="seed").fit(_counts())


def test_registry():
    assert {"anchor", "nmf", "lda", "fixed-test"} <= set(available())
    assert ("tomotopy" in available()) == (_registry.missing_package("tomotopy") is None)
    assert available() == sorted(available())
    with pytest.raises(ValueError, match="unknown factorizer 'nope'; available: .*anchor.*lda.*nmf"):
        make_factorizer("nope", 2)
    with pytest.raises(TypeError, match="bad parameters for factorizer 'fixed-test'"):
        make_factorizer("fixed-test", 2, no_such_param=1)
    with pytest.raises(ValueError, match="already registered"):
        register_factorizer("fixed-test", type("Other", (FixedTopics,), {}))
    with pytest.raises(ValueError, match="already registered"):
        register_factorizer("anchor", FixedTopics)
    with pytest.raises(TypeError, match="class with a fit method"):
        register_factorizer("broken", object())


def test_clone_and_params():
    model = _model(random_state=1)
    twin = clone(model)
    assert twin.get_params()["random_state"] == 1 and twin is not model
    model.set_params(random_state=2)
    assert model.random_state == 2


def test_unregistered_class_cannot_be_saved(tmp_path):
    class Loose(FixedTopics):
        pass

    model = Loose(2, topic_word=TOPICS.tolist()).fit(_counts())
    with pytest.raises(ValueError, match="Loose is not registered"):
        model.save(tmp_path / "loose.npz")


def test_public_names_load_lazily():
    assert set(llstopic.__all__) <= set(dir(llstopic))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        llstopic.nope
