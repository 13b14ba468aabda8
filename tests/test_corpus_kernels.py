"""The count and triplet kernels against their slow twins in ``_reference``."""

import numpy as np
import pytest

import llstopic.corpus._build as build
from llstopic._kernels import counts as ck
from llstopic._kernels import triplets as tk

import _reference as ref


def _tokens(rng, n_tokens, n_words, n_domains, grouped=False, id_dtype=np.int64):
    words = rng.integers(0, n_words, n_tokens).astype(id_dtype)
    domains = rng.integers(0, n_domains, n_tokens).astype(id_dtype)
    if grouped:
        domains = np.sort(domains)
    return words, domains


# ------------------------------------------------------------------ stages
def test_dense_counts_matches_add_at():
    rng = np.random.default_rng(0)
    words, domains = _tokens(rng, 5000, 40, 7)
    for dtype in (np.int32, np.int64):
        out = np.zeros((40, 7), dtype=dtype)  # word-major
        ck.dense_counts(words, domains, out)
        np.testing.assert_array_equal(out.T, ref.dense_counts(words, domains, 40, 7))
        partial = np.zeros((3, 40, 7), dtype=dtype)
        ck.dense_counts_parallel(words, domains, np.array([0, 1000, 1001, 5000]), partial)
        np.testing.assert_array_equal(partial.sum(axis=0), out)


def test_dense_to_csr_matches_reference():
    rng = np.random.default_rng(1)
    words, domains = _tokens(rng, 300, 50, 9)
    dense = ref.dense_counts(words, domains, 50, 9)
    dense[4] = 0  # an empty row
    keep = domains != 4
    expected = ref.csr_counts(words[keep], domains[keep], 50, 9)
    for layout in (dense, np.asfortranarray(dense), dense.T.copy().T):  # C order, F order, transposed view
        indptr = np.empty(10, dtype=np.int64)
        ck.dense_to_csr_nnz(layout, indptr)
        indices = np.empty(indptr[-1], dtype=np.int32)
        data = np.empty(indptr[-1], dtype=np.int64)
        ck.dense_to_csr_fill(layout, indptr, indices, data)
        for got, want in zip((indptr, indices, data), expected):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("grouped", [False, True])
def test_domain_offsets_and_scatter(grouped):
    rng = np.random.default_rng(2)
    words, domains = _tokens(rng, 2000, 30, 50, grouped=grouped)
    offsets = np.zeros(51, dtype=np.int64)
    flag = ck.domain_offsets(domains, offsets)
    want_offsets, want_flag = ref.domain_offsets(domains, 50)
    np.testing.assert_array_equal(offsets, want_offsets)
    assert flag == want_flag == grouped
    out = np.empty(2000, dtype=np.int32)
    ck.scatter_by_domain(words, domains, offsets, np.empty(50, dtype=np.int64), out)
    np.testing.assert_array_equal(out, ref.scatter_by_domain(words, domains))


