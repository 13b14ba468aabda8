"""The two word representations of :class:`~llstopic.factorizers.anchor.AnchorWords`.

A *space* turns the counts (n_domains, n_words) into one row per word whose
population value is a convex combination of the anchor words' rows, with the
mixing weights p(y|x) (up to the word weights used for the Bayes inversion):

* :class:`DomainSpace` -- row x is p(d|x), the column-normalised counts, of
  length n_domains.  Kept sparse (n_words x n_domains CSR): the KL recovery
  only touches the non-zeros of a row, the L2 recovery only needs ``A r``.
  Word weights p(x): the corpus word frequencies ``n_x / N``.
* :class:`CooccurrenceSpace` -- row x is p(w2|w1 = x), the row-normalised
  co-occurrence matrix of Arora et al. (2013), of length n_words.  Dense when
  n_words^2 float64 fit the memory budget (built once, in parallel over words,
  from the counts' CSR and CSC arrays: sum over documents of nnz_d^2 work);
  otherwise rows are rebuilt in blocks from the counts and the anchor search
  runs on a random projection computed from the documents (O(nnz * dim)).
  Word weights: the row sums of Q, ``q_x = mean_d h_dx / n_d`` over the
  documents with at least two tokens -- the weighting under which the rows of
  Q are exact mixtures of the anchor rows (documents count equally in Q).

The anchor search runs on the candidates' rows when they take at most
``MEMORY_BUDGET // 8`` bytes, else on a Gaussian random projection of them
(a BLAS product with the dense rows, or the documents' projection).

Every space provides ``sample_size`` (tokens per word that its rows are
estimated from), ``word_weight``, ``column_weight`` (the mean row, weighted by
``word_weight``), ``n_dims``, ``spread_and_noise`` (for the default
``min_count``), ``search_points``, ``anchor_rows`` and ``row_blocks``.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg

from ..._kernels import cooccurrence as _cooc

#: Bytes a dense word representation (or the co-occurrence matrix) may take:
#: 2 GiB holds the co-occurrence matrix of 16,384 words.  Above it,
#: co-occurrence rows are rebuilt in blocks of at most a quarter of it.  The
#: anchor search uses the candidates' rows if they take at most an eighth of
#: it, else their random projection.
MEMORY_BUDGET = 2**31

#: Projection dimension of the anchor search above the memory budget:
#: ``min(n_dims, max(PROJECTION_DIM, 20 * n_topics))`` Gaussian directions
#: (Arora et al. use 1,000).
PROJECTION_DIM = 1000

#: Rectification (Lee, Bindel & Mimno 2015): at most this many cycles of the
#: three projections, stopping earlier when Q changes by less than
#: ``RECTIFY_TOL`` (relative Frobenius norm) in a cycle.
RECTIFY_MAX_ITER = 150
RECTIFY_TOL = 1e-7


def projection_dim(n_dims, n_topics):
    return int(min(n_dims, max(PROJECTION_DIM, 20 * n_topics)))


def _as_int64_csr(matrix):
    matrix = sp.csr_matrix(matrix)
    return (matrix.indptr.astype(np.int64, copy=False), matrix.indices.astype(np.int64, copy=False),
            matrix.data.astype(np.float64, copy=False))


def _count_arrays(matrix):
    """CSR arrays of a count matrix for the co-occurrence kernels: int64
    pointers, int32 ids, int64 counts -- the corpus' own arrays, not copies."""
    matrix = sp.csr_matrix(matrix)
    if not matrix.has_sorted_indices:
        matrix.sort_indices()
    return (matrix.indptr.astype(np.int64, copy=False), matrix.indices.astype(np.int32, copy=False),
            matrix.data.astype(np.int64, copy=False))


def _positions(csr, shape):
    """CSC arrays of a count matrix whose values are each entry's CSR position:
    (int64 pointers, int32 document ids, int64 positions)."""
    indptr, indices, _ = csr
    where = sp.csr_matrix((np.arange(indices.shape[0], dtype=np.int64), indices, indptr),
                          shape=shape).T.tocsr()
    return (where.indptr.astype(np.int64, copy=False), where.indices.astype(np.int32, copy=False),
            where.data)


