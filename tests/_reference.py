"""Slow, obviously-correct twins of every numba kernel (stumpy's tests/naive.py).

Each function here is written for clarity, not speed: plain numpy, Python
loops where they make the meaning plain.  Tests compare the kernels in
``llstopic._kernels`` against these on small random inputs.
"""

import re

import numpy as np

# ---------------------------------------------------------------- counts


def dense_counts(words, domains, n_words, n_domains):
    """Token counts by ``np.add.at`` into a dense (n_domains, n_words) array."""
    counts = np.zeros((n_domains, n_words), dtype=np.int64)
    np.add.at(counts, (np.asarray(domains), np.asarray(words)), 1)
    return counts


def csr_counts(words, domains, n_words, n_domains):
    """(indptr, indices, data) of the canonical CSR token counts, by a dict per domain."""
    rows = [dict() for _ in range(n_domains)]
    for w, d in zip(np.asarray(words).tolist(), np.asarray(domains).tolist()):
        rows[d][w] = rows[d].get(w, 0) + 1
    indptr, indices, data = [0], [], []
    for row in rows:
        for w in sorted(row):
            indices.append(w)
            data.append(row[w])
        indptr.append(len(indices))
    return (np.array(indptr, dtype=np.int64), np.array(indices, dtype=np.int64),
            np.array(data, dtype=np.int64))


def domain_offsets(domains, n_domains):
    """(offsets, grouped): cumulated tokens per domain, and whether ids never decrease."""
    domains = np.asarray(domains)
    offsets = np.concatenate(([0], np.cumsum(np.bincount(domains, minlength=n_domains))))
    grouped = all(a <= b for a, b in zip(domains[:-1].tolist(), domains[1:].tolist()))
    return offsets, grouped


def scatter_by_domain(words, domains):
    """Words grouped by domain, keeping token order inside a domain (stable sort)."""
    return np.asarray(words)[np.argsort(np.asarray(domains), kind="stable")]


def move_left(values, src, dst, n):
    """values[dst:dst + n] = values[src:src + n] through a copy (overlap-safe)."""
    values[dst:dst + n] = values[src:src + n].copy()
    return values


_ID = re.compile(r"[0-9]+")
_VALUE = re.compile(r"(?P<whole>[0-9]*)(?:\.(?P<fraction>[0-9]*))?(?:[eE](?P<exp>[+-]?[0-9]+))?")
_INT64_MAX = 2**63 - 1


def _value(body):
    """(value, None) or (None, kind) for the value field, with Python ints."""
    match = _VALUE.fullmatch(body)
    if match is None or not (match["whole"] or match["fraction"]):
        return None, "syntax"
    fraction = (match["fraction"] or "").rstrip("0")
    mantissa = int((match["whole"] or "0") + fraction)
    if mantissa > _INT64_MAX:
        return None, "syntax"  # TOO_LARGE
    if mantissa == 0:
        return 0, None
    shift = int(match["exp"] or 0) - len(fraction)
    if shift < 0:
        if shift < -19 or mantissa % 10**-shift:
            return None, "fraction"
        return mantissa // 10**-shift, None
    if shift > 19 or mantissa * 10**shift > _INT64_MAX:
        return None, "syntax"  # TOO_LARGE
    return mantissa * 10**shift, None


def parse_triplets(text, n_fields, comment, n_rows, n_cols):
    """Parse ``row col [value]`` lines with Python's str methods and regular expressions.

    Returns ``(rows, cols, values, error)`` with 0-based ids; ``error`` is None
    or ``(line_index, kind)`` for the first bad line, kind one of "syntax",
    "fields", "negative", "fraction", "range".  Numbers are at most 2**63 - 1
    (leading zeros allowed); values may be written as integral reals ("3.0", "1e2").
    """
    rows, cols, values = [], [], []
    for line_index, line in enumerate(text.split("\n")):
        parts = line.split()
        if not parts or (comment is not None and parts[0].startswith(comment)):
            continue
        numbers = []
        for j, part in enumerate(parts):  # left to right: the first bad field decides
            if j == n_fields:
                return rows, cols, values, (line_index, "fields")
            body = part[1:] if part.startswith("+") else part
            if body.startswith("-"):
                return rows, cols, values, (line_index, "negative")
            if j == 2:
                number, kind = _value(body)
                if kind is not None:
                    return rows, cols, values, (line_index, kind)
            else:
                if not (body.isascii() and _ID.fullmatch(body)) or int(body) > _INT64_MAX:
                    return rows, cols, values, (line_index, "syntax")
                number = int(body)
            numbers.append(number)
        if len(numbers) < n_fields:
            return rows, cols, values, (line_index, "fields")
        if not (1 <= numbers[0] <= n_rows and 1 <= numbers[1] <= n_cols):
            return rows, cols, values, (line_index, "range")
        rows.append(numbers[0] - 1)
        cols.append(numbers[1] - 1)
        values.append(numbers[2] if n_fields == 3 else 1)
    return rows, cols, values, None


