"""Corpus files (UCI bag-of-words, Matrix Market), the example data and load_lee."""

import filecmp
import gzip
import importlib.util
import io
import os

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
from hypothesis import given, settings

import llstopic.corpus._reading as creading
from llstopic import Corpus

from test_corpus import corpora

DATA = os.path.join(os.path.dirname(__file__), "..", "data")


def _corpus():
    dense = np.array([[0, 2, 0, 1], [0, 0, 0, 0], [7, 0, 1, 0]])
    return Corpus.from_matrix(dense, vocabulary=["alpha", "beta", "gamma", "délta"])


# --------------------------------------------------------------------- UCI
@pytest.mark.parametrize("suffix", [".txt", ".txt.gz"])
def test_uci_round_trip_on_disk(tmp_path, suffix):
    corpus = _corpus()
    docword, vocab = tmp_path / f"docword{suffix}", tmp_path / f"vocab{suffix}"
    corpus.write_uci(docword, vocab)
    raw = gzip.open(docword).read() if suffix.endswith(".gz") else docword.read_bytes()
    assert raw.decode() == "3\n4\n4\n1 2 2\n1 4 1\n3 1 7\n3 3 1\n"
    back = Corpus.read_uci(str(docword), vocab)
    assert back == corpus and back.vocabulary[3] == "délta"
    assert Corpus.read_uci(docword).vocabulary is None


def test_uci_reader_is_lenient_about_layout():
    """Unsorted lines, repeated pairs (summed), zero counts, blank lines, CRLF, no final newline."""
    text = b"2\r\n3\r\n5\r\n2 3 1\r\n\r\n1 2 4\r\n2 3 2\r\n1 1 0\r\n  1 3   1  "
    corpus = Corpus.read_uci(io.BytesIO(text))
    np.testing.assert_array_equal(corpus.toarray(), [[0, 4, 1], [0, 0, 3]])
    assert corpus.counts.has_canonical_format


def test_uci_line_numbers_survive_block_boundaries(monkeypatch):
    """Parse in tiny blocks: lines cut across blocks and the error's line number stay right."""
    monkeypatch.setattr(creading, "_BLOCK_BYTES", 7)
    rng = np.random.default_rng(0)
    dense = rng.integers(0, 3, (30, 11))
    corpus = Corpus.from_matrix(dense)
    buf = io.BytesIO()
    corpus.write_uci(buf)
    text = buf.getvalue()
    assert Corpus.read_uci(io.BytesIO(text)) == corpus
    lines = text.decode().split("\n")
    lines[40] = lines[40] + "x"
    with pytest.raises(ValueError, match="line 41: count is not a non-negative integer"):
        Corpus.read_uci(io.BytesIO("\n".join(lines).encode()))


BAD_UCI = [
    ("", "line 1: file ends before the header line giving D"),
    ("x\n3\n1\n1 1 1\n", "line 1: expected D"),
    ("2\n3\n", "line 3: file ends"),
    ("0\n3\n1\n1 1 1\n", "line 1: D must be at least 1"),
    ("2\n-3\n1\n1 1 1\n", "line 2: expected W"),
    ("2\n3\n2\n1 1 1\n2 2 -4\n", "line 5: count is negative: '2 2 -4'"),
    ("2\n3\n2\n1 1 1\n2 2 1.5\n", "line 5: count is not an integer"),
    ("2\n3\n2\n1 1 1\n2 2 nan\n", "line 5: count is not a non-negative integer"),
    ("2\n3\n2\n1 1 1\n2 4 1\n", "line 5: wordID is out of range: it must be between 1 and 3"),
    ("2\n3\n2\n1 1 1\n0 1 1\n", "line 5: docID is out of range: it must be between 1 and 2"),
    ("2\n3\n2\n1 1 1\n3 1 1\n", "line 5: docID is out of range"),
    ("2\n3\n2\n1 1 1\n2 1\n", r"line 5: expected 3 numbers \(docID wordID count\), found fewer"),
    ("2\n3\n2\n1 1 1\n2 1 1 1\n", "line 5: expected 3 numbers.*found more"),
    ("2\n3\n2\n1 1 1\n", "declares 2 entries but the file holds 1"),
    ("2\n3\n1\n1 1 1\n2 2 2\n", "line 5: more entries than the 1 the header declares"),
    ("2\n3\n1\n1 1 99999999999999999999\n", "line 4: count is too large"),
]


