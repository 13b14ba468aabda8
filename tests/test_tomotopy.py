"""TomotopyLDA: what the conformance suite does not cover, and life without tomotopy."""

import importlib.util
import logging
import sys

import numpy as np
import pytest

import llstopic
from llstopic import load, make_factorizer
from llstopic.cli import main
from llstopic.factorizers import _registry
from llstopic.synthetic import make_finite_lls

FAST = dict(iterations=60, burn_in=30)


@pytest.fixture
def no_tomotopy(monkeypatch):
    """Make tomotopy look uninstalled (find_spec and import both fail)."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "tomotopy" else real(name, *a))
    monkeypatch.setitem(sys.modules, "tomotopy", None)


def test_without_tomotopy_it_is_not_listed_and_says_how_to_install(no_tomotopy, capsys):
    assert "tomotopy" not in llstopic.available()
    assert {"anchor", "nmf", "lda"} <= set(llstopic.available())
    install = r'needs the tomotopy package.*pip install "llstopic\[tomotopy\]"'
    with pytest.raises(ImportError, match=install):
        make_factorizer("tomotopy", 3)
    assert main(["compare", "--methods", "tomotopy", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert 'pip install "llstopic[tomotopy]"' in err and "\n" not in err.strip()


@pytest.fixture(scope="module")
def problem():
    return make_finite_lls(60, 3, 8, 4_000, alpha=1.0, beta=0.2, random_state=11)


@pytest.fixture(scope="module")
def fitted(problem):
    pytest.importorskip("tomotopy")
    return make_factorizer("tomotopy", 3, random_state=0, **FAST).fit(problem.corpus)


def test_a_saved_model_loads_and_transforms_without_tomotopy(fitted, problem, tmp_path,
                                                               monkeypatch):
    fitted.save(tmp_path / "m.npz")
    expected = fitted.transform(problem.corpus)
    monkeypatch.setitem(sys.modules, "tomotopy", None)
    loaded = load(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded.transform(problem.corpus), expected)
    with pytest.raises(ImportError, match="pip install"):
        loaded.fit(problem.corpus)


def test_transform_solves_its_fixed_point_and_agrees_with_tomotopys_infer(fitted, problem):
    counts = problem.corpus.counts
    theta = fitted.transform(counts)
    # the fixed point: p_d(y) = (sum_x n_dx p(y|x,d) + alpha_y) / (n_d + sum(alpha))
    dense = counts.toarray().astype(float)
    mix = theta @ fitted.topic_word_
    n_dy = theta * ((dense / mix) @ fitted.topic_word_.T)
    expect = (n_dy + fitted.alpha_) / (dense.sum(axis=1, keepdims=True) + fitted.alpha_.sum())
    np.testing.assert_allclose(theta, expect, atol=1e-9)
    # tomotopy's own inference samples the same fixed point; given tomotopy's topics (its
    # last sample, not our average of samples) the gap is one sample's noise plus the
    # domain's own tokens, which tomotopy adds to the topic counts: measured 0.008
    from llstopic.factorizers.tomotopy import fixed_point_domain_topic

    model = fitted.model_
    column = np.array([int(w) for w in model.vocabs])
    topics = np.zeros_like(fitted.topic_word_)
    for k in range(3):
        topics[k, column] = model.get_topic_word_dist(k)
    ours = fixed_point_domain_topic(counts, topics, np.asarray(model.alpha), 5000, 1e-10)
    docs = [model.make_doc([str(j) for j in np.repeat(counts[d].indices, counts[d].data)])
            for d in range(counts.shape[0])]
    inferred, _ = model.infer(docs, iterations=200, workers=1)
    np.testing.assert_allclose(np.array(inferred), ours, atol=0.02)


def test_estimates_are_posterior_means_of_the_averaged_samples(fitted, problem):
    assert fitted.n_samples_ == 3  # (60 - 30) / 10
    # a word without training tokens gets the prior's share, a domain without tokens the prior
    counts = problem.corpus.toarray()
    counts[:, 0] = 0
    counts[2] = 0
    model = make_factorizer("tomotopy", 3, random_state=0, **FAST).fit(counts)
    np.testing.assert_allclose(model.domain_topic_[2], model.alpha_ / model.alpha_.sum())
    np.testing.assert_allclose(model.transform(counts[1:3])[1], model.alpha_ / model.alpha_.sum())
    assert (model.topic_word_[:, 0] > 0).all() and (model.topic_word_[:, 0] < 1e-4).all()


def test_fixed_alpha_and_restarts(problem):
    pytest.importorskip("tomotopy")
    fixed = make_factorizer("tomotopy", 3, alpha=[0.2, 0.3, 0.5], optim_interval=0, random_state=0,
                            **FAST).fit(problem.corpus)
    np.testing.assert_allclose(fixed.alpha_, [0.2, 0.3, 0.5], rtol=1e-6)
    best = make_factorizer("tomotopy", 3, n_init=2, random_state=0, **FAST).fit(problem.corpus)
    assert best.train_log_likelihood_ >= -np.log(60)


def test_every_chain_reports_its_progress(problem, caplog):
    pytest.importorskip("tomotopy")
    with caplog.at_level(logging.INFO, logger="llstopic"):
        make_factorizer("tomotopy", 3, n_init=2, random_state=0, **FAST).fit(problem.corpus)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("llstopic")]
    for chain in (1, 2):
        label = f"TomotopyLDA: chain {chain}/2"
        assert any(m.startswith(f"{label}: burn-in of 30 iterations done") for m in messages)
        assert any(m.startswith(f"{label}: iteration 60/60, -") for m in messages)  # the last one
        assert any(m.startswith(f"{label}: ") and "samples" in m for m in messages)


def test_several_workers_still_give_a_valid_model(problem):
    pytest.importorskip("tomotopy")
    with pytest.warns(RuntimeWarning, match="workers"):  # tomotopy's own warning
        model = make_factorizer("tomotopy", 3, workers=2, random_state=0, **FAST)
        model.fit(problem.corpus)
    np.testing.assert_allclose(model.topic_word_.sum(axis=1), 1.0)


@pytest.mark.parametrize("params, exc, part", [
    (dict(burn_in=300), ValueError, "burn_in = 300 must be smaller than iterations = 300"),
    (dict(iterations=0), ValueError, "iterations must be an integer >= 1"),
    (dict(alpha=[0.1, 0.1]), ValueError, "alpha has 2 entries but n_topics = 3"),
    (dict(alpha="auto"), TypeError, "alpha must be a positive number"),
    (dict(eta=0.0), ValueError, "eta must be a finite positive number"),
    (dict(workers=0), ValueError, "workers must be an integer >= 1"),
    (dict(sample_interval=0), ValueError, "sample_interval must be an integer >= 1"),
])
def test_bad_parameters(params, exc, part):
    pytest.importorskip("tomotopy")
    with pytest.raises(exc, match=part):
        make_factorizer("tomotopy", 3, **params).fit(np.ones((4, 6), dtype=int))


def test_compare_runs_tomotopy(capsys):
    pytest.importorskip("tomotopy")
    argv = ["compare", "--methods", "tomotopy,anchor", "--param", "tomotopy.iterations=60",
            "--param", "tomotopy.burn_in=30", "--n-words", "60", "--n-topics", "3",
            "--n-domains", "6", "--tokens-per-domain", "3000", "--quiet"]
    assert main(argv) == 0
    assert "tomotopy" in capsys.readouterr().out


def test_the_registry_table_names_the_extra():
    assert _registry._EXTRAS == {"tomotopy": "tomotopy"}
    assert isinstance(_registry._TABLE["tomotopy"], (type, str))
    assert not str(_registry._TABLE["tomotopy"]).endswith("]")