def format_triplets(rows, cols, values):
    """``"row+1 col+1 value\\n"`` lines by string formatting."""
    return "".join(f"{r + 1} {c + 1} {v}\n" for r, c, v in zip(rows, cols, values)).encode()


# ---------------------------------------------------------------- inference


def infer_proportions(counts, topic_word, max_iter, tol):
    """Maximum-likelihood p_d(y) with the topics fixed: EM on the mixture weights
    of each row of a dense count matrix, one row at a time, stopped when the
    duality gap ``max_y g_y - 1`` is at most ``tol`` (slow, sublinear, obvious)."""
    counts = np.asarray(counts, dtype=np.float64)
    n_topics = topic_word.shape[0]
    out = np.full((counts.shape[0], n_topics), 1.0 / n_topics)
    for d in range(counts.shape[0]):
        n = counts[d]
        if n.sum() == 0:
            continue
        theta = out[d]
        for _ in range(max_iter):
            px = theta @ topic_word
            used = (n > 0) & (px > 0)
            if not used.any():
                theta = np.full(n_topics, 1.0 / n_topics)
                break
            grad = topic_word[:, used] @ (n[used] / px[used]) / n[used].sum()
            theta = theta * grad
            theta = theta / theta.sum()
            if grad.max() - 1.0 <= tol:
                break
        out[d] = theta
    return out


# ---------------------------------------------------------------- anchor words


def cooccurrence(counts):
    """Arora et al.'s co-occurrence matrix Q from a dense (n_domains, n_words)
    count matrix: the mean over documents with n >= 2 tokens of
    (h h^T - diag h) / (n (n - 1)).  Returns (Q, number of documents used)."""
    counts = np.asarray(counts, dtype=np.float64)
    n_words = counts.shape[1]
    Q = np.zeros((n_words, n_words))
    used = 0
    for h in counts:
        n = h.sum()
        if n < 2:
            continue
        Q += (np.outer(h, h) - np.diag(h)) / (n * (n - 1))
        used += 1
    return Q / max(used, 1), used


def _affine_distance2(points, anchors):
    """Squared distance of every row of ``points`` to the affine span of the
    rows ``anchors`` (least squares on the translated anchors)."""
    base = points[anchors[0]]
    diffs = points - base
    if len(anchors) == 1:
        return (diffs ** 2).sum(axis=1)
    span = (points[anchors[1:]] - base).T
    coef, *_ = np.linalg.lstsq(span, diffs.T, rcond=None)
    return ((diffs.T - span @ coef) ** 2).sum(axis=0)


def find_anchors(points, candidates, n_anchors, max_passes):
    """Greedy farthest point from the affine span, then clean-up passes that
    re-pick each anchor against the affine span of the others; distances by
    least squares from scratch every time.  Returns a list of row ids."""
    points = np.asarray(points, dtype=np.float64)
    candidates = list(candidates)
    sub = points[candidates]
    norms = (sub ** 2).sum(axis=1)
    chosen = [int(np.argmax(norms))]
    for _ in range(1, n_anchors):
        d2 = _affine_distance2(sub, chosen)
        d2[chosen] = -np.inf
        chosen.append(int(np.argmax(d2)))
    margin = 1e-12 * ((sub - sub[chosen[0]]) ** 2).sum(axis=1).max()
    for _ in range(max_passes):
        changed = False
        for k in range(n_anchors):
            others = chosen[:k] + chosen[k + 1:]
            d2 = _affine_distance2(sub, others) if others else (sub ** 2).sum(axis=1) * 0
            d2[others] = -np.inf
            best = int(np.argmax(d2))
            if best != chosen[k] and d2[best] > d2[chosen[k]] * (1 + 1e-9) + margin:
                chosen[k] = best
                changed = True
        if not changed:
            break
    return [candidates[i] for i in chosen]