def _gaussian(rng, n_dims, n_topics):
    dim = projection_dim(n_dims, n_topics)
    return rng.standard_normal((n_dims, dim)) / np.sqrt(dim)


def _fits_search(n_candidates, n_dims):
    return n_candidates * n_dims * 8 <= MEMORY_BUDGET // 8


class DomainSpace:
    """Rows p(d|x) of shape (n_words, n_domains); see the module docstring."""

    name = "domain"

    def __init__(self, counts):
        rows = sp.csr_matrix(counts.T, dtype=np.float64)
        self.sample_size = np.asarray(rows.sum(axis=1)).ravel()
        self.word_weight = self.sample_size / self.sample_size.sum()
        with np.errstate(divide="ignore"):
            inv = np.where(self.sample_size > 0, 1.0 / self.sample_size, 0.0)
        self.rows = sp.csr_matrix(sp.diags(inv) @ rows)
        self.rows.sort_indices()
        self.n_dims = rows.shape[1]
        # mean row p(d) = sum_x p(x) p(d|x): the domains' shares of the tokens
        self.column_weight = np.asarray(rows.sum(axis=0), dtype=np.float64).ravel()
        self.column_weight /= self.column_weight.sum()
        self.projection_dim = None

    def spread_and_noise(self):
        """(weighted squared spread of the rows around their mean, per-token
        noise variance of each row); see :func:`_spread_and_noise`."""
        norms2 = np.asarray(self.rows.multiply(self.rows).sum(axis=1)).ravel()
        mean = np.asarray(self.rows.T @ self.word_weight).ravel()
        # the domain profiles are the unit vectors e_d: E ||e_d||^2 = 1
        return _spread_and_noise(self.word_weight, norms2, mean, np.ones_like(norms2))

    def search_points(self, candidates, n_topics, rng, budget):
        """Dense candidate rows (or their random projection); rows of the result
        are in the order of ``candidates``."""
        sub = self.rows[candidates]
        if _fits_search(candidates.shape[0], self.n_dims):
            return sub.toarray()
        projection = _gaussian(rng, self.n_dims, n_topics)
        self.projection_dim = projection.shape[1]
        return np.ascontiguousarray(sub @ projection)

    def anchor_rows(self, anchors):
        return np.ascontiguousarray(self.rows[anchors].toarray())

    def row_blocks(self, budget):
        """Yield (first word, CSR rows): here the whole sparse matrix at once."""
        yield 0, self.rows


