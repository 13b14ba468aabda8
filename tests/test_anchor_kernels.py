"""Anchor-word kernels against their slow twins and a generic optimiser."""

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp

from llstopic._kernels import anchor as anchor_kernels
from llstopic._kernels import cooccurrence as cooc_kernels
from llstopic._kernels import newton, recovery
from llstopic.factorizers.anchor import _spaces as _anchor_spaces

import _reference as ref


# ------------------------------------------------------------ co-occurrence
def _counts(seed, n_domains=40, n_words=25):
    rng = np.random.default_rng(seed)
    counts = rng.poisson(0.6, size=(n_domains, n_words))
    counts[0] = 0                      # an empty document
    counts[1] = 0
    counts[1, 3] = 1                   # a one-token document: dropped from Q
    counts[2, 5] = 7                   # a repeated word: exercises the diagonal correction
    return counts


def _csr64(matrix):
    m = sp.csr_matrix(matrix)
    return m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data.astype(np.float64)


def _count_arrays(matrix):
    """The corpus' own CSR types: int64 pointers, int32 ids, int64 counts."""
    m = sp.csr_matrix(matrix)
    m.sort_indices()
    return m.indptr.astype(np.int64), m.indices.astype(np.int32), m.data.astype(np.int64)


def _doc_weight(counts):
    n = counts.sum(axis=1).astype(float)
    used = n >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(used, 1.0 / (n * (n - 1) * used.sum()), 0.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_cooccurrence_rows_match_reference(seed):
    counts = _counts(seed)
    want, used = ref.cooccurrence(counts)
    assert used == 38
    words = np.array([4, 0, 5, 24, 5], dtype=np.int64)   # any subset, in any order, repeats allowed
    got = np.zeros((words.shape[0], counts.shape[1]))
    cooc_kernels.cooccurrence_rows(*_count_arrays(counts.T), *_count_arrays(counts),
                                   _doc_weight(counts), words, got)
    np.testing.assert_allclose(got, want[words], rtol=0, atol=1e-15)
    full = np.zeros((counts.shape[1],) * 2)
    cooc_kernels.cooccurrence_rows(*_count_arrays(counts.T), *_count_arrays(counts),
                                   _doc_weight(counts), np.arange(counts.shape[1], dtype=np.int64),
                                   full)
    assert full.sum() == pytest.approx(1.0, abs=1e-12)          # Q is a joint distribution
    np.testing.assert_allclose(full, full.T, atol=1e-15)


@pytest.mark.parametrize("seed, n_words", [(0, 25), (1, 25), (2, 130), (3, 1)])
def test_cooccurrence_matrix_matches_reference(seed, n_words):
    # 130 words: several 64-word tiles in the mirroring; 1 word: a single row
    counts = _counts(seed, n_words=n_words) if n_words > 1 else np.array([[3], [0], [1], [2]])
    want, _ = ref.cooccurrence(counts)
    got = np.zeros((counts.shape[1],) * 2)
    csr = _count_arrays(counts)
    positions = _anchor_spaces._positions(csr, counts.shape)
    for x in range(counts.shape[1]):             # each CSC entry points at its CSR entry
        for p in range(positions[0][x], positions[0][x + 1]):
            d, q = positions[1][p], positions[2][p]
            assert csr[0][d] <= q < csr[0][d + 1] and csr[1][q] == x
    cooc_kernels.cooccurrence_matrix(*positions, *csr, _doc_weight(counts), got)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(got, got.T)


@pytest.mark.parametrize("n_chunk", [1, 7, 40, 100])
def test_cooccurrence_projection_matches_reference(n_chunk):
    counts = _counts(3)
    want, _ = ref.cooccurrence(counts)
    projection = np.random.default_rng(0).standard_normal((counts.shape[1], 6))
    got = np.zeros((counts.shape[1], 6))
    cooc_kernels.cooccurrence_project(*_count_arrays(counts.T), *_count_arrays(counts),
                                      _doc_weight(counts), projection, np.empty((n_chunk, 6)), got)
    np.testing.assert_allclose(got, want @ projection, rtol=0, atol=1e-14)


# ------------------------------------------------------------ anchor search
def _find(points, candidates, n_anchors, passes=3):
    points = np.ascontiguousarray(points, dtype=np.float64)
    candidates = np.asarray(candidates, dtype=np.int64)
    cap = n_anchors - 1 + passes * n_anchors
    out = np.empty(n_anchors, dtype=np.int64)
    info = np.zeros(3, dtype=np.int64)
    n = candidates.shape[0]
    anchor_kernels.find_anchors(points, candidates, passes, out, np.empty((cap, points.shape[1])),
                                np.empty((n, cap)), np.empty(n), info)
    return out, info


def _hull_problem(seed, n_anchors=8, n_dims=15, n_inner=100, noise=0.03):
    rng = np.random.default_rng(seed)
    vertices = rng.dirichlet(np.full(n_dims, 0.3), size=n_anchors)
    inner = rng.dirichlet(np.full(n_anchors, 0.5), size=n_inner) @ vertices
    points = np.vstack([vertices, inner])
    points += rng.normal(scale=noise, size=points.shape)
    order = rng.permutation(points.shape[0])
    return points[order], np.argsort(order)[:n_anchors]


def test_anchor_search_matches_reference_including_cleanup():
    replaced = 0
    for seed in range(12):
        points, _ = _hull_problem(seed)
        rng = np.random.default_rng(100 + seed)
        candidates = np.sort(rng.choice(points.shape[0], 80, replace=False))
        got, info = _find(points, candidates, 8)
        assert got.tolist() == ref.find_anchors(points, candidates, 8, 3)
        assert set(got) <= set(candidates.tolist())
        replaced += info[1]
    assert replaced > 0   # the clean-up pass did change anchors on some of these problems


def test_anchor_search_finds_exact_vertices():
    points, vertices = _hull_problem(5, noise=0.0)
    got, info = _find(points, np.arange(points.shape[0]), 8)
    assert sorted(got.tolist()) == sorted(vertices.tolist())
    assert info[0] == 8 and info[1] == 0


def test_anchor_search_reports_rank_deficiency():
    points, _ = _hull_problem(6, n_anchors=3, noise=0.0)
    got, info = _find(points, np.arange(points.shape[0]), 5)   # 5 anchors in a 3-vertex hull
    assert info[0] == 3
    assert len(set(got.tolist())) == 5


# ---------------------------------------------------------- simplex solvers
def _solver_problem(seed, n_anchors=5, n_dims=30, outside=0.3):
    rng = np.random.default_rng(seed)
    anchors = rng.dirichlet(np.full(n_dims, 0.5), size=n_anchors)
    inside = rng.dirichlet(np.ones(n_anchors)) @ anchors
    row = (1 - outside) * inside + outside * rng.dirichlet(np.ones(n_dims))
    return row, anchors


def _kl(rows, anchors, parallel=False, max_iter=5000, tol=1e-13, newton=True, start=None):
    rows = sp.csr_matrix(np.atleast_2d(rows))
    n, k = rows.shape[0], anchors.shape[0]
    out = np.full((n, k), -1.0) if start is None else np.array(start, dtype=float, ndmin=2)
    loss, gap, n_iter = np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.int64)
    kernel = recovery.kl_recover_parallel if parallel else recovery.kl_recover
    kernel(*_csr64(rows), np.ascontiguousarray(anchors), out, loss, gap, n_iter, max_iter, tol,
           newton, start is not None)
    return out, loss, gap, n_iter


