"""Hostile input to the Corpus builders: malformed sparse matrices, huge counts, odd names.

Every case either raises ValueError/TypeError or gives exactly the counts a slow
Python reading of the input gives; nothing crashes, wraps around or is silently
reinterpreted.  The inputs that used to crash the interpreter run in a subprocess.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from llstopic import Corpus
from llstopic._validation import check_count_matrix

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INT64_MAX = 2**63 - 1
FAST = settings(max_examples=80, deadline=None)


# ---------------------------------------------------------- sparse structure
@st.composite
def raw_sparse(draw):
    """A CSR, CSC or COO matrix whose arrays may have been tampered with after construction.

    Returns (matrix, the arrays as Python lists, format, shape).
    """
    fmt = draw(st.sampled_from(["csr", "csc", "coo"]))
    shape = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    nnz = draw(st.integers(0, 6))
    big = st.integers(-2, 2**64 + 2)
    small = st.integers(-1, 3)
    values = draw(st.lists(st.one_of(small, big, st.floats(allow_nan=True, allow_infinity=True),
                                     st.sampled_from([2.0**62, 2.0**63, 0.5, 2**62])),
                           min_size=nnz, max_size=nnz))
    n_major, n_minor = shape if fmt != "csc" else shape[::-1]
    if fmt == "coo":
        rows = draw(st.lists(st.integers(-1, shape[0]), min_size=nnz, max_size=nnz))
        cols = draw(st.lists(st.integers(-1, shape[1]), min_size=nnz, max_size=nnz))
        arrays = dict(row=rows, col=cols)
    else:
        cuts = sorted(draw(st.lists(st.integers(0, nnz), min_size=n_major - 1, max_size=n_major - 1)))
        indptr = [0, *cuts, nnz]
        if draw(st.booleans()):  # tamper with indptr
            i = draw(st.integers(0, n_major))
            indptr[i] = draw(st.integers(-1, nnz + 2))
        indices = draw(st.lists(st.integers(-1, n_minor), min_size=nnz, max_size=nnz))
        arrays = dict(indptr=indptr, indices=indices)
    dtype = draw(st.sampled_from([np.int64, np.uint64, np.float64, object]))
    try:
        data = np.array(values, dtype=dtype)
    except (OverflowError, ValueError):
        data = np.array(values, dtype=object)
    placeholder = {"csr": sp.csr_matrix, "csc": sp.csc_matrix, "coo": sp.coo_matrix}[fmt](shape)
    mat = placeholder
    if fmt == "coo":
        mat = sp.coo_matrix((np.zeros(nnz), (np.zeros(nnz, int), np.zeros(nnz, int))), shape=shape)
        mat.row[:] = np.array(arrays["row"])
        mat.col[:] = np.array(arrays["col"])
    else:
        mat.indptr = np.array(arrays["indptr"])
        mat.indices = np.array(arrays["indices"], dtype=np.int64)
    mat.data = data
    return mat, arrays, data.tolist(), fmt, shape  # the values the matrix really holds


def _expected_dense(arrays, values, fmt, shape):
    """The dense counts by a slow Python reading, or None when the input is invalid."""
    n_major, n_minor = shape if fmt != "csc" else shape[::-1]
    if fmt == "coo":
        entries = list(zip(arrays["row"], arrays["col"]))
        if any(not (0 <= r < shape[0] and 0 <= c < shape[1]) for r, c in entries):
            return None
    else:
        indptr, indices = arrays["indptr"], arrays["indices"]
        if indptr[0] != 0 or any(b < a for a, b in zip(indptr, indptr[1:])) \
                or indptr[-1] > len(indices):
            return None
        entries = []
        for major in range(n_major):
            for k in range(indptr[major], indptr[major + 1]):
                if not 0 <= indices[k] < n_minor:
                    return None
                entries.append((major, indices[k]) if fmt == "csr" else (indices[k], major))
        values = values[:indptr[-1]]
    dense = [[0] * shape[1] for _ in range(shape[0])]
    for (r, c), v in zip(entries, values):
        if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf")) or v != int(v)):
            return None
        if not 0 <= v <= INT64_MAX:
            return None
        dense[r][c] += int(v)
    if sum(map(sum, dense)) > INT64_MAX:
        return None
    return dense


@FAST
@given(raw_sparse())
def test_any_sparse_input_is_refused_or_read_exactly(case):
    mat, arrays, values, fmt, shape = case
    expected = _expected_dense(arrays, values, fmt, shape)
    before = [a.copy() for a in (mat.data, getattr(mat, "indices", mat.data))]
    if expected is None:
        with pytest.raises((ValueError, TypeError)):
            check_count_matrix(mat, require_tokens=False)
        return
    out = check_count_matrix(mat, require_tokens=False)
    assert out.toarray().tolist() == expected and out.data.dtype == np.int64
    assert out.has_canonical_format and (out.data > 0).all()
    same = (np.array_equal(mat.data, before[0], equal_nan=True) if mat.data.dtype.kind == "f"
            else mat.data.tolist() == before[0].tolist())
    assert same  # the caller's arrays are untouched


CRASHERS = """
import numpy as np, scipy.sparse as sp
from llstopic import AnchorWords, Corpus, make_finite_lls

