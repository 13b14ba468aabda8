"""to_pyldavis: the arguments of pyLDAvis.prepare, checked by pyLDAvis itself when installed."""

import numpy as np
import pytest

import llstopic
from llstopic import Corpus

TEXTS = ["apple banana apple cherry", "banana banana durian", "cherry durian cherry apple",
         "durian eggplant", "eggplant eggplant apple", "banana cherry"]


@pytest.fixture(scope="module")
def fitted():
    corpus = Corpus.from_texts(TEXTS, stop_words=None)
    return llstopic.NMF(2, random_state=0).fit(corpus), corpus


def test_arguments_describe_the_model_and_the_corpus(fitted):
    model, corpus = fitted
    data = llstopic.to_pyldavis(model, corpus)
    np.testing.assert_array_equal(data["topic_term_dists"], model.topic_word_)
    np.testing.assert_array_equal(data["doc_topic_dists"], model.domain_topic_)
    np.testing.assert_array_equal(data["doc_lengths"], corpus.domain_lengths())
    np.testing.assert_array_equal(data["term_frequency"], corpus.word_counts())
    assert data["vocab"] == corpus.vocabulary
    new = corpus.transform_texts(["apple apple durian"])
    shown = llstopic.to_pyldavis(model, new, new_domains=True)
    np.testing.assert_array_equal(shown["doc_topic_dists"], model.transform(new))
    # 'banana', 'cherry' and 'eggplant' have no token in `new`: left out, topics renormalised
    assert shown["vocab"] == ["apple", "durian"]
    np.testing.assert_allclose(shown["topic_term_dists"].sum(axis=1), 1.0)


def test_ids_stand_in_for_a_missing_vocabulary(fitted):
    model, corpus = fitted
    bare = llstopic.NMF(2, random_state=0).fit(corpus.counts)
    assert llstopic.to_pyldavis(bare, corpus.counts)["vocab"] == ["0", "1", "2", "3", "4"]
    assert llstopic.to_pyldavis(bare, corpus)["vocab"] == corpus.vocabulary


@pytest.mark.parametrize("make, part", [
    (lambda m, c: llstopic.to_pyldavis(llstopic.NMF(2), c), "fitted"),
    (lambda m, c: llstopic.to_pyldavis(m, c.counts[:, :4]), "4 words"),
    (lambda m, c: llstopic.to_pyldavis(m, c.counts[:3]), "new_domains=True"),
    (lambda m, c: llstopic.to_pyldavis(m, Corpus(c.counts, vocabulary=list("abcde"))),
     "different vocabularies"),
])
def test_mismatches_are_refused(fitted, make, part):
    model, corpus = fitted
    with pytest.raises(ValueError, match=part):
        make(model, corpus)


def test_pyldavis_prepare_accepts_them():
    pyLDAvis = pytest.importorskip("pyLDAvis")
    problem = llstopic.make_finite_lls(80, 4, 10, 2_000, alpha=1.0, beta=0.1, random_state=0)
    model = llstopic.AnchorWords(4, random_state=0).fit(problem.corpus)
    data = llstopic.to_pyldavis(model, problem.corpus)
    with np.errstate(divide="ignore"):  # pyLDAvis takes the log of exact zeros of p(x|y)
        prepared = pyLDAvis.prepare(**data, n_jobs=1, sort_topics=False)
    coords = prepared.topic_coordinates.sort_values("topics")
    assert len(coords) == 4 and np.isfinite(coords[["x", "y"]].to_numpy()).all()
    # pyLDAvis' topic sizes are the token shares p(y) implied by p_d(y) and the lengths
    share = (model.domain_topic_ * problem.corpus.domain_lengths()[:, None]).sum(axis=0)
    np.testing.assert_allclose(coords["Freq"].to_numpy(), 100 * share / share.sum(), rtol=1e-6)
    assert "<div" in pyLDAvis.prepared_data_to_html(prepared)
