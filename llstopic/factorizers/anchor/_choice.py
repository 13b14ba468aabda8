"""Which words anchor the topics: the candidate threshold, the search, and the
re-choice of anchors whose topics come out duplicated.

``search`` runs the farthest-point kernel (``llstopic._kernels.anchor``) on the
candidates' rows; ``default_min_count`` is the data-derived candidate
threshold documented at ``AnchorWords.min_count``.

Duplicated topics.  On small corpora two anchors can land in one theme (on
Reuters at K=50, "camilla" and "parker": two Prince Charles topics sharing 6 of
their 10 most probable words), mostly after the polish has pulled both towards
its frequent words.  ``replace_duplicates`` rounds then re-choose: for every
pair of topics sharing at least ``SHARED`` of their ``TOP_N`` most probable
words (the definition of :func:`llstopic.metrics.duplicate_topics`), the anchor
of the topic with fewer tokens is dropped and replaced by the candidate
farthest from the affine span of the other anchors -- the search's own
criterion -- among the candidates that are not anchors, were never dropped, and
whose residual direction is not within ``SAME_DIRECTION`` (cosine) of the
dropped anchor's (its near neighbours would rebuild the same topic).  The
recovery then restarts from the previous p(y|x) (the new anchor takes the
dropped one's column), and the rest of the fit runs again.  A round that leaves
more pairs than the best so far does not replace it: the fit keeps the round
with the fewest pairs, the earliest on ties.

Measured (``benchmarks/RESULTS.md``, round 5; ``bench_realtext.py``, splits 0-2,
Reuters, Lee and NewsArticles at K=20 and 50): every one of the 1-4 pairs of the
10 fits that had any was gone after 1-3 rounds, held-out completion moving by
-0.014..+0.008 nats/token.  A round costs a recovery of the words it touches,
p_d(y) and the polish: 0.1-0.8 s on Reuters and Lee, 3.5-4 s on
NewsArticles at K=50.  In the prototype (full re-fits, 1,000 column groups) the
cosine bounds 0.3 and 0.7 left Lee K=50 with a pair after 3 rounds, 0.5 none.
"""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np

from ..._kernels import anchor as _anchor

__all__ = ["check_candidates", "default_min_count", "search", "duplicate_pairs", "replace_anchors",
           "deduplicate", "n_rounds", "TOP_N", "SHARED"]

_LOG = logging.getLogger(__name__)

#: Noise-to-signal bound of the default ``min_count``: a candidate's sampling
#: noise (RMS) is at most this fraction of the rows' RMS spread.  The farthest-
#: point search picks the most extreme of hundreds of candidates, so noise must
#: be far below the spread: at 0.5 the search picked rare words and found 0 of
#: 8 planted anchors on ``llstopic compare``'s LLS problem (error 3.9x the
#: oracle's); 0.07 found 5-7 of 8 (1.6-1.9x) over 3 seeds, and 0.05 excluded
#: true anchors on small problems.
NOISE_TO_SIGNAL = 0.07
#: The default ``min_count`` never leaves fewer than this many times
#: ``n_topics`` candidates (or all words that occur, if fewer).  On small
#: samples (12 domains of 2,000 tokens) 6 per topic kept more true anchors in
#: the pool than 2 (error 1.4-4.9x the oracle's against 4.7-5.8x).
MIN_CANDIDATES_PER_TOPIC = 6
#: Clean-up passes of the anchor search at most.
CLEANUP_PASSES = 3
#: Two topics are duplicates when they share ``SHARED`` of their ``TOP_N`` most probable words.
TOP_N, SHARED = 10, 5
#: ``replace_duplicates="auto"``: this many rounds, when the corpus has at most
#: ``AUTO_MAX_NONZEROS`` non-zeros and at least ``TOP_N`` words per topic.  A round costs
#: a recovery of the words it touches, p_d(y) and the polish again: 0.1-0.8 s on
#: Reuters and Lee, 3.5-4 s on NewsArticles (540,742 non-zeros), but 20 s on the NYTimes-
#: shaped planted corpus at 1/10 size (5.4 million), whose planted topics themselves
#: have 7 pairs sharing 5 of their 10 top words (frequent words are shared by construction),
#: so that rounds there cost 62 s and changed nothing (the first anchors were kept).
AUTO_ROUNDS = 3
AUTO_MAX_NONZEROS = 2_000_000
#: A replacement's residual direction must be at most this cosine from the dropped anchor's.
SAME_DIRECTION = 0.5
#: Rows per block of the replacement's residuals.
_BLOCK = 4096


