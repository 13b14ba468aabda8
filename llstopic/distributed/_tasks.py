"""The functions that run on the workers, one partition (a CSR block of documents) at a time.

Every function here is pure: it reads its arguments, never mutates them, and
returns new objects.  That is what makes a lost worker harmless -- Dask
recomputes a lost result from the same inputs, and nothing was accumulated in
place that a rerun could count twice.  Sums are taken pairwise by
:func:`add` in a tree of fixed shape over the partitions (in their order), so
a reduction gives the same floating-point result on any number of workers.

numba kernels are called with at most ``n_threads`` threads (default 1 per
task: a Dask worker already runs one task per thread).
"""

from __future__ import annotations

import contextlib

import numba
import numpy as np
import scipy.sparse as sp

from .._kernels import cooccurrence as _cooc
from ..corpus import _io


@contextlib.contextmanager
def _threads(n_threads):
    """numba's thread count for this (worker) thread, restored on exit."""
    old = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(n_threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(old)


def add(a, b):
    """a + b for arrays, numbers and (nested) tuples of them; a new object."""
    if isinstance(a, tuple):
        return tuple(add(x, y) for x, y in zip(a, b))
    return a + b


def item(obj, i):
    return obj[i]


def identity(obj):
    return obj


# ------------------------------------------------------------------ reading
def read_partition(reader, path, index):
    """Canonical int64 CSR of one file; an error names the file and the partition."""
    read = {"uci": _io.read_uci, "mm": _io.read_mm}[reader]
    try:
        return read(path)
    except (ValueError, TypeError, OSError) as exc:
        message = f"partition {index} ({path!r}): {exc}"
        try:
            error = type(exc)(message)
        except Exception:  # an exception type with another constructor
            error = ValueError(message)
        raise error from None


def docs_to_csr(docs, index, n_words):
    """CSR counts of a list of documents, each an iterable of (word_id, count) pairs.

    ``n_words`` None: the width is the largest id + 1 of this partition (the
    caller widens the partitions to a common width with :func:`widen`).
    Repeated ids in a document are summed, zero counts dropped.
    """
    docs = list(docs)
    rows, cols, vals = [np.empty(0, np.int64)], [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for d, doc in enumerate(docs):
        where = f"bag partition {index}, document {d}"
        try:
            pairs = np.array(list(doc), dtype=np.float64).reshape(-1, 2)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: expected a list of (word_id, count) pairs, got "
                             f"{str(doc)[:80]!r}") from None
        bad = ~np.isfinite(pairs) | (pairs < 0) | (pairs != np.round(pairs))
        if bad.any():
            i, j = np.argwhere(bad)[0]
            what = ("word id", "count")[j]
            raise ValueError(f"{where}: {what} {float(pairs[i, j]):g} is not a non-negative "
                             "integer")
        ids = pairs[:, 0].astype(np.int64)
        if n_words is not None and ids.size and ids.max() >= n_words:
            raise ValueError(f"{where}: word id {int(ids.max())} is out of range for n_words = "
                             f"{n_words}")
        rows.append(np.full(ids.size, d, dtype=np.int64))
        cols.append(ids)
        vals.append(pairs[:, 1].astype(np.int64))
    cols = np.concatenate(cols)
    width = n_words if n_words is not None else int(cols.max(initial=-1)) + 1
    matrix = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), cols)),
                           shape=(len(docs), max(width, 1))).tocsr()
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return matrix


def widen(counts, n_words):
    """The same counts with ``n_words`` columns (>= the current number)."""
    out = sp.csr_matrix((counts.data, counts.indices, counts.indptr),
                        shape=(counts.shape[0], n_words))
    out.has_sorted_indices = True
    return out


def shape(counts):
    return counts.shape