def _l2(rows, anchors, parallel=False, max_iter=5000, tol=1e-13, newton=True, start=None):
    rows = np.atleast_2d(rows)
    n, k = rows.shape[0], anchors.shape[0]
    out = np.full((n, k), -1.0) if start is None else np.array(start, dtype=float, ndmin=2)
    loss, gap, n_iter = np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.int64)
    kernel = recovery.l2_recover_parallel if parallel else recovery.l2_recover
    kernel(anchors @ anchors.T, np.ascontiguousarray(rows @ anchors.T),
           np.einsum("ij,ij->i", rows, rows), out, loss, gap, n_iter, max_iter, tol, newton,
           start is not None)
    return out, loss, gap, n_iter


def _slsqp(objective, k):
    res = scipy.optimize.minimize(objective, np.full(k, 1.0 / k), method="SLSQP",
                                  bounds=[(0.0, 1.0)] * k,
                                  constraints=[{"type": "eq", "fun": lambda c: c.sum() - 1.0}],
                                  options={"ftol": 1e-15, "maxiter": 2000})
    assert res.success
    return res.x, res.fun


@pytest.mark.parametrize("seed", range(6))
def test_kl_solver_agrees_with_slsqp(seed):
    row, anchors = _solver_problem(seed)
    got, loss, gap, n_iter = _kl(row, anchors)
    assert gap[0] <= 1e-13 and 1 <= n_iter[0] < 5000
    want, fun = _slsqp(lambda c: np.sum(row * np.log(row / (c @ anchors))), anchors.shape[0])
    assert loss[0] <= fun + 1e-12                      # never worse than the generic optimiser
    np.testing.assert_allclose(got[0], want, atol=2e-5)  # SLSQP's own accuracy is the limit here
    np.testing.assert_allclose(got.sum(), 1.0, atol=1e-14)
    assert loss[0] == pytest.approx(np.sum(row * np.log(row / (got[0] @ anchors))), abs=1e-14)