class CooccurrenceSpace:
    """Rows p(w2|w1) of the co-occurrence matrix; see the module docstring."""

    name = "cooccurrence"

    def __init__(self, counts, *, rectify, n_topics, rng, budget):
        counts = sp.csr_matrix(counts)
        n_words = counts.shape[1]
        lengths = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
        used = lengths >= 2
        n_used = int(used.sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            self.doc_weight = np.where(used, 1.0 / (lengths * (lengths - 1.0) * n_used), 0.0)
            per_token = np.where(used, 1.0 / (lengths * n_used), 0.0)
        self.csr = _count_arrays(counts)
        dense = n_words * n_words * 8 <= budget
        # tokens of each word in documents of at least two tokens (no copy of the counts)
        self.sample_size = np.asarray(counts.T @ used.astype(np.float64)).ravel()
        self.word_weight = np.asarray(counts.T @ per_token).ravel()  # row sums of Q
        # row x of Q / q_x is a weighted mean of the document profiles h_d / n_d
        # (weights h_dx / n_d); the weighted mean of their squared norms:
        sq = np.asarray(counts.multiply(counts).sum(axis=1), dtype=np.float64).ravel()
        with np.errstate(divide="ignore", invalid="ignore"):
            profile = np.where(used, sq / lengths**2, 0.0)
            weighted = np.asarray(counts.T @ (per_token * profile)).ravel()
            self.profile_norms2 = np.where(self.word_weight > 0, weighted / self.word_weight, 0.0)
        self.n_words = self.n_dims = n_words
        self.n_topics = n_topics
        self.rng = rng
        self.projection_dim = None
        self.dense = None
        self._projected = None
        if dense:
            # CSC pointers, document ids and each entry's CSR position (no bisection in the kernel)
            positions = _positions(self.csr, counts.shape)
            Q = np.zeros((n_words, n_words))
            _cooc.cooccurrence_matrix(*positions, *self.csr, self.doc_weight, Q)
            del positions
            if rectify:
                Q = rectify_cooccurrence(Q, n_topics, rng)
                self.word_weight = Q.sum(axis=1)
            self._normalise(Q, 0)
            self.dense = Q
        else:
            self.csc = _count_arrays(counts.T)  # CSR of the transpose = CSC of the counts
        self.column_weight = self.word_weight  # Q is symmetric: its column sums are its row sums

    def _rows_into(self, words, out):
        _cooc.cooccurrence_rows(*self.csc, *self.csr, self.doc_weight, words, out)

    def _normalise(self, block, first):
        weight = self.word_weight[first:first + block.shape[0]]
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = np.where(weight > 0, 1.0 / weight, 0.0)
        block *= inv[:, None]
        np.maximum(block, 0.0, out=block)  # only rectified Q can have (tiny) negatives

    def _project(self):
        """Rows of Q-bar times a Gaussian projection, from the documents."""
        if self._projected is None:
            projection = _gaussian(self.rng, self.n_words, self.n_topics)
            dim = self.projection_dim = projection.shape[1]
            n_chunk = max(1, min(self.csr[0].shape[0] - 1, MEMORY_BUDGET // 8 // (8 * dim)))
            out = np.zeros((self.n_words, dim))
            _cooc.cooccurrence_project(*self.csc, *self.csr, self.doc_weight, projection,
                                       np.empty((n_chunk, dim)), out)
            self._normalise(out, 0)
            self._projected = out
        return self._projected

    def spread_and_noise(self):
        w = self.word_weight
        rows = self.dense if self.dense is not None else self._project()
        norms2 = np.einsum("ij,ij->i", rows, rows)
        mean = w @ rows
        return _spread_and_noise(w, norms2, mean, self.profile_norms2)

    def search_points(self, candidates, n_topics, rng, budget):
        if self.dense is None:
            return np.ascontiguousarray(self._project()[candidates])
        if _fits_search(candidates.shape[0], self.n_words):
            return np.ascontiguousarray(self.dense[candidates])
        # the candidates' rows times a Gaussian projection: BLAS, in blocks of rows
        projection = _gaussian(rng, self.n_words, n_topics)
        self.projection_dim = projection.shape[1]
        points = np.empty((candidates.shape[0], projection.shape[1]))
        step = max(1, MEMORY_BUDGET // 16 // (8 * self.n_words))
        for first in range(0, candidates.shape[0], step):
            part = candidates[first:first + step]
            np.matmul(self.dense[part], projection, out=points[first:first + part.shape[0]])
        return points

    def anchor_rows(self, anchors):
        if self.dense is not None:
            return np.ascontiguousarray(self.dense[anchors])
        out = np.zeros((anchors.shape[0], self.n_words))
        self._rows_into(np.asarray(anchors, dtype=np.int64), out)
        weight = self.word_weight[anchors]
        return out / weight[:, None]

    def row_blocks(self, budget):
        """Yield (first word, dense rows) covering all words, in blocks of at
        most a quarter of the budget (views of the dense matrix, when stored)."""
        size = max(1, int(budget // 4 // (8 * self.n_words)))
        for first in range(0, self.n_words, size):
            if self.dense is not None:
                yield first, self.dense[first:first + size]
                continue
            words = np.arange(first, min(first + size, self.n_words), dtype=np.int64)
            block = np.zeros((words.shape[0], self.n_words))
            self._rows_into(words, block)
            self._normalise(block, first)
            yield first, block


def _spread_and_noise(weight, norms2, mean, profile_norms2):
    """Signal spread and per-token noise of rows that are weighted means of profiles.

    Row x is the mean of its n_x tokens' profiles (the unit vector of the
    token's domain, or the word distribution of its document), so its sampling
    noise has squared norm about ``token_variance[x] / n_x`` with
    ``token_variance[x] = E||profile||^2 - ||row_x||^2`` (the multinomial
    covariance ``diag(p) - p p^T`` seen through the profiles).

    Returns ``(spread, token_variance)``: ``spread`` is the p(x)-weighted mean
    squared distance of the rows to their weighted mean (noise included).
    """
    spread = float(weight @ norms2 - mean @ mean)
    token_variance = np.clip(profile_norms2 - norms2, 0.0, None)
    return spread, token_variance


def rectify_cooccurrence(Q, n_topics, rng):
    """Alternating projection rectification of Lee, Bindel & Mimno (NeurIPS 2015).

    Cycles through the projections onto (1) positive semi-definite matrices of
    rank at most ``n_topics`` (top eigenpairs, negative eigenvalues dropped),
    (2) matrices summing to one, (3) non-negative matrices, until a cycle
    changes ``Q`` by less than ``RECTIFY_TOL`` (relative Frobenius norm) or
    ``RECTIFY_MAX_ITER`` cycles.  Returns a new symmetric, non-negative matrix
    of shape (n_words, n_words) summing to one (up to the last clipping).
    """
    n = Q.shape[0]
    Q = 0.5 * (Q + Q.T)
    v0 = rng.standard_normal(n)
    for _ in range(RECTIFY_MAX_ITER):
        previous = Q
        if n <= 500 or n_topics >= n // 2:
            values, vectors = scipy.linalg.eigh(Q, subset_by_index=[n - n_topics, n - 1])
        else:
            values, vectors = scipy.sparse.linalg.eigsh(Q, k=n_topics, which="LA", v0=v0)
        values = np.maximum(values, 0.0)
        Q = (vectors * values) @ vectors.T
        Q += (1.0 - Q.sum()) / (n * n)
        np.maximum(Q, 0.0, out=Q)
        Q = 0.5 * (Q + Q.T)
        change = np.linalg.norm(Q - previous) / max(np.linalg.norm(previous), 1e-300)
        if change < RECTIFY_TOL:
            break
    return Q


def make_space(counts, representation, model, rng):
    """The word space of ``model`` (an AnchorWords) for ``counts``.

    ``llstopic.selection`` fits one corpus for several n_topics and shares the
    space (``model._shared_spaces``), which does not depend on n_topics unless
    rectified or projected."""
    shared = getattr(model, "_shared_spaces", None)
    space = None if shared is None else shared.get(representation)
    if space is None and representation == "domain":
        space = DomainSpace(counts)
    elif space is None:
        space = CooccurrenceSpace(counts, rectify=bool(model.rectify), n_topics=model.n_topics,
                                  rng=rng, budget=MEMORY_BUDGET)
    if shared is not None and (representation == "domain"
                               or (not model.rectify and space.dense is not None)):
        shared[representation] = space
    return space


def check_representation(representation, n_domains, n_words, n_topics, rectify, n_used):
    """ValueError when ``representation`` cannot serve the fit: the domain space with
    ``rectify`` or fewer domains than topics; the co-occurrence space without a document
    of two tokens (``n_used``: their number) or, with ``rectify``, above the budget."""
    if representation == "domain":
        if rectify:
            raise ValueError("rectify=True applies to the co-occurrence matrix; it cannot be "
                             "used with representation='domain'")
        if n_domains < n_topics:
            raise ValueError(
                f"representation='domain' needs at least n_topics domains: with n_domains = "
                f"{n_domains} < n_topics = {n_topics} the rows p(d|x) span at most {n_domains} "
                f"dimensions, so {n_topics} anchors are not identifiable; use "
                "representation='cooccurrence' or fewer topics")
        return
    if n_used == 0:
        raise ValueError("representation='cooccurrence' needs documents with at least two "
                         "tokens; every document (row of X) has fewer than two tokens")
    needed = n_words * n_words * 8
    if rectify and needed > MEMORY_BUDGET:
        raise ValueError(
            f"rectify=True needs the dense co-occurrence matrix; n_words = {n_words} needs "
            f"{needed / 2**30:.1f} GiB, above the {MEMORY_BUDGET / 2**30:.1f} GiB budget")


def candidate_sample(corpus, representation, n_topics, rectify):
    """Tokens per word that the candidate threshold counts (after ``check_representation``):
    tokens (domain space) or tokens in documents of at least two tokens (co-occurrence)."""
    used = corpus.domain_lengths() >= 2
    check_representation(representation, *corpus.shape, n_topics, rectify,
                         int(np.count_nonzero(used)))
    if representation == "domain":
        return corpus.word_counts()
    return np.asarray(corpus.counts.T @ used.astype(np.int64)).ravel()
