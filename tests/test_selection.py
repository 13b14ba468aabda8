"""select_n_topics: planted answers in both regimes, the result, n_topics="auto", bad input."""

import numpy as np
import pytest
import scipy.sparse as sp

import llstopic
from llstopic import AnchorWords, NMF, make_finite_lls, select_n_topics
from llstopic.selection import SelectionResult
from llstopic.selection import _spectral


@pytest.fixture(scope="module")
def few_long():
    # 20 domains of 20,000 tokens: the smallest signal direction is 2.9x the noise threshold
    return make_finite_lls(300, 5, 20, 20_000, alpha=1.0, beta=0.1, max_condition=20,
                           random_state=0)


@pytest.fixture(scope="module")
def many_short():
    # 1,500 documents of 60 tokens over 200 words: smallest signal 1.9x the threshold
    return make_finite_lls(200, 4, 1500, 60, alpha=1.0, beta=0.1, random_state=1)


# ------------------------------------------------------------------ spectral
def test_spectral_finds_the_planted_number_with_few_long_domains(few_long):
    result = select_n_topics(few_long.corpus, random_state=0)
    assert result.n_topics == 5
    assert result.method == "spectral" and result.space == "domain"
    assert result.candidates.tolist() == list(range(1, 21))
    scores = result.scores
    assert scores[4] > 1.5 and scores[5] < 1.0          # measured: 2.9 and 0.94
    assert result.details["rank"] == 5


def test_spectral_finds_the_planted_number_with_many_short_documents(many_short):
    result = select_n_topics(many_short.corpus, random_state=0)
    assert result.n_topics == 4
    assert result.space == "cooccurrence"
    assert result.scores[3] > 1.2 and result.scores[4] < 1.0


def test_one_topic_is_pure_noise():
    problem = make_finite_lls(200, 1, 12, 5000, alpha=1.0, beta=0.1, random_state=3)
    result = select_n_topics(problem.corpus, random_state=0)
    assert result.n_topics == 1
    assert result.scores[1] < 1.0


def test_the_noise_floor_holds_for_sampled_noise_without_signal():
    # identical domains: every direction but the mean is multinomial noise
    rng = np.random.default_rng(5)
    p = rng.dirichlet(np.full(400, 0.2))
    counts = sp.csr_matrix(rng.multinomial(3000, p, size=30))
    stats = _spectral.spectral_statistics(counts, 5, rng)
    assert stats["rank"] == 1
    assert stats["singular_values"][1] < stats["threshold"] <= 1.05 * stats["edge"]


def test_biwhitening_equalises_row_and_column_variance(many_short):
    counts = sp.csr_matrix(many_short.corpus.counts, dtype=float)
    variance = _spectral.multinomial_variance(counts)
    counts, variance, _, _ = _spectral._prune(counts, variance)
    u, v, _, converged = _spectral.biwhiten(variance, counts)
    assert converged
    n, m = variance.shape
    w = _spectral.PRIOR_WEIGHT
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    words = np.asarray(counts.sum(axis=0)).ravel()
    profile = (1 - w) * variance.toarray() + w * np.outer(lengths / lengths.sum(), words)
    scaled = u[:, None] * profile * v[None, :]
    np.testing.assert_allclose(scaled.sum(axis=1), m, rtol=1e-5)
    np.testing.assert_allclose(scaled.sum(axis=0), n, rtol=1e-5)


def test_spectral_is_deterministic(many_short):
    a = select_n_topics(many_short.corpus, random_state=4)
    b = select_n_topics(many_short.corpus, random_state=4)
    assert a == b


def test_more_candidates_than_domains_says_they_are_unidentifiable():
    problem = make_finite_lls(100, 3, 4, 20_000, alpha=1.0, beta=0.1, random_state=2)
    result = select_n_topics(problem.corpus, candidates=range(1, 8), random_state=0)
    assert result.n_topics == 3
    assert any("unidentifiable in the domain space" in note for note in result.notes)
    assert np.all(result.scores[4:] == 0.0)             # the counts have only 4 dimensions


def test_the_largest_supported_candidate_is_chosen(few_long):
    result = select_n_topics(few_long.corpus, candidates=[2, 4, 8], random_state=0)
    assert result.n_topics == 4
    assert any("not a candidate" in note for note in result.notes)


