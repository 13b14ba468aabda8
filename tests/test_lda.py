"""GensimLDA: streaming to gensim, gensim's inference, restarts, persistence, our validation."""

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import llstopic
from llstopic import GensimLDA
from llstopic.corpus._gensim import GensimBow
from llstopic.factorizers._lda_progress import PassProgress
from llstopic.metrics import topic_word_error
from llstopic.synthetic import make_finite_lls

FAST = dict(passes=20, n_init=1)


@pytest.fixture(scope="module")
def problem():
    return make_finite_lls(50, 3, 6, 3_000, alpha=1.0, beta=0.2, random_state=5)


@pytest.fixture(scope="module")
def fitted(problem):
    return GensimLDA(3, random_state=0, **FAST).fit(problem.corpus)


def test_stream_yields_the_rows_without_densifying():
    counts = sp.csr_matrix(np.array([[0, 2, 0, 1], [0, 0, 0, 0], [5, 0, 0, 0]], dtype=np.int64))
    stream = GensimBow(counts)
    expected = [[(1, 2), (3, 1)], [], [(0, 5)]]
    assert len(stream) == 3 and list(stream) == expected and list(stream) == expected  # re-iterable
    assert stream._counts is counts  # a view of the CSR arrays, not a copy


def test_topics_and_proportions_come_from_gensim(problem, fitted):
    gensim_model = fitted.model_
    np.testing.assert_allclose(fitted.topic_word_, gensim_model.get_topics(), rtol=1e-12)
    # gensim's own document-topic inference, run to convergence, with full rows
    gensim_model.iterations = 1000
    for d, row in enumerate(GensimBow(problem.corpus.counts)):
        full = dict(gensim_model.get_document_topics(row, minimum_probability=0))
        np.testing.assert_allclose([full.get(k, 0.0) for k in range(3)], fitted.domain_topic_[d], atol=1e-6)
    assert (fitted.domain_topic_ > 0).all()  # full rows: nothing cut at a minimum probability


def test_transform_is_deterministic_and_survives_save_load(problem, fitted, tmp_path):
    first = fitted.transform(problem.corpus)
    np.testing.assert_array_equal(first, fitted.transform(problem.corpus))
    np.testing.assert_array_equal(first, fitted.domain_topic_)
    fitted.save(tmp_path / "lda.npz")
    loaded = llstopic.load(tmp_path / "lda.npz")
    assert not hasattr(loaded, "model_")  # rebuilt for inference from alpha_ and exp_elog_topic_word_
    np.testing.assert_array_equal(loaded.transform(problem.corpus), first)
    shuffled = problem.corpus.counts[[3, 0, 5]]
    np.testing.assert_array_equal(loaded.transform(shuffled), fitted.transform(shuffled))


def test_more_restarts_never_lower_the_training_likelihood(problem):
    single = GensimLDA(3, passes=10, n_init=1, random_state=7).fit(problem.corpus)
    several = GensimLDA(3, passes=10, n_init=3, random_state=7).fit(problem.corpus)
    # restart 1 of n_init=3 is the n_init=1 run (same seeds), so the best of three is at least as good
    assert several.train_log_likelihood_ >= single.train_log_likelihood_
    assert single.train_log_likelihood_ == pytest.approx(single.log_likelihood(problem.corpus), abs=0.05)


def test_vocabulary_names_the_gensim_words(problem):
    vocabulary = [f"word{i}" for i in range(50)]
    corpus = llstopic.Corpus.from_matrix(problem.corpus.counts, vocabulary=vocabulary)
    model = GensimLDA(3, random_state=0, passes=2, n_init=1).fit(corpus)
    assert model.model_.id2word[7] == "word7" and len(model.top_words(3)[0]) == 3


def test_empty_domain_gets_the_prior_mean(problem):
    counts = problem.corpus.toarray()
    counts[1] = 0
    model = GensimLDA(3, random_state=0, **FAST).fit(counts)
    np.testing.assert_allclose(model.domain_topic_[1], model.alpha_ / model.alpha_.sum())