def _eg_minimise(f, grad, n, max_iter, tol):
    """Exponentiated gradient on the simplex from the uniform point, with a
    backtracking Armijo line search and the duality-gap stop; plain numpy."""
    c = np.full(n, 1.0 / n)
    eta = None
    for it in range(max_iter + 1):
        g = grad(c)
        gap = c @ (g - g.min())
        if gap <= tol or it == max_iter:
            break
        if eta is None:
            eta = 1.0 / max(g.max() - g.min(), 1e-300)
        first = True
        while eta > 1e-30:
            new = c * np.exp(-eta * (g - g.min()))
            new /= new.sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                ok = f(new) - f(c) <= 1e-4 * (g @ (new - c))
            if ok:
                break
            eta /= 2
            first = False
        else:
            break
        c = new
        if first:
            eta *= 2
    return c, gap


def kl_simplex(row, anchor_rows, max_iter, tol):
    """argmin over the simplex of KL(row || c @ anchor_rows); entries of ``row``
    no anchor covers are dropped and the rest renormalised.  Returns (c, gap)."""
    row = np.asarray(row, dtype=np.float64)
    keep = (row > 0) & (anchor_rows.sum(axis=0) > 0)
    v = row[keep] / row[keep].sum()
    A = anchor_rows[:, keep]

    def f(c):
        return np.sum(v * np.log(v / (c @ A)))

    def grad(c):
        return -(A @ (v / (c @ A)))

    return _eg_minimise(f, grad, A.shape[0], max_iter, tol)


def l2_simplex(row, anchor_rows, max_iter, tol):
    """argmin over the simplex of ||row - c @ anchor_rows||^2 (gap threshold
    relative to row . row).  Returns (c, gap)."""
    row = np.asarray(row, dtype=np.float64)

    def f(c):
        return np.sum((row - c @ anchor_rows) ** 2)

    def grad(c):
        return -2.0 * anchor_rows @ (row - c @ anchor_rows)

    return _eg_minimise(f, grad, anchor_rows.shape[0], max_iter, tol * (row @ row))


def kl_hessian(vals, ca, anchor_sub):
    """Hessian of sum_j vals_j log(vals_j / (c @ A)_j) in c: sum_j vals_j a_j a_j^T / ca_j^2."""
    weighted = anchor_sub * (vals / ca**2)
    return weighted @ anchor_sub.T


def newton_face_step(hess, grad, c, support, keep=1e-9):
    """The Newton step on the face ``support`` by one dense KKT solve: coordinate i off the face
    is multiplied by ``keep[i]`` (a scalar: the same for all); on it, minimise
    grad.d + d^T hess d / 2 subject to sum(d) = 0."""
    support = np.asarray(support)
    step = -c * (1.0 - np.broadcast_to(keep, c.shape))
    step[support] = 0.0
    m = support.shape[0]
    kkt = np.zeros((m + 1, m + 1))
    kkt[:m, :m] = hess[np.ix_(support, support)]
    kkt[:m, m] = kkt[m, :m] = 1.0
    solution = np.linalg.solve(kkt, np.concatenate([-grad[support], [-step.sum()]]))
    step[support] = solution[:m]
    return step


def newton_support(c, grad, kl, eta, face=1e-9, kl_face=1e-3, reduced_cost=1e-2, rate=16.0,
                   drop=1e9):
    """The Newton face, set by set: (sorted face coordinates, factor of every coordinate off it).

    Above ``face * max(c)``: "alive"; wants in: gradient below every alive coordinate's.  L2: the
    face is alive | wants in.  KL: above ``kl_face * max(c)`` | wants in | alive with reduced cost
    below ``reduced_cost``.  Off the face, alive coordinates are multiplied by
    ``max(exp(-rate eta (g - min g)), 1/drop)``, the others by ``1/drop``."""
    alive = c > face * c.max()
    wants_in = grad < (grad[alive].min() if alive.any() else np.inf)
    reduced = grad - grad.min()
    if kl:
        on_face = (c > kl_face * c.max()) | wants_in | (alive & (reduced < reduced_cost))
    else:
        on_face = alive | wants_in
    keep = np.where(alive, np.maximum(np.exp(-rate * eta * reduced), 1.0 / drop), 1.0 / drop)
    return np.flatnonzero(on_face), keep


