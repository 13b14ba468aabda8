"""Numba kernel for the anchor-word search of Arora et al. (ICML 2013).

The rows of the word representation (co-occurrence rows p(w2|w1), or the
p(d|x) rows of the domain representation) lie in the convex hull of the rows
of the k anchor words.  ``find_anchors`` returns k vertices of that hull:

1. greedy farthest point with affine Gram-Schmidt: the first anchor is the
   candidate farthest from the origin (a vertex, since the norm is convex) and
   becomes the origin of an affine frame; every next anchor is the candidate
   farthest from the affine span of those found so far;
2. the clean-up pass of the paper (its Algorithm 4, step 2): each anchor in
   turn is re-picked as the candidate farthest from the affine span of the
   other k - 1, and the pass repeats until it changes nothing or
   ``max_passes`` is reached.

Rather than overwriting the rows (as Arora et al.'s reference code does), the
kernel keeps an orthonormal basis of the directions met so far, every
candidate's coordinates in it and its squared residual.  The affine span of
the other anchors is a subspace of that frame, so each clean-up step works in
at most ``n_basis`` (< 2k + ...) dimensions instead of the full row length.
New basis vectors are orthogonalised twice ("twice is enough").

Conventions: plain arrays in, caller-allocated arrays out, IN/OUT marked;
``candidates`` holds validated row ids.
"""

import numba as nb
import numpy as np

_NJIT = dict(cache=True, nogil=True)


@nb.njit(**_NJIT)
def _orthogonalize(vec, basis, n_basis):
    """Remove from ``vec`` its components along rows ``0..n_basis-1`` of the
    orthonormal ``basis`` (classical Gram-Schmidt, twice, for stability);
    return the squared norm of what is left.

    vec : IN/OUT float64 (dim,); basis : IN float64 (>= n_basis, dim)
    """
    dim = vec.shape[0]
    for _ in range(2):
        for b in range(n_basis):
            proj = 0.0
            for t in range(dim):
                proj += vec[t] * basis[b, t]
            for t in range(dim):
                vec[t] -= proj * basis[b, t]
    norm2 = 0.0
    for t in range(dim):
        norm2 += vec[t] * vec[t]
    return norm2


@nb.njit(**_NJIT)
def _argmax_free(score, taken):
    """Index of the largest ``score`` among entries not ``taken`` (first on ties)."""
    best = -1
    best_val = -np.inf
    for i in range(score.shape[0]):
        if not taken[i] and score[i] > best_val:
            best_val = score[i]
            best = i
    return best


@nb.njit(**_NJIT)
def _add_direction(points, candidates, origin, pos, basis, n_basis, coords, resid2, tiny):
    """Extend the basis by the residual of candidate ``pos``; update every
    candidate's coordinate and residual.  Returns the new basis size."""
    dim = points.shape[1]
    x = candidates[pos]
    r = np.empty(dim)
    for t in range(dim):
        r[t] = points[x, t] - origin[t]
    norm2 = _orthogonalize(r, basis, n_basis)
    if norm2 <= tiny or n_basis >= basis.shape[0]:
        resid2[pos] = 0.0
        return n_basis
    inv = 1.0 / np.sqrt(norm2)
    for t in range(dim):
        basis[n_basis, t] = r[t] * inv
    for i in range(candidates.shape[0]):
        y = candidates[i]
        z = 0.0
        for t in range(dim):
            z += (points[y, t] - origin[t]) * basis[n_basis, t]
        coords[i, n_basis] = z
        resid2[i] = max(resid2[i] - z * z, 0.0)
    resid2[pos] = 0.0
    return n_basis + 1