@pytest.mark.parametrize("seed", range(6))
def test_l2_solver_agrees_with_slsqp(seed):
    row, anchors = _solver_problem(seed, outside=0.6)   # far outside: the solution is on a face
    got, loss, gap, _ = _l2(row, anchors)
    want, fun = _slsqp(lambda c: np.sum((row - c @ anchors) ** 2), anchors.shape[0])
    assert loss[0] <= fun + 1e-14
    np.testing.assert_allclose(got[0], want, atol=2e-5)
    assert loss[0] == pytest.approx(np.sum((row - got[0] @ anchors) ** 2), rel=1e-9)
    assert (got >= 0).all() and got.sum() == pytest.approx(1.0, abs=1e-14)


@pytest.mark.parametrize("loss_name", ["kl", "l2"])
def test_plain_eg_mode_follows_the_twin_step_by_step(loss_name):
    # with the Newton steps off the kernel is the twin's algorithm: after a few iterations
    # (before either reaches its floating-point floor) both hold the same point
    for seed in range(3):
        row, anchors = _solver_problem(seed)
        if loss_name == "kl":
            got = _kl(row, anchors, max_iter=6, tol=0.0, newton=False)[0][0]
            want, _ = ref.kl_simplex(row, anchors, max_iter=6, tol=0.0)
        else:
            got = _l2(row, anchors, max_iter=6, tol=0.0, newton=False)[0][0]
            want, _ = ref.l2_simplex(row, anchors, max_iter=6, tol=0.0)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("loss_name", ["kl", "l2"])
def test_solvers_agree_with_plain_eg_twin(loss_name):
    # interior, well-conditioned problems: plain EG converges, so both reach the same minimiser
    # (the twin's line search compares two losses, so its gap stalls near 1e-8; the agreement
    # seen is ~2e-8)
    for seed in range(4):
        row, anchors = _solver_problem(seed, outside=0.05)
        if loss_name == "kl":
            got = _kl(row, anchors)[0][0]
            want, gap = ref.kl_simplex(row, anchors, max_iter=20000, tol=1e-11)
        else:
            got = _l2(row, anchors)[0][0]
            want, gap = ref.l2_simplex(row, anchors, max_iter=20000, tol=1e-11)
        assert gap <= 1e-7
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_kl_drops_entries_no_anchor_covers_and_matches_twin():
    row, anchors = _solver_problem(7)
    anchors[:, :3] = 0.0
    anchors /= anchors.sum(axis=1, keepdims=True)
    got = _kl(row, anchors)[0][0]
    want, _ = ref.kl_simplex(row, anchors, max_iter=20000, tol=1e-12)
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_unsolvable_rows_keep_their_start_and_parallel_equals_serial():
    rng = np.random.default_rng(0)
    anchors = rng.dirichlet(np.ones(12), size=4)
    anchors[:, 0] = 0.0
    anchors /= anchors.sum(axis=1, keepdims=True)
    rows = rng.dirichlet(np.full(12, 0.5), size=40)
    rows[3] = 0.0                        # empty row
    rows[4] = 0.0
    rows[4, 0] = 1.0                     # mass only where no anchor has any
    for solve in (_kl, _l2):
        serial = solve(rows, anchors)
        parallel = solve(rows, anchors, parallel=True)
        for a, b in zip(serial, parallel):
            np.testing.assert_array_equal(a, b)
        out, loss, gap, n_iter = serial
        assert n_iter[3] == 0 and (out[3] == -1.0).all()
        if solve is _kl:
            assert n_iter[4] == 0 and (out[4] == -1.0).all()
        assert (n_iter[5:] > 0).all()