def eg_step(c, grad, gmin, eta):
    """One exponentiated-gradient step in log space: new c proportional to
    c exp(-eta (grad - gmin)); returns new c - c and the predicted decrease."""
    with np.errstate(divide="ignore"):
        log_new = np.log(c) - eta * (grad - gmin)
    log_new -= np.logaddexp.reduce(log_new[c > 0])
    step = np.exp(log_new) - c
    return step, (grad - gmin) @ step


def group_columns(rows, labels, n_groups):
    """Rows summed within column groups: ``rows @ S`` with the 0/1 matrix S[j, labels[j]] = 1."""
    groups = np.zeros((rows.shape[1], n_groups))
    groups[np.arange(rows.shape[1]), labels] = 1.0
    return np.asarray(rows, dtype=np.float64) @ groups



# ---------------------------------------------------------------- posterior / metrics


def lls_posterior_loop(topic_word, domain_topic, words, domains):
    """Bayes' rule one observation at a time: p_d(y|x) = p_d(y) p(x|y) / sum_y' (...)."""
    topic_word = np.asarray(topic_word, dtype=float)
    domain_topic = np.asarray(domain_topic, dtype=float)
    n_topics = topic_word.shape[0]
    out = np.empty((len(words), n_topics))
    for i, (x, d) in enumerate(zip(words, domains)):
        joint = [domain_topic[d, y] * topic_word[y, x] for y in range(n_topics)]
        evidence = sum(joint)
        out[i] = [1.0 / n_topics] * n_topics if evidence == 0 else [j / evidence for j in joint]
    return out


def match_topics_brute(true_topic_word, est_topic_word):
    """Try every permutation; return the one minimising sum_i ||true[i] - est[perm[i]]||_1."""
    import itertools

    true = np.asarray(true_topic_word, dtype=float)
    est = np.asarray(est_topic_word, dtype=float)
    best, best_cost = None, np.inf
    for perm in itertools.permutations(range(true.shape[0])):
        cost = sum(np.abs(true[i] - est[p]).sum() for i, p in enumerate(perm))
        if cost < best_cost - 1e-12:
            best, best_cost = np.array(perm), cost
    return best, best_cost


def matched_accuracy_brute(y_true, y_pred):
    """Try every one-to-one map from predicted to true labels; return the best accuracy."""
    import itertools

    y_true, y_pred = list(y_true), list(y_pred)
    true_labels, pred_labels = sorted(set(y_true)), sorted(set(y_pred))
    best = 0
    # Pad the true side with "no match" so maps may leave predicted labels unmatched.
    padded = true_labels + [None] * len(pred_labels)
    for image in itertools.permutations(padded, len(pred_labels)):
        mapping = dict(zip(pred_labels, image))
        hits = sum(mapping[p] == t for t, p in zip(y_true, y_pred))
        best = max(best, hits)
    return best / len(y_true)


