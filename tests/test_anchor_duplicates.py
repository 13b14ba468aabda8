"""AnchorWords' re-choice of anchors whose topics come out duplicated (``replace_duplicates``).

``factorizers.anchor._choice``: the replacement's geometry, the recovery restarted from
an earlier answer, the rounds' bookkeeping, and a real corpus (gensim's Lee corpus, which
ships with gensim) where the first anchors give two topics sharing 5 of their 10 top words.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

import llstopic
from llstopic.factorizers.anchor import _choice, _recovery, _spaces
from llstopic.metrics import duplicate_topics


# ------------------------------------------------------------ the replacement
def _points():
    # three anchors at the vertices of a triangle in the plane z=0; candidates off the plane
    points = np.array([
        [0.0, 0.0, 0.0],      # 0: anchor
        [1.0, 0.0, 0.0],      # 1: anchor
        [0.0, 1.0, 0.0],      # 2: anchor (replaced)
        [0.2, 0.2, 0.9],      # 3
        [0.1, 0.1, 0.5],      # 4: nearly the direction of 3
        [0.3, 0.1, 0.0],      # 5: inside the triangle
    ])
    return points, np.array([10, 11, 12, 13, 14, 15], dtype=np.int64)


def test_the_replacement_is_the_farthest_admissible_candidate_from_the_others_span():
    points, candidates = _points()
    # the span of anchors 0 and 1 is the x axis; residuals: 2 -> (0,1,0), 3 -> (0,.2,.9),
    # 4 -> (0,.1,.5), 5 -> (0,.1,0); the cosine with the dropped anchor's residual (0,1,0):
    # 3: 0.22, 4: 0.20, 5: 1.0 (excluded: the same direction as the dropped anchor)
    anchors = np.array([10, 11, 12])
    dropped = set()
    new, swaps = _choice.replace_anchors(points, candidates, anchors, [(1, 2, 5)],
                                         topic_mass=np.array([0.5, 0.3, 0.2]), dropped=dropped)
    assert swaps == [(12, 13)] and new.tolist() == [10, 11, 13] and dropped == {12}
    # next round, 13 is replaced: 12 was dropped (never chosen again) and 14 points the way
    # of 13 (cosine 0.9995 > 0.5), which leaves 15 (its residual (0, .1, 0): cosine 0.22)
    new, swaps = _choice.replace_anchors(points, candidates, new, [(1, 2, 5)],
                                         topic_mass=np.array([0.5, 0.3, 0.2]), dropped=dropped)
    assert swaps == [(13, 15)] and dropped == {12, 13}


def test_the_topic_with_fewer_tokens_loses_its_anchor_once_per_round():
    points, candidates = _points()
    anchors = np.array([10, 11, 12])
    # pairs (0, 2) and (1, 2): topic 2 has the least mass; it is replaced once, the
    # second pair is then left to the next round
    new, swaps = _choice.replace_anchors(points, candidates, anchors, [(0, 2, 6), (1, 2, 5)],
                                         topic_mass=np.array([0.5, 0.3, 0.2]), dropped=set())
    assert [old for old, _ in swaps] == [12] and new[:2].tolist() == [10, 11]
    # mass decides: here topic 1 is the smaller of the pair (1, 2)
    new, swaps = _choice.replace_anchors(points, candidates, anchors, [(1, 2, 5)],
                                         topic_mass=np.array([0.5, 0.1, 0.4]), dropped=set())
    assert [old for old, _ in swaps] == [11] and new[[0, 2]].tolist() == [10, 12]


def test_no_admissible_candidate_replaces_nothing():
    points, candidates = _points()
    anchors = np.array([10, 11, 12])
    new, swaps = _choice.replace_anchors(points, candidates, anchors, [(1, 2, 5)],
                                         topic_mass=np.array([0.5, 0.3, 0.2]),
                                         dropped={13, 14})
    # 15 points the dropped anchor's way (cosine 1): nothing qualifies
    assert swaps == [] and new.tolist() == anchors.tolist()


# ------------------------------------------------------------ the restarted recovery
@pytest.fixture(scope="module")
def cooccurrence():
    corpus = llstopic.make_finite_lls(600, 6, 800, 60, alpha=0.3, beta=0.1, random_state=3).corpus
    space = _spaces.CooccurrenceSpace(corpus.counts, rectify=False, n_topics=6,
                                      rng=np.random.default_rng(0), budget=_spaces.MEMORY_BUDGET)
    model = llstopic.AnchorWords(6, random_state=0, replace_duplicates=0).fit(corpus)
    return space, model.anchors_


KW = dict(loss="kl", max_iter=3000, tol=1e-6, n_threads=1, budget=_spaces.MEMORY_BUDGET)


def test_a_tol_optimal_start_is_kept_for_every_word(cooccurrence):
    space, anchors = cooccurrence
    c, loss, gap, n_iter, groups, labels = _recovery.recover(space, anchors, **KW)
    assert groups is not None and labels.shape == (space.n_dims,)
    again = _recovery.recover(space, anchors, start=c, labels=labels, **KW)
    assert (again[3] == 0).all()                       # no iteration: every start was kept
    assert np.abs(again[0] - c).max() < 1e-10 and (again[2] <= KW["tol"]).all()


@pytest.mark.parametrize("parallel", [False, True])
def test_a_restart_with_a_replaced_anchor_solves_what_a_cold_recovery_solves(cooccurrence,
                                                                             parallel):
    space, anchors = cooccurrence
    kw = dict(KW, n_threads=2 if parallel else 1)
    c, _, _, _, _, labels = _recovery.recover(space, anchors, **kw)
    order = np.argsort(-space.word_weight)
    new = anchors.copy()
    new[2] = next(w for w in order[10:] if w not in anchors)     # some frequent other word
    warm = _recovery.recover(space, new, start=c, labels=labels, **kw)
    cold = _recovery.recover(space, new, labels=labels, **kw)
    assert (warm[3] == 0).any() and (warm[3] > 0).any()     # some words kept, some solved
    assert (warm[2] <= kw["tol"]).all()
    # each word's loss within the solver's tolerance of the cold answer's
    assert np.abs(warm[1] - cold[1]).max() <= 2 * kw["tol"]


# ------------------------------------------------------------ the rounds
class _FakeModel:
    def __init__(self, anchors):
        self.anchors_ = np.asarray(anchors, dtype=np.int64)
        self.recovery_loss_ = np.zeros(3)
        self.n_iter_ = 0
        self.n_column_groups_ = None
        self.polish_ = None


def _topics(n_shared_by_round):
    """Topic-word matrices of 3 topics over 40 words whose topics 1 and 2 share n words."""
    def make(shared):
        tw = np.full((3, 40), 1e-6)
        tw[0, :10] = np.linspace(2, 1, 10)
        tw[1, 10:20] = np.linspace(2, 1, 10)
        tw[2, 20 - shared:30 - shared] = np.linspace(2, 1, 10)   # shares `shared` with topic 1
        return tw / tw.sum(axis=1, keepdims=True)
    return [make(n) for n in n_shared_by_round]


def _run(shared_by_round, max_rounds):
    rounds = _topics(shared_by_round)
    points = np.eye(6)
    candidates = np.arange(6, dtype=np.int64) + 100
    model = _FakeModel([100, 101, 102])
    state = {"points": points, "candidates": candidates, "topic_given_word": np.zeros((6, 3))}
    calls = []

    def refit(anchors, start):
        calls.append(anchors.copy())
        model.recovery_loss_ = np.full(3, float(len(calls)))
        return rounds[len(calls)], np.full((4, 3), 1 / 3), start

    fit = (rounds[0], np.full((4, 3), 1 / 3))
    topic_word, _ = _choice.deduplicate(model, state, fit, np.ones(4), None, refit, max_rounds)
    return model, topic_word, rounds, calls


def test_rounds_stop_when_no_pair_is_left_and_keep_that_round():
    model, topic_word, rounds, calls = _run([6, 5, 0, 7], max_rounds=3)
    assert len(calls) == 2 and topic_word is rounds[2]
    assert model.duplicates_["rounds"] == 2 and model.duplicates_["kept_round"] == 2
    assert model.duplicates_["pairs"] == [] and len(model.duplicates_["replaced"]) == 2
    assert model.recovery_loss_[0] == 2.0               # the kept round's fitted attributes
    assert all(old != new for swaps in model.duplicates_["replaced"] for old, new in swaps)


def test_the_round_with_fewest_pairs_is_kept_the_earliest_on_ties():
    # pairs by round: 1, 1, 1, 1 -> no round improves: the first anchors are kept
    model, topic_word, rounds, calls = _run([6, 6, 5, 7], max_rounds=3)
    assert len(calls) == 3 and topic_word is rounds[0]
    assert model.duplicates_["kept_round"] == 0 and model.duplicates_["pairs"] == [[1, 2, 6]]
    assert model.anchors_.tolist() == [100, 101, 102] and model.recovery_loss_[0] == 0.0


def test_max_rounds_bounds_the_rounds():
    model, _, _, calls = _run([6, 6, 6, 6], max_rounds=1)
    assert len(calls) == 1 and model.duplicates_["rounds"] == 1


def test_auto_rounds_only_on_corpora_where_they_are_cheap_and_meaningful():
    assert _choice.n_rounds("auto", 20, 2000, 10**5) == _choice.AUTO_ROUNDS
    assert _choice.n_rounds("auto", 20, 199, 10**5) == 0          # < 10 words per topic
    assert _choice.n_rounds("auto", 1, 2000, 10**5) == 0
    assert _choice.n_rounds("auto", 20, 2000, _choice.AUTO_MAX_NONZEROS + 1) == 0
    assert _choice.n_rounds(5, 20, 199, 10**9) == 5                # an explicit count is obeyed


# ------------------------------------------------------------ a real corpus
@pytest.fixture(scope="module")
def lee():
    from llstopic.datasets import load_lee
    return load_lee()


def test_lee_k20_has_a_duplicated_pair_that_the_default_fit_replaces(lee, tmp_path):
    first = llstopic.AnchorWords(20, random_state=0, replace_duplicates=0).fit(lee)
    assert first.duplicates_ is None
    assert len(duplicate_topics(first.topic_word_, top_n=10, shared=5)) >= 1
    model = llstopic.AnchorWords(20, random_state=0).fit(lee)
    assert duplicate_topics(model.topic_word_, top_n=10, shared=5) == []
    info = model.duplicates_
    assert info["rounds"] >= 1 and info["kept_round"] >= 1 and info["pairs"] == []
    replaced = [old for swaps in info["replaced"] for old, _ in swaps]
    assert not set(replaced) & set(model.anchors_.tolist())
    assert model.anchor_words_ == [lee.vocabulary[a] for a in model.anchors_]
    assert "duplicates" in model.fit_timings_ and model.polish_ is not None
    # the replacement costs the training objective little (nats per token; measured 0.007)
    assert model.polish_["loglik_after"] > first.polish_["loglik_after"] - 0.02
    model.save(tmp_path / "model.npz")
    assert llstopic.load(tmp_path / "model.npz").duplicates_ == info


def test_the_search_warning_points_at_the_callers_line():
    # _choice.search warns when the candidates' rows span too few directions; the warning
    # names the line that called fit, not a frame inside llstopic
    counts = np.outer(np.arange(1, 7), np.arange(1, 9)) * 10     # every row p(d|x) alike
    with pytest.warns(RuntimeWarning, match="span only") as record:
        llstopic.AnchorWords(3, representation="domain", min_count=1, random_state=0).fit(counts)
    assert [w.filename for w in record if "span only" in str(w.message)] == [__file__]


def test_convergence_warnings_of_every_round_point_at_the_callers_line():
    # max_iter=1 leaves every word unconverged and the topics alike: the rounds run, and each
    # round's recovery warns from 2 frames deeper than the first one's
    problem = llstopic.make_finite_lls(200, 4, 10, 5000, alpha=1.0, beta=0.3, random_state=0)
    with pytest.warns(ConvergenceWarning) as record:
        model = llstopic.AnchorWords(4, max_iter=1, random_state=0).fit(problem.corpus)
    assert model.duplicates_["rounds"] >= 1
    files = [w.filename for w in record if issubclass(w.category, ConvergenceWarning)]
    assert len(files) == 1 + model.duplicates_["rounds"] and set(files) == {__file__}