def check_candidates(sample, min_count, n_topics, what):
    """ValueError when fewer than ``n_topics`` words have ``min_count`` (default 1) ``what``."""
    floor = 1 if min_count is None else min_count
    n_candidates = int(np.count_nonzero(sample >= floor))
    if n_candidates < n_topics:
        if min_count is None:
            raise ValueError(f"n_topics = {n_topics} is larger than the number of words that "
                             f"occur ({n_candidates} words have {what})")
        kth = int(np.sort(sample)[::-1][n_topics - 1])
        hint = (f"use min_count <= {kth} (the {n_topics}-th most frequent word has {kth} "
                f"{what})" if kth >= 1 else "fewer topics")
        raise ValueError(f"min_count = {min_count} leaves {n_candidates} candidate anchor "
                         f"words (words with at least {min_count} {what}), fewer than "
                         f"n_topics = {n_topics}; {hint}")


def default_min_count(space, sample, n_topics):
    """The data-derived candidate threshold (see ``min_count`` in AnchorWords' docstring)."""
    spread, token_variance = space.spread_and_noise()
    weight = space.word_weight
    seen = sample > 0
    noise = float(np.sum(weight[seen] * token_variance[seen] / sample[seen]))
    signal = spread - noise
    variance = float(weight @ token_variance)
    occurring = np.sort(sample[seen])[::-1]
    keep = min(occurring.shape[0], MIN_CANDIDATES_PER_TOPIC * n_topics)
    cap = int(occurring[keep - 1])
    if signal <= 0.0:
        return max(cap, 1)
    wanted = math.ceil(variance / (NOISE_TO_SIGNAL ** 2 * signal))
    return max(min(wanted, cap), 1)


def search(points, candidates, n_topics):
    """Word ids of ``n_topics`` anchors among ``candidates`` (rows ``points``)."""
    capacity = n_topics - 1 + CLEANUP_PASSES * n_topics
    positions = np.arange(points.shape[0], dtype=np.int64)
    found = np.empty(n_topics, dtype=np.int64)
    info = np.zeros(3, dtype=np.int64)
    n_points = positions.shape[0]
    _anchor.find_anchors(np.ascontiguousarray(points, dtype=np.float64), positions,
                         CLEANUP_PASSES, found, np.empty((capacity, points.shape[1])),
                         np.empty((n_points, capacity)), np.empty(n_points), info)
    if info[0] < n_topics:
        warnings.warn(f"the candidate rows span only {int(info[0])} affinely independent "
                      f"directions for n_topics = {n_topics}: some anchors are not "
                      "identifiable (try fewer topics or a smaller min_count)",
                      RuntimeWarning, stacklevel=5)
    return candidates[found]


def duplicate_pairs(topic_word):
    """``(i, j, shared)`` for the topic pairs sharing ``SHARED`` of their ``TOP_N`` top words."""
    from ...metrics import duplicate_topics

    return duplicate_topics(topic_word, top_n=min(TOP_N, topic_word.shape[1]),
                            shared=min(SHARED, topic_word.shape[1]))


def n_rounds(setting, n_topics, n_words, nnz):
    """Rounds of re-choice for ``replace_duplicates=setting`` (see ``AUTO_ROUNDS``)."""
    if setting != "auto":
        return int(setting)
    if n_topics < 2 or n_words < TOP_N * n_topics or nnz > AUTO_MAX_NONZEROS:
        return 0
    return AUTO_ROUNDS


def _residuals(points, origin, basis, rows):
    block = points[rows] - origin
    if basis.shape[1]:
        block -= (block @ basis) @ basis.T
    return block


def _replacement(points, positions, slot, banned):
    """Position (in ``points``) of the candidate replacing anchor ``slot``, or -1.

    The candidate farthest from the affine span of the other anchors, among
    those not ``banned`` and whose residual is not within ``SAME_DIRECTION``
    of the dropped anchor's."""
    others = np.delete(positions, slot)
    origin = points[others[0]]
    if others.shape[0] > 1:
        basis = np.linalg.qr((points[others[1:]] - origin).T)[0]
    else:
        basis = np.zeros((points.shape[1], 0))
    dropped = _residuals(points, origin, basis, positions[slot:slot + 1])[0]
    dropped_norm = float(np.linalg.norm(dropped))
    best, best_norm = -1, 0.0
    for first in range(0, points.shape[0], _BLOCK):
        rows = np.arange(first, min(first + _BLOCK, points.shape[0]))
        resid = _residuals(points, origin, basis, rows)
        norms = np.sqrt(np.einsum("ij,ij->i", resid, resid))
        with np.errstate(divide="ignore", invalid="ignore"):
            cosine = (resid @ dropped) / (norms * dropped_norm)
        ok = ~banned[rows] & ~(cosine > SAME_DIRECTION) & (norms > 0)
        if ok.any():
            i = int(np.argmax(np.where(ok, norms, -1.0)))
            if norms[i] > best_norm:
                best, best_norm = int(rows[i]), float(norms[i])
    return best