# --------------------------------------------------------------- statistics
def word_stats(counts):
    """(n_docs, n_tokens, n_used, word_counts, domain_frequencies, used_word_counts).

    ``n_used`` = documents of at least two tokens; ``used_word_counts`` = the
    word counts over those documents (the co-occurrence representation's
    sample).  All int64: sums of them are exact.
    """
    n_words = counts.shape[1]
    lengths = np.asarray(counts.sum(axis=1), dtype=np.int64).ravel()
    used = lengths >= 2
    word_counts = np.bincount(counts.indices, weights=counts.data, minlength=n_words)
    used_counts = np.asarray(counts[used].sum(axis=0), dtype=np.int64).ravel()
    return (np.int64(counts.shape[0]), np.int64(lengths.sum()), np.int64(used.sum()),
            word_counts.astype(np.int64), np.bincount(counts.indices, minlength=n_words),
            used_counts)


def remap_words(counts, new_id, n_kept):
    """Keep the columns with ``new_id >= 0``, renumbered (as ``Corpus.filter_words``)."""
    remapped = new_id[counts.indices]
    stays = remapped >= 0
    cumulative = np.concatenate(([0], np.cumsum(stays)))
    indptr = cumulative[counts.indptr]
    out = sp.csr_matrix((counts.data[stays], remapped[stays].astype(counts.indices.dtype), indptr),
                        shape=(counts.shape[0], n_kept))
    out.has_sorted_indices = True
    out.has_canonical_format = True
    return out


def _doc_weights(counts, n_used):
    """Per document: 1 / (n (n - 1) n_used), 1 / (n n_used) and |h|^2 / n^2 (0 if n < 2),
    as ``CooccurrenceSpace`` computes them for the whole corpus."""
    lengths = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
    used = lengths >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        doc_weight = np.where(used, 1.0 / (lengths * (lengths - 1.0) * n_used), 0.0)
        per_token = np.where(used, 1.0 / (lengths * n_used), 0.0)
        sq = np.asarray(counts.multiply(counts).sum(axis=1), dtype=np.float64).ravel()
        profile = np.where(used, sq / lengths**2, 0.0)
    return doc_weight, per_token, profile


def cooc_word_stats(counts, n_used):
    """This partition's share of the row sums of Q and of their profile-weighted sums."""
    _, per_token, profile = _doc_weights(counts, n_used)
    counts = sp.csr_matrix(counts)
    return (np.asarray(counts.T @ per_token).ravel(),
            np.asarray(counts.T @ (per_token * profile)).ravel())


def cooc_rows(counts, n_used, words, n_threads):
    """This partition's share of rows ``words`` of Q, dense (n_rows, n_words)."""
    doc_weight, _, _ = _doc_weights(counts, n_used)
    csr = sp.csr_matrix(counts)
    out = np.zeros((words.shape[0], counts.shape[1]))
    with _threads(n_threads):
        _cooc.cooccurrence_rows(*_int64_csr(csr.T.tocsr()), *_int64_csr(csr), doc_weight,
                                np.asarray(words, dtype=np.int64), out)
    return out


