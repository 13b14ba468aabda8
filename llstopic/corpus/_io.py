"""Corpus files: UCI bag-of-words, Matrix Market and vocabulary files.

The functions here turn files into canonical CSR count matrices (int64 data,
sorted indices, no duplicates, no explicit zeros) and back.
``llstopic.corpus.Corpus`` wraps them as methods; nothing here is public.

Reading (``_reading``): files are read in blocks and parsed by a numba kernel
(``llstopic._kernels.triplets``), so memory follows the number of entries
actually read, not the size of the file nor what its header claims; header
lines are bounded and range-checked; every malformed line is reported with
its file and line number.  ``.gz`` files are recognised by their magic bytes.

Writing: everything is validated and the vocabulary encoded before a byte is
written; paths are written to temporary files in the same folder and then
replaced (``llstopic._files.replacing``), a docword/vocab pair together, so a
failure leaves the old files as they were.  ``.gz`` paths are gzipped.
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from .._files import replacing
from .._kernels import triplets as _tk
from .._validation import check_count_matrix, check_memory
from . import _reading as _r

_WRITE_ENTRIES = 1 << 20  # format this many entries per write
_MAX_WORD_BYTES = 1 << 16  # a vocabulary line longer than this is not a word


# -------------------------------------------------------------- vocabulary
def read_vocab(vocab, n_words, name="vocab"):
    """Words, one per line (UTF-8); there must be exactly ``n_words``."""
    fname = _r.name_of(vocab)
    words = []
    with _r.open_read(vocab, name) as f:
        while True:
            line = len(words) + 1
            raw = _r.read_line(f, fname, line, _MAX_WORD_BYTES)
            if not raw:
                break
            if len(words) == n_words:
                raise ValueError(f"{name} {fname!r} has more than {n_words} words (line {line}: "
                                 f"{_r.show(raw)}) but the corpus has n_words = {n_words}")
            try:
                word = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValueError(f"{fname}, line {line}: not valid UTF-8 (byte {exc.start + 1} of "
                                 f"the line: {raw[exc.start:exc.start + 4]!r})") from None
            word = word[:-1] if word.endswith("\n") else word
            words.append(word[:-1] if word.endswith("\r") else word)
    if len(words) != n_words:
        raise ValueError(f"{name} {fname!r} has {len(words)} words "
                         f"but the corpus has n_words = {n_words}")
    return words


def encode_vocab(vocabulary):
    """The vocabulary file's bytes; ValueError for a word that cannot be written one per line."""
    for i, w in enumerate(vocabulary):
        if "\n" in w or "\r" in w:
            raise ValueError(f"vocabulary[{i}] = {w!r} contains a line break; "
                             f"it cannot be written one per line")
    try:
        return ("\n".join(vocabulary) + "\n").encode("utf-8")
    except UnicodeEncodeError as exc:
        i = next(i for i, w in enumerate(vocabulary) if not _encodable(w))
        raise ValueError(f"vocabulary[{i}] = {vocabulary[i]!r} cannot be written as UTF-8 "
                         f"({exc.reason})") from None


def _encodable(word):
    try:
        word.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


# --------------------------------------------------------------------- UCI
_UCI_FIELDS = ("docID", "wordID", "count")


def read_uci(docword):
    """Parse a UCI ``docword`` file; return its canonical CSR counts of shape (D, W) (it may hold
    no tokens)."""
    fname = _r.name_of(docword)
    with _r.open_read(docword, "docword") as f:
        n_docs = _r.read_int_line(f, fname, 1, "D, the number of documents")
        n_words = _r.read_int_line(f, fname, 2, "W, the number of words")
        nnz = _r.read_int_line(f, fname, 3, "NNZ, the number of (docID, wordID, count) lines")
        for value, what, line in ((n_docs, "D", 1), (n_words, "W", 2)):
            if value < 1:
                raise ValueError(f"{fname}, line {line}: {what} must be at least 1, got {value}")
        _r.check_sizes(fname, "lines 1-3", n_docs, n_words, nnz, ("D", "W", "NNZ"),
                       remaining=_r.remaining_bytes(f))
        rows, cols, values = _r.read_triplets(f, fname, 4, 3, -1, n_docs, n_words, nnz,
                                              _UCI_FIELDS)
    return _r.triplets_to_csr(rows, cols, values, (n_docs, n_words), fname)


def _write_entries(f, counts):
    """Write ``row col value`` lines (1-based) for every non-zero of CSR ``counts``."""
    indptr, indices, data = counts.indptr, counts.indices, counts.data
    out = np.empty(min(_WRITE_ENTRIES, max(counts.nnz, 1)) * 60, dtype=np.uint8)
    for a in range(0, counts.nnz, _WRITE_ENTRIES):
        b = min(a + _WRITE_ENTRIES, counts.nnz)
        rows = np.searchsorted(indptr, np.arange(a, b), side="right") - 1
        used = _tk.format_triplets(rows, indices[a:b], data[a:b], out)
        f.write(memoryview(out[:used]))


def _uci_body(counts):
    def write(f):
        f.write(f"{counts.shape[0]}\n{counts.shape[1]}\n{counts.nnz}\n".encode())
        _write_entries(f, counts)
    return write


def _mm_body(counts):
    def write(f):
        f.write(b"%%MatrixMarket matrix coordinate integer general\n"
                b"% llstopic Corpus: rows are domains (documents), columns are words\n")
        f.write(f"{counts.shape[0]} {counts.shape[1]} {counts.nnz}\n".encode())
        _write_entries(f, counts)
    return write