# ------------------------------------------------------------------ held out
def test_heldout_completion_finds_the_planted_number_with_few_domains():
    problem = make_finite_lls(300, 4, 12, 20_000, alpha=1.0, beta=0.1, max_condition=20,
                              random_state=6)
    result = select_n_topics(problem.corpus, method="heldout", candidates=range(2, 8),
                             random_state=0)
    assert result.n_topics == 4
    assert result.details["split"] == "tokens"
    assert int(np.argmax(result.scores)) >= 2           # the likelihood is flat beyond the truth


def test_heldout_holds_out_documents_when_there_are_many(many_short):
    result = select_n_topics(many_short.corpus, method="heldout", candidates=[2, 3, 4, 5, 6],
                             random_state=0)
    assert result.details["split"] == "documents"
    assert result.n_topics == 4


def test_heldout_rejects_candidates_it_cannot_evaluate():
    problem = make_finite_lls(100, 3, 6, 5000, alpha=1.0, beta=0.1, random_state=0)
    with pytest.raises(ValueError, match="candidates: n_topics = 9 cannot be evaluated"):
        select_n_topics(problem.corpus, method="heldout", candidates=[2, 9])


# ------------------------------------------------------------------ result object
def test_result_round_trips_through_a_dict_and_plots(few_long, tmp_path):
    result = select_n_topics(few_long.corpus, random_state=0)
    again = SelectionResult.from_dict(result.to_dict())
    assert again == result and again.score_of(5) == result.score_of(5)
    assert "n_topics = 5" in result.summary()
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    path = tmp_path / "select.png"
    result.plot(path)
    assert path.stat().st_size > 1000
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert result.plot(ax) is ax
    plt.close(fig)
    with pytest.raises(TypeError, match="path_or_ax"):
        result.plot(3)


def test_a_tampered_saved_result_is_rejected(few_long):
    data = select_n_topics(few_long.corpus, random_state=0).to_dict()
    with pytest.raises(ValueError, match="not among its candidates"):
        SelectionResult.from_dict({**data, "n_topics": 99})
    with pytest.raises(ValueError, match="exactly the fields"):
        SelectionResult.from_dict({k: v for k, v in data.items() if k != "scores"})


# ------------------------------------------------------------------ n_topics="auto"
def test_auto_fit_equals_the_fit_with_the_estimate_and_survives_save_load(few_long, tmp_path):
    auto = AnchorWords("auto", random_state=0).fit(few_long.corpus)
    fixed = AnchorWords(5, random_state=0).fit(few_long.corpus)
    assert auto.n_topics == "auto" and auto.n_topics_ == 5
    assert fixed.n_topics_selection_ is None
    np.testing.assert_array_equal(auto.topic_word_, fixed.topic_word_)
    path = tmp_path / "auto.npz"
    auto.save(path)
    loaded = llstopic.load(path)
    assert loaded.n_topics == "auto" and loaded.n_topics_ == 5
    assert loaded.n_topics_selection_ == auto.n_topics_selection_
    np.testing.assert_array_equal(loaded.topic_word_, auto.topic_word_)
    fixed.save(tmp_path / "fixed.npz")
    assert llstopic.load(tmp_path / "fixed.npz").n_topics_selection_ is None


def test_auto_works_for_nmf(few_long):
    assert NMF("auto", random_state=0, max_iter=50).fit(few_long.corpus).n_topics_ == 5