def cooc_project(counts, n_used, projection):
    """This partition's share of Q @ projection, dense (n_words, n_dims)."""
    doc_weight, _, _ = _doc_weights(counts, n_used)
    csr = sp.csr_matrix(counts)
    dim = projection.shape[1]
    out = np.zeros((counts.shape[1], dim))
    n_chunk = max(1, min(csr.shape[0], (1 << 27) // (8 * dim)))   # documents per scratch block
    _cooc.cooccurrence_project(*_int64_csr(csr.T.tocsr()), *_int64_csr(csr), doc_weight, projection,
                               np.empty((n_chunk, dim)), out)
    return out


def _int64_csr(matrix):
    return (matrix.indptr.astype(np.int64, copy=False), matrix.indices.astype(np.int64, copy=False),
            matrix.data.astype(np.float64, copy=False))


def ml_domain_topic(counts, topic_word, max_iter, tol, n_threads):
    """p_d(y) of this partition's documents with the topics fixed (row by row, so the
    rows equal those of the single-process solve)."""
    from ..factorizers._inference import ml_domain_topic as solve

    with _threads(n_threads):
        return solve(counts, topic_word, max_iter=max_iter, tol=tol, n_jobs=n_threads)


# ---------------------------------------------------------------- EM passes
def _em_data(counts, uncovered):
    """The counts' data, with the tokens of ``uncovered`` words zeroed (None: as is)."""
    if uncovered is None:
        return counts.data
    return np.where(uncovered[counts.indices], 0, counts.data)


def _chunk_bounds(counts, n_chunks):
    """Row chunks balanced by non-zeros, as the single-process polish makes them."""
    targets = np.linspace(0, counts.nnz, n_chunks + 1)
    bounds = np.searchsorted(counts.indptr, targets, side="left").astype(np.int64)
    bounds[0], bounds[-1] = 0, counts.shape[0]
    return np.maximum.accumulate(bounds)


def _log_prior(domain_topic, prior):
    if prior == 0.0:
        return 0.0
    from .._kernels import em as _em

    out = np.empty(domain_topic.shape[0])
    _em.sum_log_rows(domain_topic, out)
    return prior * float(out.sum())


def em_partition(counts, uncovered, domain_topic, word_topic, smoothing, prior, update_topics,
                 n_threads):
    """One E-step (and the p_d(y) M-step) on this partition.

    Returns ``(new_domain_topic, word_counts, (loglik, log_prior, first_bad_row))``:
    the expected word-topic counts (n_words, n_topics) of this partition (None
    when the topics stay fixed), the log-likelihood and the p_d(y) log-prior
    of the INPUT, and the first row whose log-likelihood is not finite (-1 if none).
    """
    from .._kernels import em as _em

    n_docs, n_words = counts.shape
    n_topics = word_topic.shape[1]
    data = _em_data(counts, uncovered)
    with _threads(n_threads):
        n_chunks = numba.get_num_threads()
        bounds = _chunk_bounds(counts, n_chunks)
        out = np.empty_like(domain_topic)
        slabs = np.empty((n_chunks, n_words, n_topics) if update_topics else (1, 1, 1))
        row_loglik = np.empty(n_docs)
        _em.em_step(counts.indptr, counts.indices, data, domain_topic, word_topic, smoothing,
                    prior, bounds, np.empty((n_chunks, n_topics)), out, slabs, row_loglik,
                    update_topics)
        log_prior = _log_prior(domain_topic, prior)
    bad = np.flatnonzero(~np.isfinite(row_loglik))
    scalars = (float(row_loglik.sum()), log_prior, int(bad[0]) if bad.size else -1)
    return out, (slabs[0] if update_topics else None), scalars


def loglik_partition(counts, uncovered, domain_topic, word_topic, smoothing, prior, n_threads):
    """(log-likelihood, p_d(y) log-prior) of this partition at a point, without a step."""
    from .._kernels import em as _em

    row_loglik = np.empty(counts.shape[0])
    with _threads(n_threads):
        _em.loglik_nonzeros(counts.indptr, counts.indices, _em_data(counts, uncovered),
                            domain_topic, word_topic, smoothing, row_loglik)
        log_prior = _log_prior(domain_topic, prior)
    return float(row_loglik.sum()), log_prior


def squarem_norms(x, fx, ffx, n_threads):
    """This partition's sums of SQUAREM's |r|^2 and |v|^2 over its rows of p_d(y)."""
    from .._kernels import em as _em

    rr, vv = np.empty(x.shape[0]), np.empty(x.shape[0])
    with _threads(n_threads):
        _em.squarem_norms(x, fx, ffx, rr, vv)
    return float(rr.sum()), float(vv.sum())


def squarem_extrapolate(x, fx, ffx, alpha, n_threads):
    """This partition's rows of SQUAREM's extrapolated p_d(y) (a new array)."""
    from .._kernels import em as _em

    out = np.empty_like(x)
    with _threads(n_threads):
        _em.squarem_extrapolate(x, fx, ffx, np.full(x.shape[0], alpha), out)
    return out


def checked_rows(block, first_row, atol=1e-6):
    """A starting p_d(y) block, checked (finite, >= 0, rows summing to one within
    ``atol``) and renormalised as the single-process polish does; errors name the
    global row."""
    from .._validation import check_factor

    return check_factor(block, "domain_topic", None, simplex=True, atol=atol, first_row=first_row)