@pytest.mark.parametrize("n_words", [7, 300, 70_000])  # 1, 2 and 3 radix passes
def test_sparse_accumulator_matches_reference(n_words):
    """Rows short and long (insertion and radix sort), empty rows, unseen words."""
    rng = np.random.default_rng(n_words)
    n_domains = 12
    lengths = rng.integers(0, 400, n_domains)
    lengths[[3, 7]] = 0
    lengths[5] = 5000
    domains = np.repeat(np.arange(n_domains), lengths)
    words = rng.integers(0, n_words, domains.size)
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    want_indptr, want_indices, want_data = ref.csr_counts(words, domains, n_words, n_domains)
    n_passes = max(1, (n_words - 1).bit_length() + 7 >> 3)
    row_nnz = np.empty(n_domains, dtype=np.int64)
    indices = np.full(words.size + 3, -1, dtype=np.int32)
    data = np.full(words.size + 3, -1, dtype=np.int64)
    tally = np.zeros(n_words, dtype=np.int32)
    end = ck.csr_fill_rows(words, offsets, 0, n_domains, 3, n_passes, tally,
                           np.empty(n_words + 1, dtype=np.int32), np.empty(n_words + 1, dtype=np.int32),
                           row_nnz, indices, data)
    assert end == 3 + want_indices.size
    np.testing.assert_array_equal(np.diff(want_indptr), row_nnz)
    np.testing.assert_array_equal(indices[3:end], want_indices)
    np.testing.assert_array_equal(data[3:end], want_data)
    assert (indices[:3] == -1).all() and (indices[end:] == -1).all()  # nothing written outside
    assert not tally.any()  # left clean for the next call
    # the parallel twin on uneven chunks: each chunk starts at its first token
    bounds = np.array([0, 1, 6, n_domains], dtype=np.int64)
    indices2 = np.full(words.size, -1, dtype=np.int32)
    data2 = np.full(words.size, -1, dtype=np.int64)
    row_nnz2 = np.empty(n_domains, dtype=np.int64)
    chunk_end = np.empty(3, dtype=np.int64)
    ck.csr_fill_rows_parallel(words, offsets, bounds, n_passes, np.zeros((3, n_words), dtype=np.int64),
                              np.empty((3, n_words + 1), dtype=np.int32),
                              np.empty((3, n_words + 1), dtype=np.int32), row_nnz2, chunk_end, indices2, data2)
    np.testing.assert_array_equal(row_nnz2, row_nnz)
    for c in range(3):
        start = offsets[bounds[c]]
        lo, hi = want_indptr[bounds[c]], want_indptr[bounds[c + 1]]
        assert chunk_end[c] - start == hi - lo
        np.testing.assert_array_equal(indices2[start:chunk_end[c]], want_indices[lo:hi])
        np.testing.assert_array_equal(data2[start:chunk_end[c]], want_data[lo:hi])


@pytest.mark.parametrize("src,dst,n", [(5, 0, 10), (5, 3, 10), (4, 4, 3), (19, 0, 1), (7, 2, 0)])
def test_move_left_matches_slice_copy(src, dst, n):
    values = np.arange(20) * 10
    want = ref.move_left(values.copy(), src, dst, n)
    ck.move_left(values, src, dst, n)
    np.testing.assert_array_equal(values, want)


# -------------------------------------------------------------- whole path
CASES = [
    # (n_tokens, n_words, n_domains, grouped): dense and sparse paths
    (1, 1, 1, True),
    (1, 5, 3, False),
    (3000, 20, 4, False),
    (3000, 20, 4, True),
    (5000, 3000, 400, False),
    (5000, 3000, 400, True),
    (70_000, 5000, 2000, False),  # above the parallel threshold
]


@pytest.mark.parametrize("n_tokens,n_words,n_domains,grouped", CASES)
@pytest.mark.parametrize("parallel", [False, True])
def test_count_tokens_matches_reference(n_tokens, n_words, n_domains, grouped, parallel):
    rng = np.random.default_rng(n_tokens + n_words)
    words, domains = _tokens(rng, n_tokens, n_words, n_domains, grouped)
    mat = build.count_tokens(words, domains, n_words, n_domains, parallel=parallel)
    indptr, indices, data = ref.csr_counts(words, domains, n_words, n_domains)
    assert mat.shape == (n_domains, n_words)
    np.testing.assert_array_equal(mat.indptr, indptr)
    np.testing.assert_array_equal(mat.indices, indices)
    np.testing.assert_array_equal(mat.data, data)
    assert mat.data.dtype == np.int64


def test_dense_path_is_not_used_when_the_matrix_dwarfs_the_tokens(monkeypatch):
    """A few tokens over a big (n_domains, n_words) must not allocate it densely."""
    def fail(*args):
        raise AssertionError("dense path taken")

    monkeypatch.setattr(ck, "dense_counts", fail)
    mat = build.count_tokens(np.array([0, 3999], dtype=np.int64), np.array([0, 3999], dtype=np.int64),
                             4000, 4000)
    assert mat.nnz == 2 and mat[3999, 3999] == 1


# ---------------------------------------------------------------- triplets
def _parse(text, n_fields=3, comment=-1, n_rows=5, n_cols=9, capacity=100):
    rows = np.empty(capacity, dtype=np.int32)
    cols = np.empty(capacity, dtype=np.int32)
    values = np.empty(capacity, dtype=np.int64)
    status = np.zeros(tk.STATUS_SIZE, dtype=np.int64)
    tk.parse_triplets(np.frombuffer(text.encode(), dtype=np.uint8), n_fields, comment, n_rows, n_cols,
                      rows, cols, values, status)
    k = status[tk.N_ENTRIES]
    return rows[:k].tolist(), cols[:k].tolist(), values[:k].tolist(), status