def largest_domain_size_brute(labels, domain_topic):
    """Largest m for which cumulative rounding of m * p_d leaves enough of every label."""
    labels = np.asarray(labels)
    domain_topic = np.asarray(domain_topic, dtype=float)
    n_domains, n_topics = domain_topic.shape
    available = [int((labels == y).sum()) for y in range(n_topics)]
    for m in range(len(labels) // n_domains, 0, -1):
        need = [0] * n_topics
        for d in range(n_domains):
            previous, cumulative = 0, 0.0
            for y in range(n_topics):
                cumulative = 1.0 if y == n_topics - 1 else min(cumulative + domain_topic[d, y], 1.0)
                rounded = int(np.floor(m * cumulative + 0.5))
                need[y] += rounded - previous
                previous = rounded
        if all(n <= a for n, a in zip(need, available)):
            return m
    return 0


# ---------------------------------------------------------------- EM over the non-zeros


def loglik_rows(counts, domain_topic, topic_word, smoothing):
    """Per-row log-likelihood of a dense count matrix under the smoothed mixture
    (1 - s) * domain_topic @ topic_word + s / n_words, one cell at a time."""
    counts = np.asarray(counts, dtype=np.float64)
    n_domains, n_words = counts.shape
    out = np.zeros(n_domains)
    for d in range(n_domains):
        for w in range(n_words):
            if counts[d, w] > 0:
                p = (1 - smoothing) * float(domain_topic[d] @ topic_word[:, w]) + smoothing / n_words
                out[d] += counts[d, w] * (np.log(p) if p > 0 else -np.inf)
    return out


def em_step(counts, domain_topic, topic_word, smoothing, prior, update_topics):
    """One EM step on a dense count matrix, written out with explicit responsibilities.

    Returns ``(new_domain_topic, word_topic_counts, row_loglik)``: the M-step's
    p_d(y) with pseudo-count ``prior``, the expected counts n_wk of shape
    (n_words, n_topics) (zeros when not ``update_topics``), and the input's
    per-row log-likelihood.
    """
    counts = np.asarray(counts, dtype=np.float64)
    n_domains, n_words = counts.shape
    n_topics = topic_word.shape[0]
    doc_counts = np.zeros((n_domains, n_topics))
    word_counts = np.zeros((n_words, n_topics))
    for d in range(n_domains):
        for w in range(n_words):
            c = counts[d, w]
            if c == 0:
                continue
            joint = (1 - smoothing) * domain_topic[d] * topic_word[:, w]
            p = joint.sum() + smoothing / n_words
            if joint.sum() <= 0:
                continue
            r = joint / p  # topic responsibilities; the background keeps 1 - r.sum()
            doc_counts[d] += c * r
            if update_topics:
                word_counts[w] += c * r
    new = domain_topic.copy()
    for d in range(n_domains):
        total = doc_counts[d].sum() + n_topics * prior
        if total > 0:
            new[d] = (doc_counts[d] + prior) / total
    return new, word_counts, loglik_rows(counts, domain_topic, topic_word, smoothing)


def normalize_word_counts(word_counts, prior, word_topic):
    """Topics' M-step: (n_wk + prior) / sum_w (n_wk + prior), a column at a time;
    a column with zero total keeps ``word_topic``'s."""
    out = np.array(word_topic, dtype=np.float64, copy=True)
    for k in range(word_counts.shape[1]):
        column = word_counts[:, k] + prior
        if column.sum() > 0:
            out[:, k] = column / column.sum()
    return out


def squarem_norms(x, fx, ffx):
    """(|r|^2, |v|^2) of r = log fx - log x, v = log ffx - 2 log fx + log x over
    the entries where all three are positive."""
    used = (x > 0) & (fx > 0) & (ffx > 0)
    l0, l1, l2 = np.log(x[used]), np.log(fx[used]), np.log(ffx[used])
    r = l1 - l0
    v = l2 - 2 * l1 + l0
    return float(r @ r), float(v @ v)


def squarem_extrapolate(x, fx, ffx, alpha):
    """exp(log x - 2 alpha r + alpha^2 v) (log ffx where x or fx is 0; 0 where
    ffx is 0), each row normalised."""
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if ffx[i, j] <= 0:
                continue
            if x[i, j] > 0 and fx[i, j] > 0:
                l0, l1, l2 = np.log(x[i, j]), np.log(fx[i, j]), np.log(ffx[i, j])
                out[i, j] = np.exp(l0 - 2 * alpha * (l1 - l0) + alpha ** 2 * (l2 - 2 * l1 + l0))
            else:
                out[i, j] = ffx[i, j]
        out[i] = out[i] / out[i].sum() if out[i].sum() > 0 else ffx[i]
    return out


def em_polish(counts, topic_word, domain_topic, n_steps, *, prior=0.0, smoothing=0.0,
              fixed_topics=False):
    """``n_steps`` plain EM steps with the twins above; returns (topic_word, domain_topic)."""
    topic_word = np.array(topic_word, dtype=np.float64)
    domain_topic = np.array(domain_topic, dtype=np.float64)
    for _ in range(n_steps):
        new_dt, word_counts, _ = em_step(counts, domain_topic, topic_word, smoothing, prior,
                                         not fixed_topics)
        if not fixed_topics:
            topic_word = normalize_word_counts(word_counts, prior, topic_word.T).T
        domain_topic = new_dt
    return topic_word, domain_topic
