"""Hostile corpus files and failed writes: bounded reads, exact round trips, no lost file.

Readers get random bytes, lying headers, endless lines, truncated gzip and bad
UTF-8: each ends in a ValueError naming the file (and line) or in a Corpus.
Writers validate first and replace their destinations at the end, so a failure
leaves the old files byte for byte.
"""

import errno
import gzip
import io
import os
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import llstopic._files as files
import llstopic.corpus._io as cio
import llstopic.corpus._reading as creading
from llstopic import Corpus
from llstopic._kernels import triplets as tk

import _reference as ref

INT64_MAX = 2**63 - 1
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


# ------------------------------------------------------------ the parser
_PIECES = ["1", "2", "007", "0", "-3", "4.0", "4.5", "1e2", "1E+1", "2.5e1", "1e-1", "100e-2",
           ".5", "5.", "e3", "1e", "+2", "9223372036854775807", "9223372036854775808",
           "00000000000000000000001", "1.0000000000000000000001e22", "x", "", " ", "\t"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=4), min_size=1, max_size=5))
def test_parser_agrees_with_its_twin(lines):
    text = "\n".join(" ".join(line) for line in lines)
    buf = np.frombuffer(text.encode(), dtype=np.uint8)
    rows, cols = np.empty(50, np.int64), np.empty(50, np.int64)
    values, status = np.empty(50, np.int64), np.zeros(tk.STATUS_SIZE, np.int64)
    tk.parse_triplets(buf, 3, -1, 9, 9, rows, cols, values, status)
    want = ref.parse_triplets(text, 3, None, 9, 9)
    k = int(status[tk.N_ENTRIES])
    assert (rows[:k].tolist(), cols[:k].tolist(), values[:k].tolist()) == want[:3], text
    assert (status[tk.ERROR] == tk.OK) == (want[3] is None), text


def test_valid_input_is_not_refused():
    uci = b"0002\n0003\n2\n001 0003 0000000000000000000000007\n2 1 9223372036854775800\n"
    assert Corpus.read_uci(io.BytesIO(uci)).toarray().tolist() == [[0, 0, 7], [9223372036854775800, 0, 0]]
    mm = b"%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1e2\n2 2 2.50E1\n1 2 300e-2\n"
    assert Corpus.read_mm(io.BytesIO(mm)).toarray().tolist() == [[100, 3], [0, 25]]


# -------------------------------------------------------------- lying headers
@pytest.mark.parametrize("text, part", [
    (b"3\n4\n99999999999999\n1 1 1\n", "NNZ = 99999999999999 entries cannot fit in a D x W = 3 x 4"),
    (b"100000000000000000000\n4\n1\n1 1 1\n", "D = 100000000000000000000 is too large"),
    (b"1000000000000\n1000000\n1000000000\n1 1 1\n", "the header declares NNZ = 1000000000 entries but only"),
    (b"10000000000000000\n4\n1\n1 1 1\n", "needs about"),
    (b"3\n\xb2\n1\n1 1 1\n", "line 2: expected W"),            # not an ASCII digit
    (b"3\n4\n" + b"1" * 5000 + b"\n", "line 3: line longer than 4096 bytes"),
])
def test_headers_are_range_checked_before_anything_is_allocated(text, part):
    tracemalloc.start()
    with pytest.raises(ValueError) as info:
        Corpus.read_uci(io.BytesIO(text))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert part in str(info.value)
    assert peak < 2**20


def test_endless_lines_are_cut_short():
    zeros = io.BytesIO(bytes(3 * creading.MAX_LINE_BYTES))
    with pytest.raises(ValueError, match="line 1: line longer than 4096 bytes"):
        Corpus.read_uci(zeros)
    body = io.BytesIO(b"1\n1\n1\n" + b"1" * (2 * creading.MAX_LINE_BYTES))
    with pytest.raises(ValueError, match=f"line 4: line longer than {creading.MAX_LINE_BYTES}"):
        Corpus.read_uci(body)
    with pytest.raises(ValueError, match="line 1: line longer than 65536 bytes"):
        cio.read_vocab(io.BytesIO(bytes(10**6)), 3)