def test_solver_stops_at_max_iter():
    row, anchors = _solver_problem(2)
    _, _, gap, n_iter = _kl(row, anchors, max_iter=3, tol=0.0)
    assert n_iter[0] == 3 and gap[0] > 0


# ------------------------------------------------------------ Newton helpers
def test_kl_hessian_matches_twin_on_a_support():
    rng = np.random.default_rng(0)
    anchors = rng.dirichlet(np.ones(37), size=6)        # 37 entries: not a multiple of 4
    vals = rng.dirichlet(np.ones(37))
    ca = rng.dirichlet(np.ones(6)) @ anchors
    support = np.array([0, 2, 3, 5], dtype=np.int64)
    hess = np.full((6, 6), np.nan)
    newton.kl_hessian(vals, ca, np.ascontiguousarray(anchors.T), support, 4, hess)
    want = ref.kl_hessian(vals, ca, anchors)
    block = np.ix_(support, support)
    np.testing.assert_allclose(hess[block], want[block], rtol=1e-13)
    assert np.isnan(hess[1]).all()                     # rows off the support are not touched


def test_newton_direction_matches_a_dense_kkt_solve():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 5))
    hess = x.T @ x
    grad = rng.normal(size=5)
    c = np.array([0.3, 1e-12, 0.25, 0.2, 0.25])
    support = np.array([0, 2, 3, 4], dtype=np.int64)    # coordinate 1 is off the face: it shrinks
    step = np.empty(5)
    status, mu = newton.newton_direction(hess, grad, c, support, 4, np.full(5, 1e-9), step,
                                         np.empty((2, 5)))
    np.testing.assert_allclose(step, ref.newton_face_step(hess, grad, c, support), atol=1e-13)
    assert step.sum() == pytest.approx(0.0, abs=1e-15)
    assert status == (1 if (c + step)[support].min() > 0 else 2)
    # stationarity on the face: grad + hess_FF @ step_F = mu on the support F
    face = grad[support] + hess[np.ix_(support, support)] @ step[support]
    np.testing.assert_allclose(face, mu, atol=1e-12)


def test_newton_direction_applies_each_coordinates_factor_off_the_face():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20, 6))
    hess = x.T @ x
    grad = rng.normal(size=6)
    c = np.array([0.3, 1e-3, 0.25, 0.2, 2e-4, 0.2498])
    keep = np.array([0.5, 1.0, 0.5, 0.5, 0.25, 0.5])   # coordinate 1 keeps its value, 4 quarters
    support = np.array([0, 2, 3, 5], dtype=np.int64)
    step = np.empty(6)
    newton.newton_direction(hess, grad, c, support, 4, keep, step, np.empty((2, 6)))
    np.testing.assert_allclose(step, ref.newton_face_step(hess, grad, c, support, keep), atol=1e-13)
    assert step[1] == 0.0 and step[4] == pytest.approx(-0.75 * c[4], rel=1e-15)