def bad():
    m = sp.csr_matrix((np.array([5, 7]), np.array([0, 1]), np.array([0, 1, 2])), shape=(2, 30))
    m.indices = np.array([0, 10**6])          # an index far beyond n_words
    return m

def broken_indptr():
    m = sp.csr_matrix(np.eye(30, dtype=int)[:2])
    m.indptr = np.array([0, 10**6, 1])
    return m

corpus = make_finite_lls(30, 2, 4, 500, alpha=1.0, beta=0.5, random_state=0).corpus
fitted = AnchorWords(2, random_state=0).fit(corpus)
for make in (bad, broken_indptr):
    for call in (AnchorWords(2).fit, fitted.transform, Corpus.from_matrix, fitted.log_likelihood):
        try:
            call(make())
        except ValueError as exc:
            assert "out of range" in str(exc) or "indptr" in str(exc), exc
        else:
            raise AssertionError(f"{call} accepted a malformed CSR matrix")
print("refused")
"""


def test_malformed_csr_never_reaches_a_kernel():
    """These inputs used to segfault AnchorWords.fit/transform: run them in a subprocess."""
    done = subprocess.run([sys.executable, "-c", CRASHERS], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "refused"


# ------------------------------------------------------------------ overflow
def test_totals_that_int64_cannot_hold_are_refused():
    with pytest.raises(ValueError, match="tokens in total, more than a 64-bit count can hold"):
        Corpus.from_matrix([[2**62] * 4])
    with pytest.raises(ValueError, match="too large"):
        Corpus.from_matrix(np.array([[np.iinfo(np.uint64).max]]))
    with pytest.raises(ValueError, match="at most 9223372036854775807"):
        Corpus.from_matrix([[2**64]])
    with pytest.raises(ValueError, match="tokens in total"):  # duplicates would wrap when summed
        Corpus.from_matrix(sp.coo_matrix(([2**62, 2**62], ([0, 0], [0, 0])), shape=(1, 1)))


def test_counts_near_the_limit_stay_exact():
    corpus = Corpus.from_matrix([[2**62, 0], [2**62 - 1, 0]])
    assert corpus.n_tokens == 2**63 - 1
    assert corpus.domain_lengths().tolist() == [2**62, 2**62 - 1]
    assert corpus.word_counts().tolist() == [2**63 - 1, 0]
    big = Corpus.from_gensim([[(0, 2**53 + 1), (1, 2**62)]])
    assert big.counts.data.tolist() == [2**53 + 1, 2**62]


# -------------------------------------------------------------------- gensim
_ENTRY = st.one_of(st.integers(-1, 3), st.integers(2**53 - 2, 2**53 + 2), st.integers(2**63 - 2, 2**64),
                   st.floats(allow_nan=True), st.sampled_from([True, "1", b"2", None, 2.0, 2.5]))


def _expected_bow(docs):
    cells = {}
    for d, doc in enumerate(docs):
        for w, c in doc:
            for v in (w, c):
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    return None
                if isinstance(v, float) and (v != v or abs(v) == float("inf") or v != int(v)
                                             or abs(v) >= 2**53):
                    return None
                if not 0 <= v <= INT64_MAX:
                    return None
            if w > 2**40:  # n_words = w + 1 columns cannot fit in memory
                return None
            cells[d, int(w)] = cells.get((d, int(w)), 0) + int(c)
    if sum(cells.values()) > INT64_MAX or not any(docs):
        return None
    return cells


@FAST
@given(st.lists(st.lists(st.tuples(_ENTRY, _ENTRY), max_size=3), min_size=1, max_size=3))
def test_gensim_input_is_refused_or_read_exactly(docs):
    expected = _expected_bow(docs)
    if expected is None:
        with pytest.raises((ValueError, TypeError)):
            Corpus.from_gensim(docs)
        return
    corpus = Corpus.from_gensim(docs)
    got = {(d, w): c for (d, w), c in corpus.counts.todok().items()}
    assert got == {k: v for k, v in expected.items() if v}
    assert corpus.counts.data.dtype == np.int64


# --------------------------------------------------------------- silent ones
@pytest.mark.parametrize("kwargs, exc, part", [
    (dict(n_words=True), TypeError, "n_words must be None or an integer >= 1, got bool: True"),
    (dict(n_domains=np.True_), TypeError, "n_domains"),
    (dict(vocabulary={"a", "b"}), TypeError, "whose order is arbitrary"),
    (dict(vocabulary=frozenset("ab")), TypeError, "whose order is arbitrary"),
    (dict(vocabulary={"a": 0, "b": 1}), TypeError, "vocabulary must be an ordered sequence"),
    (dict(vocabulary=[]), ValueError, "vocabulary is empty"),
    (dict(vocabulary=["a", b"b"]), TypeError, "vocabulary[1] is bytes"),
    (dict(vocabulary=["a", None]), TypeError, "vocabulary[1] is NoneType"),
    (dict(domain_names={"x"}), TypeError, "domain_names"),
])
def test_silently_accepted_inputs_are_refused(kwargs, exc, part):
    with pytest.raises(exc) as info:
        Corpus.from_tokens([0, 1], [0, 0], **kwargs)
    assert part in str(info.value)


def test_an_empty_vocabulary_is_not_ignored_as_falsy():
    named = Corpus.from_tokens([0, 1], [0, 0], vocabulary=["a", "b"])
    with pytest.raises(ValueError, match="vocabulary is empty"):
        Corpus.from_matrix(named, vocabulary=[])
    assert Corpus.from_matrix(named, vocabulary=["c", "d"]).vocabulary == ["c", "d"]
    assert Corpus.from_matrix(named).vocabulary == ["a", "b"]
    assert Corpus.from_tokens([0, 1], [0, 0], vocabulary=(w for w in "ab")).vocabulary == ["a", "b"]


def test_strings_are_not_numbers():
    with pytest.raises(TypeError, match="word id '1' of type str"):
        Corpus.from_gensim([[("1", "2")]])
    with pytest.raises(TypeError, match="numeric counts"):
        Corpus.from_matrix(np.array([["1", "2"]]))
    with pytest.raises(TypeError, match="complex"):
        Corpus.from_matrix(np.array([[1 + 2j]]))
    with pytest.raises(TypeError, match="dtype"):
        Corpus.from_tokens(["0", "1"], [0, 0])


@FAST
@given(st.one_of(st.lists(st.text(max_size=3), max_size=4), st.sets(st.text(max_size=2), max_size=3),
                 st.lists(st.one_of(st.text(max_size=2), st.integers(), st.none()), max_size=3)))
def test_vocabularies_are_accepted_exactly_or_refused(vocabulary):
    n = len(vocabulary)
    valid = (isinstance(vocabulary, list) and n > 0 and all(isinstance(w, str) for w in vocabulary)
             and len(set(vocabulary)) == n)
    if not valid:
        with pytest.raises((ValueError, TypeError)):
            Corpus.from_matrix(np.ones((1, max(n, 1)), int), vocabulary=vocabulary)
        return
    assert Corpus.from_matrix(np.ones((1, n), int), vocabulary=vocabulary).vocabulary == vocabulary
