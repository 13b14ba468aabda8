"""Text in: raw strings, tokenizers, scikit-learn vectorizers, unknown words of new documents."""

import warnings

import numpy as np
import pytest
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfVectorizer

from llstopic import Corpus

TEXTS = ["The cat sat on the mat.", "A dog and a cat; the dog barked!", "",
         "Latent label shift: the label mix shifts, 2 labels."]


def _assert_same(corpus, matrix, vocabulary):
    assert corpus.vocabulary == list(vocabulary)
    np.testing.assert_array_equal(corpus.toarray(), matrix.toarray())


def test_default_analyser_is_countvectorizer_with_english_stop_words():
    corpus = Corpus.from_texts(TEXTS)
    ref = CountVectorizer(stop_words="english")
    _assert_same(corpus, ref.fit_transform(TEXTS), ref.get_feature_names_out())
    assert "the" not in corpus.vocabulary and corpus.n_unknown_tokens is None
    assert corpus.domain_lengths()[2] == 0  # an empty text is an empty domain


def test_stop_words_none_or_a_list():
    kept = Corpus.from_texts(TEXTS, stop_words=None)
    ref = CountVectorizer()
    _assert_same(kept, ref.fit_transform(TEXTS), ref.get_feature_names_out())
    mine = Corpus.from_texts(TEXTS, stop_words={"the", "cat"})
    assert {"the", "cat"}.isdisjoint(mine.vocabulary) and "and" in mine.vocabulary


def test_callable_tokenizer_then_stop_words():
    from gensim.utils import simple_preprocess

    corpus = Corpus.from_texts(TEXTS, tokenizer=simple_preprocess)
    expected = sorted({t for text in TEXTS for t in simple_preprocess(text)} - ENGLISH_STOP_WORDS)
    assert corpus.vocabulary == expected
    split = Corpus.from_texts(["b a b", "c"], tokenizer=str.split, stop_words=None)
    np.testing.assert_array_equal(split.toarray(), [[1, 2, 0], [0, 0, 1]])


def test_token_lists_are_used_as_given_and_may_mix_with_strings():
    corpus = Corpus.from_texts([["the", "The", "cat"], "the cat"])  # stop words only for strings
    assert corpus.vocabulary == ["The", "cat", "the"]
    np.testing.assert_array_equal(corpus.toarray(), [[1, 1, 1], [0, 1, 0]])


def test_fitted_vectorizer_gives_its_vocabulary_and_counts():
    vectorizer = CountVectorizer(ngram_range=(1, 2), min_df=1).fit(TEXTS[:2])
    new = ["the cat barked at a bird", "dog dog"]
    with pytest.warns(UserWarning, match="are not in the vocabulary") as record:
        corpus = Corpus.from_texts(new, tokenizer=vectorizer)
    _assert_same(corpus, vectorizer.transform(new), vectorizer.get_feature_names_out())
    # tokens of the vectorizer's analyser that are not columns: 'bird', 'at' and four bigrams
    analyse = vectorizer.build_analyzer()
    known = set(vectorizer.vocabulary_)
    unknown = sum(t not in known for text in new for t in analyse(text))
    assert corpus.n_unknown_tokens == unknown == 6
    assert record[0].filename == __file__  # the warning points at the caller


def test_unfitted_vectorizer_gives_its_analyser():
    tfidf = TfidfVectorizer(lowercase=False, token_pattern=r"\S+")
    corpus = Corpus.from_texts(["A b", "b c"], tokenizer=tfidf)
    assert corpus.vocabulary == ["A", "b", "c"] and corpus.n_unknown_tokens is None


def test_transform_texts_reuses_tokenisation_and_reports_unknown_tokens():
    train = Corpus.from_texts(TEXTS)
    with pytest.warns(UserWarning) as record:
        new = train.transform_texts(["The CAT and the zebra", "label zebra zebra shift"])
    message = str(record[0].message)
    assert message.startswith("transform_texts: 3 of 6 tokens (50.0%) are not in the vocabulary")
    assert "'zebra' x3" in message and record[0].filename == __file__
    assert new.vocabulary == train.vocabulary and new.n_unknown_tokens == 3
    row = dict(zip(train.vocabulary, new.toarray()[0]))
    assert row["cat"] == 1 and sum(row.values()) == 1  # 'the', 'and' are stop words: not unknown
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing unknown, no warning
        assert train.transform_texts(["cat dog"]).n_unknown_tokens == 0


def test_transform_texts_feeds_a_fitted_model():
    from llstopic import NMF

    train = Corpus.from_texts(["apple banana apple", "cherry durian cherry", "apple cherry"],
                              stop_words=None)
    model = NMF(2, random_state=0).fit(train)
    with pytest.warns(UserWarning, match="1 of 3 tokens"):
        new = Corpus.from_texts(["banana apple kiwi"], vocabulary=model.vocabulary_)
    assert model.transform(new).shape == (1, 2)


def test_filters_apply_to_texts_and_keep_the_unknown_count():
    with pytest.warns(UserWarning):
        corpus = Corpus.from_texts(TEXTS, vocabulary=["cat", "dog", "label", "zzz"], min_count=2)
    assert corpus.vocabulary == ["cat", "dog", "label"] and corpus.kept_words is None
    # cat, dog and label twice each are known; sat mat barked latent shift mix shifts labels are not
    assert corpus.n_unknown_tokens == 8


def test_transform_texts_needs_a_vocabulary():
    with pytest.raises(ValueError, match="has no vocabulary"):
        Corpus.from_tokens([0, 1], [0, 0]).transform_texts(["a b"])


@pytest.mark.parametrize("kwargs, exc, part", [
    (dict(tokenizer="split"), TypeError, "tokenizer must be None, a callable"),
    (dict(tokenizer=lambda text: text), TypeError, r"tokenizer\(texts\[0\]\) returned a str"),
    (dict(stop_words="french"), ValueError, "stop_words must be 'english'"),
    (dict(stop_words=3), TypeError, "stop_words must be 'english'"),
    (dict(stop_words=["a", 1]), TypeError, "stop_words must hold strings"),
    (dict(tokenizer=CountVectorizer(), stop_words=None), ValueError,
     "set stop_words on the vectorizer"),
    (dict(tokenizer=CountVectorizer().fit(TEXTS), vocabulary=["cat"]), ValueError, "not both"),
])
def test_bad_text_arguments(kwargs, exc, part):
    with pytest.raises(exc, match=part):
        Corpus.from_texts(TEXTS, **kwargs)