@pytest.mark.parametrize("kl", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_newton_support_matches_twin(kl, seed):
    rng = np.random.default_rng(seed)
    k = 40
    c = rng.dirichlet(np.full(k, 0.3))
    c[rng.choice(k, 8, replace=False)] *= 10.0 ** rng.uniform(-14, -2, size=8)  # every scale
    c /= c.sum()
    grad = -1.0 + rng.normal(scale=0.05, size=k)
    grad[rng.choice(k, 3, replace=False)] -= 0.2         # some that want in
    eta = float(rng.uniform(0.1, 30.0))
    support, keep = np.empty(k, dtype=np.int64), np.empty(k)
    m = newton.newton_support(c, grad, support, kl, keep, eta)
    want_support, want_keep = ref.newton_support(c, grad, kl, eta)
    np.testing.assert_array_equal(support[:m], want_support)
    off = np.setdiff1d(np.arange(k), want_support)
    np.testing.assert_allclose(keep[off], want_keep[off], rtol=1e-14)
    if not kl:  # the L2 face is every coordinate above 1e-9 of the largest, and those that want in
        assert set(np.flatnonzero(c > 1e-9 * c.max())) <= set(support[:m])


@pytest.mark.parametrize("eta", [0.5, 40.0, 1e6])
def test_eg_step_matches_log_space_twin_even_when_it_moves_all_the_mass(eta):
    from llstopic._kernels import simplex

    rng = np.random.default_rng(0)
    c = rng.dirichlet(np.ones(8))
    c[3] = 1e-150                # holds the smallest gradient but no mass: the step moves it all
    c /= c.sum()
    grad = -1.0 + rng.uniform(0.0, 1.0, size=8)
    grad[3] = grad.min() - 1e13 / eta if eta > 1 else grad.min() - 0.3
    gmin = grad.min()
    step = np.empty(8)
    pred = simplex._eg_step(c, grad, gmin, eta, step)
    want_step, want_pred = ref.eg_step(c, grad, gmin, eta)
    np.testing.assert_allclose(step, want_step, rtol=1e-12, atol=1e-300)
    assert pred == pytest.approx(want_pred, rel=1e-12) and pred < 0
    # the coordinate that takes all the mass is c_i exp(-log z), log z ~ -345: rounding ~1e-14
    assert abs(step.sum()) <= 1e-13


def test_kl_recovery_of_every_lee_word_reaches_tol():
    """Regression: on gensim's Lee corpus the L2 warm start left 8 (K=20) and 25 (K=50) words
    stopped with duality gaps up to 1e15 (the EG step cancelled), without a warning."""
    import warnings

    import llstopic
    from llstopic.factorizers.anchor import _recovery

    from llstopic.datasets import load_lee

    corpus = load_lee()
    seen = {}
    real = _recovery.recover

    def recover(*args, **kwargs):
        seen.setdefault("out", []).append(real(*args, **kwargs))
        return seen["out"][-1]

    for k in (20, 50):
        seen.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("error")   # no ConvergenceWarning either
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(_recovery, "recover", recover)
                model = llstopic.AnchorWords(k, random_state=0, polish=False).fit(corpus)
        for _, _, gap, n_iter, _, _ in seen["out"]:     # every round of replace_duplicates too
            assert gap.max() <= model.tol and n_iter.max() < model.max_iter


# ------------------------------------------------------------ warm starts, column groups
@pytest.mark.parametrize("seed", range(4))
def test_warm_start_reaches_the_cold_minimiser(seed):
    row, anchors = _solver_problem(seed, outside=0.3)
    k = anchors.shape[0]
    rng = np.random.default_rng(seed)
    start = rng.dirichlet(np.ones(k))
    start[rng.integers(k)] = 0.0         # zeros are floored, not stuck
    for solve in (_kl, _l2):
        cold, cold_loss, _, _ = solve(row, anchors)
        warm, warm_loss, gap, n_iter = solve(row, anchors, start=start)
        assert gap[0] <= 1e-13 * (1 if solve is _kl else row @ row) and n_iter[0] >= 1
        np.testing.assert_allclose(warm, cold, atol=1e-6)
        assert warm_loss[0] == pytest.approx(cold_loss[0], abs=1e-12)
        np.testing.assert_allclose(warm.sum(), 1.0, atol=1e-14)


def test_warm_start_at_the_minimiser_stops_at_once():
    row, anchors = _solver_problem(3)
    cold = _kl(row, anchors)[0]
    again, _, gap, n_iter = _kl(row, anchors, start=cold)
    assert n_iter[0] <= 2 and gap[0] <= 1e-13
    np.testing.assert_allclose(again, cold, atol=1e-9)


def test_group_columns_matches_twin():
    rng = np.random.default_rng(0)
    rows = rng.random((9, 31))
    labels = rng.integers(0, 5, size=31).astype(np.int64)
    labels[:5] = np.arange(5)
    out = np.zeros((9, 5))
    recovery.group_columns(rows, labels, out)
    np.testing.assert_allclose(out, ref.group_columns(rows, labels, 5), rtol=1e-15)


@pytest.mark.parametrize("k", [1, 4, 7, 9])
def test_four_way_mixture_loops_match_numpy(k):
    from llstopic._kernels import mixture

    rng = np.random.default_rng(k)
    rows = rng.random((k, 13))
    weights = rng.random(k)
    weights[:4] = 0.0                      # a group of four zero weights is skipped
    out = np.empty(13)
    mixture._mix(weights, rows, out)
    np.testing.assert_allclose(out, weights @ rows, rtol=1e-14, atol=0)
    vals, ca = rng.dirichlet(np.ones(13)), rng.random(13) + 0.1
    grad = np.empty(k)
    mixture._kl_gradient(vals, ca, np.ascontiguousarray(rows.T), grad)
    np.testing.assert_allclose(grad, -(rows @ (vals / ca)), rtol=1e-14)