KIND = {tk.BAD_CHARACTER: "syntax", tk.TOO_FEW_FIELDS: "fields", tk.TOO_MANY_FIELDS: "fields",
        tk.NEGATIVE: "negative", tk.NOT_INTEGRAL: "fraction", tk.TOO_LARGE: "syntax",
        tk.ROW_OUT_OF_RANGE: "range", tk.COLUMN_OUT_OF_RANGE: "range"}

TEXTS = [
    "1 1 3\n2 9 1\n5 4 10\n",
    "1 1 3\n\n  2\t9  1 \r\n5 4 10",  # blanks, tabs, CRLF, no final newline
    "1 1 3.0\n2 2 4.\n3 3 +5.000\n",  # integral reals
    "1 1 3\n2 2 1.5\n",
    "1 1 3\n2 2 -1\n",
    "1 1 3\n2 -2 1\n",
    "1 1\n",
    "1 1 1 1\n",
    "1 x 1\n",
    "1 1 1e3\n",
    "0 1 1\n",
    "6 1 1\n",
    "1 10 1\n",
    "1 1 1234567890123456789\n",
    "1 1 3\n2.0 2 1\n",
    "1 1 nan\n",
    "1 1 .\n",
    "1 1 3x\n",
]


@pytest.mark.parametrize("text", TEXTS)
def test_parse_triplets_matches_reference(text):
    rows, cols, values, status = _parse(text)
    want_rows, want_cols, want_values, error = ref.parse_triplets(text, 3, None, 5, 9)
    if error is None:
        assert status[tk.ERROR] == tk.OK
        assert (rows, cols, values) == (want_rows, want_cols, want_values)
    else:
        assert status[tk.ERROR] != tk.OK
        assert (status[tk.ERROR_LINE], KIND[int(status[tk.ERROR])]) == error
        assert (rows, cols, values) == (want_rows, want_cols, want_values)


def test_parse_triplets_pattern_comments_and_capacity():
    rows, cols, values, status = _parse("% a comment\n1 2\n  % another\n3 4\n", n_fields=2,
                                        comment=ord("%"))
    assert status[tk.ERROR] == tk.OK and (rows, cols, values) == ([0, 2], [1, 3], [1, 1])
    assert status[tk.N_LINES] == 4
    _, _, _, status = _parse("1 1 1\n2 2 2\n3 3 3\n", capacity=2)
    assert status[tk.ERROR] == tk.TOO_MANY_ENTRIES and status[tk.ERROR_LINE] == 2


def test_parse_triplets_random_lines_match_reference():
    rng = np.random.default_rng(5)
    pieces = ["1", "2", "17", "0", "-3", "4.0", "4.5", "x", "", "  ", "\t", "+2", "9", "10", "3.00"]
    for _ in range(300):
        lines = [" ".join(rng.choice(pieces, rng.integers(0, 5))) for _ in range(rng.integers(1, 6))]
        text = "\n".join(lines) + ("\n" if rng.random() < 0.5 else "")
        rows, cols, values, status = _parse(text)
        want_rows, want_cols, want_values, error = ref.parse_triplets(text, 3, None, 5, 9)
        assert (rows, cols, values) == (want_rows, want_cols, want_values), text
        if error is None:
            assert status[tk.ERROR] == tk.OK, text
        else:
            assert (status[tk.ERROR_LINE], KIND[int(status[tk.ERROR])]) == error, text


def test_format_triplets_matches_reference():
    rng = np.random.default_rng(6)
    rows = rng.integers(0, 10**6, 500)
    cols = rng.integers(0, 10**9, 500).astype(np.int32)
    values = rng.integers(0, 10**18, 500)
    values[:3] = [0, 1, 10**18 - 1]
    out = np.empty(500 * 60, dtype=np.uint8)
    used = tk.format_triplets(rows, cols, values, out)
    assert out[:used].tobytes() == ref.format_triplets(rows.tolist(), cols.tolist(), values.tolist())