def test_every_pass_of_every_restart_is_logged(problem, caplog):
    with caplog.at_level(logging.INFO, logger="llstopic"):
        GensimLDA(3, passes=3, n_init=2, random_state=0).fit(problem.corpus)
    passes = [r.getMessage() for r in caplog.records if ": pass " in r.getMessage()]
    assert [m.split(" (")[0] for m in passes] == [
        f"GensimLDA: restart {r}/2: pass {p}/3" for r in (1, 2) for p in (1, 2, 3)]
    assert "left" not in passes[0] and "s left)" in passes[2]  # an estimate once a pass is done


def test_the_stream_reports_progress_within_a_long_pass():
    counts = sp.csr_matrix(np.ones((5_000, 4)))
    ticks = iter(range(0, 10**6, 10))  # a clock that advances 10 s per reading
    records = []

    class Recorder(logging.Logger):
        def _log(self, level, msg, args, **kwargs):
            records.append(msg % args)

    stream = PassProgress(counts, 2, "label", Recorder("x", logging.INFO), every=30.0,
                          clock=lambda: next(ticks))
    assert list(stream) == list(GensimBow(counts))  # the same documents
    list(stream)
    # the clock is read at each pass's start and every 1,024 documents (10 s apart): a
    # record at the first reading at least 30 s after the last one
    assert records == ["label: pass 1/2 (0.0 s so far)",
                       "label: pass 1/2, 3072/5000 documents (30.0 s so far)",
                       "label: pass 2/2 (50.0 s so far, about 50 s left)",
                       "label: pass 2/2, 3072/5000 documents (80.0 s so far)"]


def test_multicore_workers(problem):
    model = GensimLDA(3, workers=2, alpha="symmetric", passes=5, n_init=1, random_state=0).fit(problem.corpus)
    assert type(model.model_).__name__ == "LdaMulticore" and model.model_.batch is True
    np.testing.assert_allclose(model.domain_topic_.sum(axis=1), 1.0)


def test_defaults_converge_in_the_lls_regime_where_gensims_do_not():
    # few, long domains: gensim's defaults (one online pass) are far from converged; see the
    # Notes of GensimLDA and benchmarks/lda_lls_settings.py for the study behind the defaults
    problem = make_finite_lls(100, 4, 12, 10_000, alpha=0.5, beta=0.1, random_state=4)
    oracle = topic_word_error(problem.topic_word, problem.oracle_topic_word())
    ours = GensimLDA(4, random_state=0).fit(problem.corpus)
    gensim_defaults = GensimLDA(4, passes=1, iterations=50, update_every=1, decay=0.5, n_init=1,
                                random_state=0).fit(problem.corpus)
    error_ours = topic_word_error(problem.topic_word, ours.topic_word_)
    error_gensim = topic_word_error(problem.topic_word, gensim_defaults.topic_word_)
    assert error_ours < 2 * oracle < error_gensim / 5, (error_ours, error_gensim, oracle)