def _check_writable(counts):
    """The counts of a Corpus are canonical, unless changed in place since: check cheaply."""
    indptr, indices, data = counts.indptr, counts.indices, counts.data
    if not (indptr.shape[0] == counts.shape[0] + 1 and indptr[0] == 0
            and indptr[-1] == indices.shape[0] == data.shape[0] and (np.diff(indptr) >= 0).all()
            and (indices.size == 0 or (indices.min() >= 0 and indices.max() < counts.shape[1]))
            and (data.size == 0 or data.min() >= 0) and data.dtype == np.int64):
        raise ValueError("the Corpus' counts were modified in place and are no longer valid "
                         "CSR counts; rebuild it with Corpus.from_matrix")


def write_corpus(counts, vocabulary, docword, vocab, layout):
    """Write ``counts`` (UCI when ``layout == "uci"``, else Matrix Market) and the vocabulary.

    Everything is checked (the counts, the targets, every word) before
    anything is written; path targets are replaced together at the end.
    """
    _check_writable(counts)
    targets = [(docword, "docword" if layout == "uci" else "path",
                _uci_body(counts) if layout == "uci" else _mm_body(counts))]
    if vocab is not None:
        if vocabulary is None:
            raise ValueError("vocab was given but this Corpus has no vocabulary to write")
        data = encode_vocab(vocabulary)
        targets.append((vocab, "vocab", lambda f: f.write(data)))
    for target, name, _ in targets:
        _r.check_source(target, name, "wb")
    check_memory(60 * min(counts.nnz, _WRITE_ENTRIES), "the write buffer")
    paths = [(t, w) for t, _, w in targets if isinstance(t, (str, os.PathLike))]
    for target, _, write in targets:  # file objects cannot be replaced: written first
        if not isinstance(target, (str, os.PathLike)):
            write(target)
    if paths:
        with replacing(*(t for t, _ in paths)) as files:
            for (target, write), fh in zip(paths, files):
                if os.fspath(target).endswith(".gz"):
                    with gzip.GzipFile(filename=os.path.basename(os.fspath(target)), mode="wb",
                                       fileobj=fh, compresslevel=6) as gz:
                        write(gz)
                else:
                    write(fh)


# ----------------------------------------------------------- Matrix Market
_MM_FIELDS = ("row", "column", "value")


def _mm_size_line(f, fname, header):
    """Skip comments; return (line number, the numbers of the size line)."""
    line_no = 2
    while True:
        raw = _r.read_line(f, fname, line_no, _r.MAX_LINE_BYTES)
        if not raw:
            raise ValueError(f"{fname}, line {line_no}: file ends before the size line")
        text = raw.strip()
        if text and not text.startswith(b"%"):
            break
        line_no += 1
    size = text.split()
    expected = 2 if header[2] == "array" else 3
    if len(size) != expected or not all(_r.DIGITS.fullmatch(s) for s in size):
        what = "'rows columns'" if expected == 2 else "'rows columns entries'"
        raise ValueError(f"{fname}, line {line_no}: expected the size line {what}, "
                         f"got {_r.show(raw)}")
    return line_no, [int(s) for s in size]


def read_mm(path):
    """Parse a Matrix Market file of counts; return canonical CSR (it may hold no tokens).

    Coordinate files with an integer, real or pattern field and general
    symmetry (what gensim and scipy write) are parsed here, line by line with
    line numbers in errors; any other layout goes through ``scipy.io.mmread``
    once its size line has been checked.
    """
    fname = _r.name_of(path)
    with _r.open_read(path, "path") as f:
        raw = _r.read_line(f, fname, 1)
        tokens = raw.decode("utf-8", "replace").lower().split()
        if len(tokens) != 5 or tokens[0] != "%%matrixmarket" or tokens[1] != "matrix" \
                or tokens[2] not in ("coordinate", "array"):
            raise ValueError(f"{fname}, line 1: not a Matrix Market matrix header "
                             f"('%%MatrixMarket matrix coordinate|array ...'): {_r.show(raw)}")
        layout, field, symmetry = tokens[2:]
        if field == "complex":
            raise TypeError(f"{fname}: holds complex values; counts must be integers")
        line_no, size = _mm_size_line(f, fname, tokens)
        n_rows, n_cols = size[0], size[1]
        nnz = size[2] if layout == "coordinate" else n_rows * n_cols
        native = layout == "coordinate" and symmetry == "general" \
            and field in ("integer", "real", "pattern")
        n_fields = 2 if field == "pattern" else 3
        _r.check_sizes(fname, f"line {line_no}", n_rows, n_cols, nnz,
                       ("rows", "columns", "entries"), remaining=_r.remaining_bytes(f),
                       entry_bytes=2 * n_fields if layout == "coordinate" else 2)
        if native:
            rows, cols, values = _r.read_triplets(f, fname, line_no + 1, n_fields, ord("%"),
                                                  n_rows, n_cols, nnz, _MM_FIELDS)
    if native:
        return _r.triplets_to_csr(rows, cols, values, (n_rows, n_cols), fname)
    return _read_mm_with_scipy(path, fname, (layout, field, symmetry), nnz)


def _read_mm_with_scipy(path, fname, header, nnz):
    import scipy.io

    check_memory(48 * nnz, f"{fname}: {nnz} Matrix Market entries ({' '.join(header)})")
    if not isinstance(path, (str, os.PathLike)):
        try:
            path.seek(0)
        except (AttributeError, OSError, ValueError):
            raise ValueError(f"{fname}: a Matrix Market {' '.join(header)} file is read by "
                             "scipy.io.mmread, which needs a path or a seekable file") from None
    try:
        matrix = scipy.io.mmread(path)
    except (ValueError, TypeError, IndexError, OverflowError, EOFError) as exc:
        raise ValueError(f"{fname}: could not read the Matrix Market {' '.join(header)} data "
                         f"(scipy.io.mmread: {str(exc)[:120]})") from None
    return check_count_matrix(matrix, fname, require_tokens=False)