def test_buffers_follow_the_lines_read_not_the_header(monkeypatch):
    """A header claiming 10**9 entries (but within D * W) costs nothing before the lines say so."""
    monkeypatch.setattr(creading, "remaining_bytes", lambda f: None)  # as for a gzip file
    Corpus.read_uci(io.BytesIO(b"1\n1\n1\n1 1 1\n"))  # compile outside the measure
    tracemalloc.start()
    with pytest.raises(ValueError, match="declares 1000000000 entries but the file holds 2"):
        Corpus.read_uci(io.BytesIO(b"100000\n100000\n1000000000\n1 1 1\n2 2 2\n"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 * 2**20  # the indptr of 100,000 rows, not 16 GB of triplets


@FAST
@given(st.binary(max_size=200), st.sampled_from(["uci", "mm"]))
def test_random_bytes_are_refused_or_read(data, fmt):
    prefix = b"%%MatrixMarket matrix coordinate integer general\n" if fmt == "mm" else b""
    read = Corpus.read_mm if fmt == "mm" else Corpus.read_uci
    try:
        corpus = read(io.BytesIO(prefix + data))
    except (ValueError, TypeError) as exc:
        assert "line" in str(exc) or "BytesIO" in str(exc)
    else:
        assert corpus.counts.has_canonical_format


# --------------------------------------------------------------- gzip, UTF-8
def test_truncated_and_corrupt_gzip_name_the_file_and_line(tmp_path):
    corpus = Corpus.from_matrix(np.random.default_rng(0).integers(0, 50, (40, 30)))
    path = tmp_path / "docword.txt.gz"
    corpus.write_uci(path)
    raw = path.read_bytes()
    (tmp_path / "cut.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"cut.gz, line \d+: the gzip data is truncated"):
        Corpus.read_uci(tmp_path / "cut.gz")
    damaged = bytearray(raw)
    damaged[len(raw) // 2] ^= 0xFF
    (tmp_path / "bad.gz").write_bytes(bytes(damaged))
    with pytest.raises(ValueError, match=r"bad.gz, line \d+: corrupt gzip data"):
        Corpus.read_uci(tmp_path / "bad.gz")


def test_vocabulary_decoding_errors_name_the_vocab_file_and_line(tmp_path):
    docword = tmp_path / "docword.txt"
    Corpus.from_matrix([[1, 2, 3]]).write_uci(docword)
    (tmp_path / "vocab.txt").write_bytes(b"a\nb\n\xff\n")
    with pytest.raises(ValueError, match=r"vocab.txt, line 3: not valid UTF-8"):
        Corpus.read_uci(docword, tmp_path / "vocab.txt")
    (tmp_path / "long.txt").write_bytes(b"a\nb\nc\nd\n")
    with pytest.raises(ValueError, match=r"long.txt' has more than 3 words \(line 4: 'd'\)"):
        Corpus.read_uci(docword, tmp_path / "long.txt")


# ----------------------------------------------------------------- round trips
_WORD = st.text(st.characters(blacklist_categories=("Cs",)), max_size=4)


@st.composite
def corpora(draw):
    n_domains, n_words = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    budget = draw(st.sampled_from([3, 10**18, INT64_MAX]))
    cells = draw(st.lists(st.integers(0, budget), min_size=n_domains * n_words,
                          max_size=n_domains * n_words))
    dense = np.array(cells, dtype=object).reshape(n_domains, n_words)
    while sum(cells) > INT64_MAX:  # the total must fit too
        i = int(np.argmax(cells))
        cells[i] //= 2
    dense = np.array(cells, dtype=np.int64).reshape(n_domains, n_words)
    vocabulary = draw(st.none() | st.lists(_WORD, min_size=n_words, max_size=n_words, unique=True))
    return Corpus.from_matrix(dense, vocabulary=vocabulary)


@FAST
@given(corpora(), st.sampled_from(["uci", "mm"]), st.booleans())
def test_read_of_write_is_the_identity(tmp_path_factory, corpus, fmt, gz):
    folder = tmp_path_factory.mktemp("rt")
    docword, vocab = folder / ("d.txt.gz" if gz else "d.txt"), folder / "v.txt"
    write = corpus.write_uci if fmt == "uci" else corpus.write_mm
    read = Corpus.read_uci if fmt == "uci" else Corpus.read_mm
    words = corpus.vocabulary
    if words is not None and any("\n" in w or "\r" in w for w in words):
        with pytest.raises(ValueError, match="line break"):
            write(docword, vocab)
        assert not docword.exists() and not vocab.exists() and not os.listdir(folder)
        return
    write(docword, None if words is None else vocab)
    assert read(docword, None if words is None else vocab) == corpus
    bow = corpus.to_gensim()
    assert Corpus.from_gensim(bow, vocabulary=words) == corpus
    assert [n for n in os.listdir(folder) if n.endswith(".tmp")] == []


def test_a_corpus_without_tokens_and_huge_counts_round_trip(tmp_path):
    for dense in (np.zeros((3, 2), int), [[10**18, 0], [0, 2**62]]):
        corpus = Corpus.from_matrix(dense)
        for write, read in ((corpus.write_uci, Corpus.read_uci), (corpus.write_mm, Corpus.read_mm)):
            write(tmp_path / "x.txt")
            assert read(tmp_path / "x.txt") == corpus
        assert Corpus.from_gensim(corpus.to_gensim()) == corpus


# ------------------------------------------------------------- failed writes
@pytest.fixture
def old_files(tmp_path):
    docword, vocab = tmp_path / "docword.txt", tmp_path / "vocab.txt"
    docword.write_bytes(b"old docword\n")
    vocab.write_bytes(b"old vocab\n")
    return docword, vocab


def _unchanged(docword, vocab):
    return (docword.read_bytes() == b"old docword\n" and vocab.read_bytes() == b"old vocab\n"
            and sorted(os.listdir(docword.parent)) == ["docword.txt", "vocab.txt"])


@pytest.mark.parametrize("word", ["b\nc", "b\rc", "\ud800"])
def test_a_word_that_cannot_be_written_is_refused_before_writing(old_files, word):
    corpus = Corpus.from_matrix([[1, 2]], vocabulary=["a", word])
    for write in (corpus.write_uci, corpus.write_mm):
        with pytest.raises(ValueError, match=r"vocabulary\[1\]"):
            write(*old_files)
        assert _unchanged(*old_files)


def test_a_failure_while_writing_leaves_the_old_files(old_files, monkeypatch):
    corpus = Corpus.from_matrix([[1, 2]], vocabulary=["a", "b"])

    def disk_full(f, counts):
        f.write(b"1 1 1\n")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cio, "_write_entries", disk_full)
    with pytest.raises(OSError, match="No space left"):
        corpus.write_uci(*old_files)
    assert _unchanged(*old_files)


def test_a_failed_second_replacement_restores_the_first(old_files, monkeypatch):
    corpus = Corpus.from_matrix([[1, 2]], vocabulary=["a", "b"])
    real_replace = os.replace

    def replace(src, dst):
        if os.path.basename(dst) == "vocab.txt":
            raise PermissionError(errno.EACCES, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", replace)
    with pytest.raises(PermissionError) as info:
        corpus.write_uci(*old_files)
    assert info.value.filename == str(old_files[1])
    monkeypatch.setattr(files.os, "replace", real_replace)
    assert _unchanged(*old_files)


def test_new_files_get_the_usual_permissions(tmp_path):
    Corpus.from_matrix([[1]]).write_uci(tmp_path / "new.txt")
    with open(tmp_path / "plain.txt", "wb"):
        pass
    assert os.stat(tmp_path / "new.txt").st_mode == os.stat(tmp_path / "plain.txt").st_mode


def test_writing_into_a_missing_folder_names_the_destination(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        Corpus.from_matrix([[1]]).write_mm(tmp_path / "no" / "such.mtx")
    assert info.value.filename == str(tmp_path / "no" / "such.mtx")


def test_gzip_written_atomically_is_a_valid_gzip_file(tmp_path):
    corpus = Corpus.from_matrix([[1, 0, 3]])
    corpus.write_mm(tmp_path / "m.mtx.gz")
    with gzip.open(tmp_path / "m.mtx.gz") as f:
        assert f.read().startswith(b"%%MatrixMarket")
    assert Corpus.read_mm(tmp_path / "m.mtx.gz") == corpus