def replace_anchors(points, candidates, anchors, pairs, topic_mass, dropped):
    """New anchors after one round of re-choice, and the ``(old, new)`` word ids replaced.

    ``pairs`` are duplicate pairs of topics; for each, the anchor of the topic
    with less ``topic_mass`` is replaced (once per round), see the module
    docstring.  ``dropped`` (a set of word ids, updated in place) holds every
    anchor replaced so far, never chosen again.  Returns (anchors, []) when no
    candidate qualifies."""
    anchors = anchors.copy()
    positions = np.searchsorted(candidates, anchors)
    banned = np.zeros(candidates.shape[0], dtype=bool)
    banned[np.searchsorted(candidates, np.fromiter(dropped, np.int64, len(dropped)))] = True
    banned[positions] = True
    changed, replaced = set(), []
    for i, j, _ in pairs:
        if i in changed or j in changed:
            continue                    # this round replaced one of the two already
        slot = i if topic_mass[i] < topic_mass[j] else j
        new = _replacement(points, positions, slot, banned)
        if new < 0:
            continue
        replaced.append((int(anchors[slot]), int(candidates[new])))
        dropped.add(int(anchors[slot]))
        anchors[slot] = candidates[new]
        positions[slot] = new
        banned[new] = True
        changed.add(slot)
    return anchors, replaced


#: the fitted attributes one round of re-choice changes, restored from the best round
_ROUND_ATTRIBUTES = ("anchors_", "recovery_loss_", "n_iter_", "n_column_groups_", "polish_")


def deduplicate(model, state, fit, lengths, vocabulary, refit, max_rounds):
    """Rounds of re-choice (module docstring) after a first fit; returns (topic_word,
    domain_topic) and sets ``model.duplicates_`` (and the round's fitted attributes).

    ``state`` holds ``points``, ``candidates`` and ``topic_given_word`` of the
    search and the recovery (updated in place); ``fit`` is ``(topic_word,
    domain_topic)`` of the first fit; ``lengths`` the domains' token counts.
    At most ``max_rounds`` rounds.  ``refit(anchors, start)`` recovers with
    new anchors from p(y|x) ``start`` (see ``_recovery.recover``), runs the
    rest of the fit and returns ``(topic_word, domain_topic,
    topic_given_word)``."""
    topic_word, domain_topic = fit
    pairs = duplicate_pairs(topic_word)
    name = (lambda w: str(w)) if vocabulary is None else (lambda w: vocabulary[w])
    best = (len(pairs), 0, topic_word, domain_topic,
            {a: getattr(model, a) for a in _ROUND_ATTRIBUTES}, pairs)
    dropped, replaced, rounds = set(), [], 0
    while pairs and rounds < max_rounds:
        mass = lengths @ domain_topic
        anchors, swaps = replace_anchors(state["points"], state["candidates"], model.anchors_,
                                         pairs, mass, dropped)
        if not swaps:
            _LOG.info("AnchorWords: no candidate left to replace a duplicated topic's anchor")
            break
        rounds += 1
        _LOG.info("AnchorWords: duplicates round %d: %d pair(s) of topics share at least %d of "
                  "their %d top words; anchors replaced: %s", rounds, len(pairs), SHARED, TOP_N,
                  ", ".join(f"{name(a)} -> {name(b)}" for a, b in swaps))
        replaced.append([[a, b] for a, b in swaps])
        # words whose last p(y|x) (a new anchor in its predecessor's column) is still optimal
        # keep it; the others are solved again
        topic_word, domain_topic, state["topic_given_word"] = refit(anchors,
                                                                   state["topic_given_word"])
        pairs = duplicate_pairs(topic_word)
        if len(pairs) < best[0]:
            best = (len(pairs), rounds, topic_word, domain_topic,
                    {a: getattr(model, a) for a in _ROUND_ATTRIBUTES}, pairs)
    n_pairs, kept, topic_word, domain_topic, attributes, pairs = best
    for attribute, value in attributes.items():
        setattr(model, attribute, value)
    if rounds:
        _LOG.info("AnchorWords: kept round %d of %d: %d duplicated pair(s) left", kept, rounds,
                  n_pairs)
    model.duplicates_ = {"rounds": rounds, "kept_round": kept, "replaced": replaced,
                         "pairs": [[int(i), int(j), int(s)] for i, j, s in pairs]}
    return topic_word, domain_topic