@pytest.mark.parametrize("text,match", BAD_UCI)
def test_malformed_uci_is_reported_with_its_line(tmp_path, text, match):
    path = tmp_path / "docword.bad.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as info:
        Corpus.read_uci(path)
    assert "docword.bad.txt" in str(info.value)


def test_a_corpus_without_tokens_is_read_as_written():
    """from_matrix accepts a corpus without tokens, so the readers do too (round trip)."""
    assert Corpus.read_uci(io.BytesIO(b"2\n3\n0\n")) == Corpus.from_matrix(np.zeros((2, 3), int))


def test_bad_vocab_files(tmp_path):
    docword = tmp_path / "docword.txt"
    _corpus().write_uci(docword)
    (tmp_path / "short.txt").write_text("a\nb\nc\n")
    with pytest.raises(ValueError, match="has 3 words but the corpus has n_words = 4"):
        Corpus.read_uci(docword, tmp_path / "short.txt")
    (tmp_path / "dup.txt").write_text("a\nb\na\nd\n")
    with pytest.raises(ValueError, match="duplicate entry 'a' at positions 0 and 2"):
        Corpus.read_uci(docword, tmp_path / "dup.txt")
    with pytest.raises(ValueError, match="no vocabulary"):
        Corpus.from_tokens([0], [0]).write_uci(tmp_path / "d.txt", tmp_path / "v.txt")
    with pytest.raises(ValueError, match="line break"):
        Corpus.from_tokens([0, 1], [0, 0], vocabulary=["a", "b\nc"]).write_uci(tmp_path / "d.txt",
                                                                                 tmp_path / "v.txt")
    with pytest.raises(TypeError, match="docword must be a path or a binary file"):
        Corpus.read_uci(42)


# ----------------------------------------------------------- Matrix Market
@pytest.mark.parametrize("name", ["m.mtx", "m.mtx.gz"])
def test_mm_round_trip_and_scipy_agrees(tmp_path, name):
    corpus = _corpus()
    path = tmp_path / name
    corpus.write_mm(path, tmp_path / "vocab.txt")
    assert Corpus.read_mm(path, tmp_path / "vocab.txt") == corpus
    np.testing.assert_array_equal(scipy.io.mmread(path).toarray(), corpus.toarray())


def test_mm_reads_what_gensim_and_scipy_write(tmp_path):
    from gensim.corpora import MmCorpus

    corpus = _corpus()
    MmCorpus.serialize(str(tmp_path / "g.mm"), list(corpus.to_gensim()))
    assert Corpus.read_mm(tmp_path / "g.mm").counts.toarray().tolist() == corpus.toarray().tolist()
    assert Corpus.from_gensim(MmCorpus(str(tmp_path / "g.mm"))).toarray().tolist() == corpus.toarray().tolist()
    scipy.io.mmwrite(tmp_path / "s.mtx", sp.coo_matrix(corpus.toarray().astype(float)))
    assert Corpus.read_mm(tmp_path / "s.mtx").toarray().tolist() == corpus.toarray().tolist()
    scipy.io.mmwrite(tmp_path / "dense.mtx", corpus.toarray())  # array layout: scipy reads it
    assert Corpus.read_mm(tmp_path / "dense.mtx").toarray().tolist() == corpus.toarray().tolist()
    sym = np.array([[1, 2], [2, 0]])
    scipy.io.mmwrite(tmp_path / "sym.mtx", sp.coo_matrix(sym), symmetry="symmetric")
    assert Corpus.read_mm(tmp_path / "sym.mtx").toarray().tolist() == sym.tolist()
    pattern = b"%%MatrixMarket matrix coordinate pattern general\n% c\n2 2 2\n1 2\n2 1\n"
    assert Corpus.read_mm(io.BytesIO(pattern)).toarray().tolist() == [[0, 1], [1, 0]]


BAD_MM = [
    ("1 1 1\n1 1 1\n", ValueError, "line 1: not a Matrix Market matrix header"),
    ("%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n", TypeError, "complex"),
    ("%%MatrixMarket matrix coordinate real general\n%\n\n2 2\n", ValueError, "line 4: expected the size line"),
    ("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 0.5\n", ValueError,
     "line 3: value is not an integer: '1 1 0.5'"),
    ("%%MatrixMarket matrix coordinate integer general\n2 2 2\n1 1 1\n% late comment\n1 3 1\n", ValueError,
     "line 5: column is out of range"),
    ("%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 -1\n", ValueError, "line 3: value is negative"),
    ("%%MatrixMarket matrix array real general\n2 1\n1.5\n1\n", ValueError, "integer"),
    ("%%MatrixMarket matrix coordinate integer general\n", ValueError, "line 2: file ends before the size line"),
]