def _continuous_problem(n=900):
    rng = np.random.default_rng(0)
    n_topics, n_domains = 3, 6
    domain_topic = llstopic.make_domain_topic(n_domains, n_topics, alpha=0.5, max_condition=4,
                                              random_state=1)
    domains = np.repeat(np.arange(n_domains), n // n_domains)
    labels = np.array([rng.choice(n_topics, p=domain_topic[d]) for d in domains])
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    return centres[labels] + rng.normal(size=(n, 2)), domains


def test_spectral_on_continuous_data():
    X, domains = _continuous_problem()
    result = select_n_topics((X, domains), random_state=0)
    assert result.n_topics == 3 and result.space == "continuous"
    assert result.details["n_clusters"] == 9                # ceil(1.5 * 6 domains)


@pytest.mark.slow
def test_ddfa_auto_on_continuous_data():
    X, domains = _continuous_problem()
    assert select_n_topics(X, domains=domains, random_state=0) == \
        select_n_topics((X, domains), random_state=0)
    model = llstopic.DDFA("auto", factorizer="anchor", random_state=0).fit(X, domains)
    assert model.n_topics == "auto"
    assert model.n_topics_ == 3 and model.n_topics_selection_.n_topics == 3
    fixed = llstopic.DDFA(3, factorizer="anchor", random_state=0).fit(X, domains)
    # one discriminator: the fit re-clusters the estimate's held-out p(d|x)
    np.testing.assert_array_equal(model.discretizer_.words_, fixed.discretizer_.words_)
    np.testing.assert_allclose(model.predict_proba(X[:50], domains[:50]),
                               fixed.predict_proba(X[:50], domains[:50]))


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("candidates, error, match", [
    ([], ValueError, "candidates is empty"),
    ([0, 3], ValueError, r"candidates must lie in \[1, n_words\] = \[1, 300\], got 0"),
    ([301], ValueError, "got 301"),
    (5, TypeError, "candidates must be an iterable"),
    ([2.5], TypeError, "candidates must hold ints"),
])
def test_bad_candidates(few_long, candidates, error, match):
    with pytest.raises(error, match=match):
        select_n_topics(few_long.corpus, candidates=candidates)


def test_bad_method_level_and_single_domain(few_long):
    with pytest.raises(ValueError, match="method must be one of"):
        select_n_topics(few_long.corpus, method="bic")
    with pytest.raises(ValueError, match="level must be one of"):
        select_n_topics(few_long.corpus, level=0.2)
    with pytest.raises(ValueError, match="at least 2 domains"):
        select_n_topics(np.array([[3, 4, 5]]))
    with pytest.raises(ValueError, match="heldout must be a fraction"):
        select_n_topics(few_long.corpus, method="heldout", heldout=0.9)
    with pytest.raises(ValueError, match="n_topics must be an integer >= 1 or 'auto', got 'five'"):
        AnchorWords("five").fit(few_long.corpus)


def test_cli_fit_with_auto(tmp_path, capsys):
    from llstopic.cli import main

    problem = make_finite_lls(60, 3, 12, 4000, alpha=1.0, beta=0.1, random_state=0)
    docword = tmp_path / "docword.toy.txt"
    problem.corpus.write_uci(docword)
    out_path = tmp_path / "m.npz"
    assert main(["fit", "--n-topics", "auto", "--corpus", str(docword), "--out", str(out_path),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "anchor with 3 topics" in out and "n_topics auto: n_topics = 3" in out
    assert llstopic.load(out_path).n_topics_ == 3
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--n-topics", "many", "--corpus", str(docword), "--out", str(out_path)])
    assert exc.value.code == 2
    assert "expected a positive integer or 'auto', got 'many'" in capsys.readouterr().err


def test_anchor_fits_sharing_a_word_space_equal_fresh_fits(few_long, many_short):
    for problem in (few_long, many_short):
        shared = {}
        for n_topics in (3, 4):
            model = AnchorWords(n_topics, random_state=0)
            model._shared_spaces = shared
            model.fit(problem.corpus)
            fresh = AnchorWords(n_topics, random_state=0).fit(problem.corpus)
            np.testing.assert_array_equal(model.topic_word_, fresh.topic_word_)
            np.testing.assert_array_equal(model.anchors_, fresh.anchors_)
        assert list(shared) == [fresh.representation_]     # built once, reused for n_topics = 4


def test_cli_compare_with_auto_reports_the_estimate_against_the_truth(capsys):
    from llstopic.cli import main

    argv = ["compare", "--methods", "anchor", "--n-words", "60", "--n-topics", "auto",
            "--n-domains", "6", "--tokens-per-domain", "3000", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    # 6 domains cannot show the planted 8 topics: the counts have rank at most 6
    assert "n_topics auto: estimated 6 (spectral), planted 8" in out
    assert "recovery errors need the planted number and are not reported" in out


def test_heldout_default_candidates_fit_the_training_part():
    problem = make_finite_lls(120, 3, 24, 400, alpha=1.0, beta=0.1, random_state=8)
    result = select_n_topics(problem.corpus, method="heldout", random_state=0)
    assert result.details["split"] == "documents"
    assert result.candidates.tolist() == list(range(1, result.details["n_train_domains"] + 1))


def test_the_docstring_example_runs():
    import doctest

    from llstopic.selection import _select

    result = doctest.testmod(_select, raise_on_error=True)
    assert result.failed == 0 and result.attempted == 3