@nb.njit(**_NJIT)
def _distance_to_others(coords, resid2, n_basis, anchor_pos, skip, out):
    """Squared distance of every candidate to the affine span of the anchors
    ``anchor_pos`` except entry ``skip``, written into ``out``."""
    n_anchors = anchor_pos.shape[0]
    ref = 1 if skip == 0 else 0
    ref_pos = anchor_pos[ref]
    local = np.zeros((n_anchors, n_basis))
    n_local = 0
    w = np.empty(n_basis)
    for a in range(n_anchors):
        if a == skip or a == ref:
            continue
        for t in range(n_basis):
            w[t] = coords[anchor_pos[a], t] - coords[ref_pos, t]
        norm2 = _orthogonalize(w, local, n_local)
        if norm2 > 1e-28:
            inv = 1.0 / np.sqrt(norm2)
            for t in range(n_basis):
                local[n_local, t] = w[t] * inv
            n_local += 1
    for i in range(coords.shape[0]):
        for t in range(n_basis):
            w[t] = coords[i, t] - coords[ref_pos, t]
        for b in range(n_local):
            proj = 0.0
            for t in range(n_basis):
                proj += w[t] * local[b, t]
            for t in range(n_basis):
                w[t] -= proj * local[b, t]
        d2 = resid2[i]
        for t in range(n_basis):
            d2 += w[t] * w[t]
        out[i] = d2


@nb.njit(**_NJIT)
def find_anchors(points, candidates, max_passes, anchors, basis, coords, resid2, info):
    """Greedy farthest-point anchor search with the clean-up passes.

    points : IN float64 (n_rows, n_dims), the word representation (or a random
        projection of it)
    candidates : IN int64 (n_candidates,), distinct row ids eligible as anchors
    max_passes : IN int >= 0, clean-up passes at most
    anchors : OUT int64 (n_anchors,), row ids of the anchors, in the greedy
        order updated by the clean-up (n_anchors <= n_candidates)
    basis : OUT scratch float64 (n_anchors - 1 + max_passes * n_anchors, n_dims)
    coords : OUT scratch float64 (n_candidates, basis rows)
    resid2 : OUT scratch float64 (n_candidates,)
    info : OUT int64 (3,): [affine rank found by the greedy pass (1 + the
        anchors whose residual from the span of the previous ones was not
        zero to rounding),
        anchors replaced by the clean-up, clean-up passes run]
    """
    n_cand = candidates.shape[0]
    n_anchors = anchors.shape[0]
    dim = points.shape[1]
    taken = np.zeros(n_cand, dtype=np.bool_)
    anchor_pos = np.empty(n_anchors, dtype=np.int64)
    # 1. the candidate farthest from the origin is the first anchor and the origin
    for i in range(n_cand):
        x = candidates[i]
        s = 0.0
        for t in range(dim):
            s += points[x, t] * points[x, t]
        resid2[i] = s
    first = _argmax_free(resid2, taken)
    anchor_pos[0] = first
    taken[first] = True
    origin = np.empty(dim)
    for t in range(dim):
        origin[t] = points[candidates[first], t]
    scale = 0.0
    for i in range(n_cand):
        x = candidates[i]
        s = 0.0
        for t in range(dim):
            d = points[x, t] - origin[t]
            s += d * d
        resid2[i] = s
        if s > scale:
            scale = s
    # explicit residual norms are exact to rounding (tiny); distances from the
    # coordinates suffer cancellation of order 1e-16 * scale (margin)
    tiny = 1e-24 * scale if scale > 0.0 else 1e-300
    margin = 1e-12 * scale
    n_basis = 0
    # 2. greedy: farthest from the affine span found so far
    for k in range(1, n_anchors):
        pos = _argmax_free(resid2, taken)
        anchor_pos[k] = pos
        taken[pos] = True
        n_basis = _add_direction(points, candidates, origin, pos, basis, n_basis, coords, resid2,
                                 tiny)
    rank = n_basis + 1
    # 3. clean-up: re-pick each anchor against the span of the others
    n_replaced = 0
    passes = 0
    dist = np.empty(n_cand)
    if n_anchors >= 2:
        while passes < max_passes:
            passes += 1
            changed = False
            for k in range(n_anchors):
                _distance_to_others(coords, resid2, n_basis, anchor_pos, k, dist)
                current = anchor_pos[k]
                taken[current] = False
                best = _argmax_free(dist, taken)
                if best != current and dist[best] > dist[current] * (1.0 + 1e-9) + margin:
                    anchor_pos[k] = best
                    n_basis = _add_direction(points, candidates, origin, best, basis, n_basis,
                                             coords, resid2, tiny)
                    n_replaced += 1
                    changed = True
                taken[anchor_pos[k]] = True
            if not changed:
                break
    for k in range(n_anchors):
        anchors[k] = candidates[anchor_pos[k]]
    info[0] = rank
    info[1] = n_replaced
    info[2] = passes