@pytest.mark.parametrize("text,exc,match", BAD_MM)
def test_malformed_mm_is_reported(tmp_path, text, exc, match):
    path = tmp_path / "bad.mtx"
    path.write_text(text)
    with pytest.raises(exc, match=match):
        Corpus.read_mm(path)


# ------------------------------------------------ round trips (hypothesis)
@settings(max_examples=60, deadline=None)
@given(corpora(named=True))
def test_round_trip_through_uci_and_mm(corpus):
    for write, read in ((Corpus.write_uci, Corpus.read_uci), (Corpus.write_mm, Corpus.read_mm)):
        counts, vocab = io.BytesIO(), io.BytesIO()
        write(corpus, counts, vocab)
        counts.seek(0)
        vocab.seek(0)
        assert read(counts, vocab) == corpus


# -------------------------------------------------------------------- data
def test_example_data_is_reproducible_and_planted(tmp_path):
    spec = importlib.util.spec_from_file_location("make_example", os.path.join(DATA, "make_example.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make_example(tmp_path)
    for name in ("docword.example.txt", "vocab.example.txt", "topic_word.example.csv",
                 "domain_topic.example.csv"):
        assert filecmp.cmp(tmp_path / name, os.path.join(DATA, name), shallow=False), name
    corpus = Corpus.read_uci(os.path.join(DATA, "docword.example.txt"), os.path.join(DATA, "vocab.example.txt"))
    assert corpus.shape == (20, 24) and corpus.n_tokens == 20_000
    assert (corpus.domain_lengths() == 1000).all()
    topic_word = np.loadtxt(os.path.join(DATA, "topic_word.example.csv"), delimiter=",")
    np.testing.assert_allclose(topic_word.sum(axis=1), 1.0)
    anchors = [corpus.vocabulary.index(w) for w in ("x00", "x08", "x16")]
    assert ((topic_word[:, anchors] > 0).sum(axis=0) == 1).all()


def test_load_lee():
    from llstopic.datasets import load_lee

    corpus = load_lee()
    assert corpus.n_domains == 300 and corpus.domain_names[0] == "lee000"
    assert corpus.vocabulary == sorted(corpus.vocabulary)
    assert "the" not in corpus.vocabulary and "australia" in corpus.vocabulary
    domain_freq = np.bincount(corpus.counts.indices, minlength=corpus.n_words)
    assert domain_freq.min() >= 3 and domain_freq.max() <= 150
    assert 1000 < corpus.n_words < 5000 and corpus.domain_lengths().min() > 0


def test_text_mode_files_are_refused(tmp_path):
    _corpus().write_uci(tmp_path / "d.txt")
    with open(tmp_path / "d.txt") as f, pytest.raises(TypeError, match="binary mode"):
        Corpus.read_uci(f)
    with open(tmp_path / "e.txt", "w") as f, pytest.raises(TypeError, match="binary mode"):
        _corpus().write_mm(f)


def test_uci_reading_memory_follows_nnz_not_file_size(tmp_path, monkeypatch):
    """A 10 MB file of 50,000 padded lines is read with a few MB: blocks, not the whole file."""
    import tracemalloc

    monkeypatch.setattr(creading, "_BLOCK_BYTES", 1 << 19)
    n_docs, n_words, nnz = 500, 100, 50_000
    rng = np.random.default_rng(0)
    flat = np.sort(rng.choice(n_docs * n_words, nnz, replace=False))
    lines = [f"{f // n_words + 1} {f % n_words + 1} {c}".ljust(199) for f, c in
             zip(flat.tolist(), rng.integers(1, 9, nnz).tolist())]
    path = tmp_path / "docword.padded.txt"
    path.write_text(f"{n_docs}\n{n_words}\n{nnz}\n" + "\n".join(lines) + "\n")
    assert path.stat().st_size > 10_000_000
    Corpus.read_uci(io.BytesIO(b"1\n1\n1\n1 1 1\n"))  # load the numba kernels outside the measure
    tracemalloc.start()
    corpus = Corpus.read_uci(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert corpus.counts.nnz == nnz
    assert peak < 4 * 2**20  # 16 bytes per entry (0.8 MB) + two blocks of 0.5 MB + slack