def test_gensim_is_imported_lazily():
    code = ("import sys, llstopic.factorizers.lda; llstopic.GensimLDA(2); "
            "assert 'gensim' not in sys.modules, 'gensim imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])


@pytest.mark.parametrize("params, exc, message", [
    (dict(passes=0), ValueError, "passes must be None or an integer >= 1, got 0"),
    (dict(iterations=0), ValueError, "iterations must be None or an integer >= 1, got 0"),
    (dict(n_init=0), ValueError, "n_init must be None or an integer >= 1, got 0"),
    (dict(chunksize=0), ValueError, "chunksize must be None or an integer >= 1, got 0"),
    (dict(workers=0), ValueError, "workers must be an integer >= 1, got 0"),
    (dict(alpha="uniform"), ValueError,
     "alpha must be one of 'symmetric', 'asymmetric', 'auto', a finite number > 0 or a list or array, "
     "got 'uniform'"),
    (dict(alpha=-0.5), ValueError, "alpha must be one of 'symmetric', 'asymmetric', 'auto', a finite "
     "number > 0 or a list or array, got -0.5"),
    (dict(alpha=[0.1, 0.2, 0.3]), ValueError, "alpha has shape (3,), expected (2,)"),
    (dict(alpha={"a": 1}), TypeError,
     "alpha must be one of 'symmetric', 'asymmetric', 'auto', a finite number > 0 or a list or array, "
     "got dict: {'a': 1}"),
    (dict(eta="asymmetric"), ValueError,
     "eta must be None, one of 'symmetric', 'auto', a finite number > 0 or a list or array, "
     "got 'asymmetric'"),
    (dict(eta=[0.1, 0.1]), ValueError, "eta has shape (2,), expected (4,) or (2, 4)"),
    (dict(workers=2), ValueError,
     "alpha='auto' is not supported by gensim's LdaMulticore (workers > 1); use alpha='symmetric', "
     "'asymmetric', a number or a list, or workers=1"),
    (dict(num_topics=5), ValueError,
     "GensimLDA: parameter num_topics=5 cannot be passed to gensim's LdaModel/LdaMulticore: use n_topics"),
    (dict(dtype="float32"), ValueError,
     "GensimLDA: parameter dtype='float32' cannot be passed to gensim's LdaModel/LdaMulticore: "
     "llstopic always computes in float64"),
    (dict(minimum_probability=0.01), ValueError,
     "GensimLDA: parameter minimum_probability=0.01 cannot be passed to gensim's LdaModel/LdaMulticore: "
     "llstopic always keeps full p_d(y) rows"),
    (dict(num_passes=3), TypeError,
     "GensimLDA got an unexpected parameter num_passes=3; gensim's LdaModel/LdaMulticore accepts batch, "
     "decay, eval_every, gamma_threshold, minimum_phi_value, offset, update_every"),
    (dict(batch=True), ValueError,
     "batch applies to gensim's LdaMulticore (workers > 1); with workers=1 use update_every (0 = batch)"),
    (dict(workers=2, alpha="symmetric", update_every=1), ValueError,
     "update_every applies to gensim's LdaModel (workers=1); with workers > 1 use batch=True or batch=False"),
    (dict(update_every=-1), ValueError, "update_every must be an integer >= 0, got -1"),
    (dict(decay=1.5), ValueError, "decay must be a number in [0.0, 1.0], got 1.5"),
    (dict(offset=0.0), ValueError, "offset must be a finite number > 0, got 0.0"),
    (dict(eval_every=-1), ValueError, "eval_every must be None or an integer >= 0, got -1"),
    (dict(gamma_threshold=-1e-3), ValueError, "gamma_threshold must be a finite number >= 0.0, got -0.001"),
])
def test_bad_parameters_get_our_message_before_any_work(params, exc, message, monkeypatch):
    def never(self, corpus, rng):
        raise AssertionError("training was reached")

    monkeypatch.setattr(GensimLDA, "_fit", never)  # validation must stop the fit before training
    with pytest.raises(exc) as info:
        llstopic.make_factorizer("lda", 2, **params).fit(np.array([[3, 0, 1, 2], [0, 2, 2, 1]]))
    assert str(info.value) == message


def test_settings_follow_the_corpus_shape():
    # few long domains: batch variational EM with restarts; many short documents: gensim's online
    # settings; a given value always wins
    long = make_finite_lls(40, 3, 6, 4000, alpha=1.0, beta=0.1, random_state=0).corpus
    short = make_finite_lls(40, 3, 300, 20, alpha=0.3, beta=0.1, random_state=0).corpus
    few = GensimLDA(3, passes=2, n_init=1, random_state=0).fit(long)
    assert few.regime_ == "domains"
    assert few.settings_ == {"passes": 2, "iterations": 10, "n_init": 1, "chunksize": 6,
                             "update_every": 0, "decay": 0.0, "inference_iterations": 1000}
    many = GensimLDA(3, random_state=0).fit(short)
    assert many.regime_ == "documents"
    assert many.settings_ == {"passes": 10, "iterations": 50, "n_init": 1, "chunksize": 300,
                              "update_every": 1, "decay": 0.5, "inference_iterations": 100}
    assert GensimLDA(3, passes=3, iterations=7, decay=0.3, random_state=0).fit(short).settings_[
        "decay"] == 0.3
