"""Corpus files: UCI bag-of-words, Matrix Market and vocabulary files.

The functions here turn files and foreign corpora into canonical CSR count
matrices (int64 data, sorted indices, no duplicates, no explicit zeros) and
back.  ``llstopic.corpus.Corpus`` wraps them as methods; nothing here is
public.

Files are read in blocks and parsed by a numba kernel
(``llstopic._kernels.triplets``), so memory follows the number of non-zeros,
not the size of the file, and every malformed line is reported with its line
number.  ``.gz`` files are recognised by their magic bytes when reading and by
their name when writing.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os

import numpy as np
import scipy.sparse as sp

from .._kernels import triplets as _tk
from .._validation import check_count_matrix

_BLOCK_BYTES = 1 << 24  # read files 16 MiB at a time
_MAX_LINE_BYTES = 1 << 26  # a "line" longer than this is not a triplet line
_WRITE_ENTRIES = 1 << 20  # format this many entries per write
_GZIP_MAGIC = b"\x1f\x8b"


# ------------------------------------------------------------------ files
def _name(source):
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return getattr(source, "name", None) or f"<{type(source).__name__}>"


def _check_source(source, name):
    if isinstance(source, (str, os.PathLike)):
        return
    if not (hasattr(source, "read") or hasattr(source, "write")):
        raise TypeError(f"{name} must be a path or a binary file object, "
                        f"got {type(source).__name__}")


@contextlib.contextmanager
def _open_read(source, name):
    """Binary reader for a path or file object; gzip is detected by magic bytes."""
    _check_source(source, name)
    if isinstance(source, io.TextIOBase):
        raise TypeError(f"{name} must be opened in binary mode ('rb'), got a text file")
    with contextlib.ExitStack() as stack:
        if isinstance(source, (str, os.PathLike)):
            raw = stack.enter_context(open(source, "rb"))
        else:
            raw = source
        if hasattr(raw, "peek"):
            head = raw.peek(2)[:2]
        elif hasattr(raw, "seekable") and raw.seekable():
            where = raw.tell()
            head = raw.read(2)
            raw.seek(where)
        else:
            head = b""
        if head == _GZIP_MAGIC:
            raw = stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))
        yield raw


@contextlib.contextmanager
def _open_write(target, name):
    """Binary writer for a path (gzip when it ends in .gz) or a file object."""
    _check_source(target, name)
    if isinstance(target, io.TextIOBase):
        raise TypeError(f"{name} must be opened in binary mode ('wb'), got a text file")
    if isinstance(target, (str, os.PathLike)):
        if os.fspath(target).endswith(".gz"):
            with gzip.open(target, "wb", compresslevel=6) as f:
                yield f
        else:
            with open(target, "wb") as f:
                yield f
    else:
        yield target


def _read_int_line(f, fname, line_no, what):
    """Read one line holding a single non-negative integer (a header line)."""
    raw = f.readline()
    text = raw.decode("utf-8", "replace").strip()
    if not raw:
        raise ValueError(f"{fname}, line {line_no}: file ends before the header line giving {what}")
    if not text.isdigit():
        raise ValueError(f"{fname}, line {line_no}: expected {what} (a non-negative integer), "
                         f"got {text[:80]!r}")
    return int(text)


_REASONS = {
    _tk.BAD_CHARACTER: "{field} is not a non-negative integer",
    _tk.TOO_FEW_FIELDS: "expected {n_fields} numbers ({fields}), found fewer",
    _tk.TOO_MANY_FIELDS: "expected {n_fields} numbers ({fields}), found more",
    _tk.NEGATIVE: "{field} is negative",
    _tk.NOT_INTEGRAL: "{field} is not an integer",
    _tk.TOO_LARGE: "{field} is too large",
    _tk.ROW_OUT_OF_RANGE: "{field} is out of range: it must be between 1 and {n_rows}",
    _tk.COLUMN_OUT_OF_RANGE: "{field} is out of range: it must be between 1 and {n_cols}",
    _tk.TOO_MANY_ENTRIES: "more entries than the {capacity} the header declares",
}


def _read_triplets(f, fname, first_line, n_fields, comment, n_rows, n_cols, capacity, field_names):
    """Parse every remaining line of ``f``; return 0-based rows, cols and values."""
    index_dtype = np.int32 if max(n_rows, n_cols) < 2**31 - 1 else np.int64
    rows = np.empty(capacity, dtype=index_dtype)
    cols = np.empty(capacity, dtype=index_dtype)
    values = np.empty(capacity, dtype=np.int64)
    status = np.zeros(_tk.STATUS_SIZE, dtype=np.int64)
    line_no = first_line
    carry = b""
    while True:
        block = f.read(_BLOCK_BYTES)
        at_eof = not block
        data = carry + block if carry else block
        if at_eof:
            chunk, carry = data, b""
        else:
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) > _MAX_LINE_BYTES:
                    raise ValueError(f"{fname}, line {line_no}: line longer than "
                                     f"{_MAX_LINE_BYTES} bytes")
                carry = data
                continue
            chunk, carry = data[: cut + 1], data[cut + 1:]
        if chunk:
            buf = np.frombuffer(chunk, dtype=np.uint8)
            _tk.parse_triplets(buf, n_fields, comment, n_rows, n_cols, rows, cols, values, status)
            if status[_tk.ERROR] != _tk.OK:
                start = int(status[_tk.ERROR_OFFSET])
                end = chunk.find(b"\n", start)
                raw_line = chunk[start: end if end >= 0 else len(chunk)]
                text = raw_line.decode("utf-8", "replace").strip()
                reason = _REASONS[int(status[_tk.ERROR])].format(
                    field=field_names[min(int(status[_tk.ERROR_FIELD]), 2)], n_fields=n_fields,
                    fields=" ".join(field_names[:n_fields]), n_rows=n_rows, n_cols=n_cols,
                    capacity=capacity)
                line = line_no + int(status[_tk.ERROR_LINE])
                raise ValueError(f"{fname}, line {line}: {reason}: {text[:80]!r}")
            line_no += int(status[_tk.N_LINES])
        if at_eof:
            break
    found = int(status[_tk.N_ENTRIES])
    if found != capacity:
        raise ValueError(f"{fname}: the header declares {capacity} entries "
                         f"but the file holds {found}")
    return rows, cols, values


def _triplets_to_csr(rows, cols, values, shape):
    """Canonical int64 CSR from 0-based triplets (duplicates summed, zeros dropped)."""
    n_rows = shape[0]
    if rows.size:
        same_row = rows[1:] == rows[:-1]
        canonical = bool(np.all((rows[1:] > rows[:-1]) | (same_row & (cols[1:] > cols[:-1]))))
        del same_row
    else:
        canonical = True
    if canonical:
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        mat = sp.csr_matrix((values, cols, indptr), shape=shape)
        mat.has_sorted_indices = True
        mat.has_canonical_format = True
    else:
        mat = sp.coo_matrix((values, (rows, cols)), shape=shape).tocsr()
        mat.sum_duplicates()
        mat.sort_indices()
    if mat.nnz and (mat.data == 0).any():
        mat.eliminate_zeros()
    return mat


def _require_tokens(mat, fname):
    if mat.nnz == 0:
        raise ValueError(f"{fname} holds no tokens; a corpus needs at least one")


# -------------------------------------------------------------- vocabulary
def read_vocab(vocab, n_words, name="vocab"):
    """Words, one per line (UTF-8); there must be exactly ``n_words``."""
    fname = _name(vocab)
    with _open_read(vocab, name) as f:
        text = f.read().decode("utf-8")
    words = text.split("\n")
    if words and words[-1] == "":
        words.pop()
    words = [w[:-1] if w.endswith("\r") else w for w in words]
    if len(words) != n_words:
        raise ValueError(f"{name} {fname!r} has {len(words)} words "
                         f"but the corpus has n_words = {n_words}")
    return words


def write_vocab(vocabulary, vocab, name="vocab"):
    if vocabulary is None:
        raise ValueError(f"{name} was given but this corpus has no vocabulary to write")
    for i, w in enumerate(vocabulary):
        if "\n" in w or "\r" in w:
            raise ValueError(f"vocabulary[{i}] = {w!r} contains a line break; "
                             f"it cannot be written one per line")
    with _open_write(vocab, name) as f:
        f.write(("\n".join(vocabulary) + "\n").encode("utf-8"))


# --------------------------------------------------------------------- UCI
_UCI_FIELDS = ("docID", "wordID", "count")


def read_uci(docword):
    """Parse a UCI ``docword`` file; return its canonical CSR counts of shape (D, W)."""
    fname = _name(docword)
    with _open_read(docword, "docword") as f:
        n_docs = _read_int_line(f, fname, 1, "D, the number of documents")
        n_words = _read_int_line(f, fname, 2, "W, the number of words")
        nnz = _read_int_line(f, fname, 3, "NNZ, the number of (docID, wordID, count) lines")
        for value, what, line in ((n_docs, "D", 1), (n_words, "W", 2)):
            if value < 1:
                raise ValueError(f"{fname}, line {line}: {what} must be at least 1, got {value}")
        rows, cols, values = _read_triplets(f, fname, 4, 3, -1, n_docs, n_words, nnz, _UCI_FIELDS)
    mat = _triplets_to_csr(rows, cols, values, (n_docs, n_words))
    _require_tokens(mat, fname)
    return mat


def _write_entries(f, counts):
    """Write ``row col value`` lines (1-based) for every non-zero of CSR ``counts``."""
    indptr, indices, data = counts.indptr, counts.indices, counts.data
    out = np.empty(min(_WRITE_ENTRIES, max(counts.nnz, 1)) * 60, dtype=np.uint8)
    for a in range(0, counts.nnz, _WRITE_ENTRIES):
        b = min(a + _WRITE_ENTRIES, counts.nnz)
        rows = np.searchsorted(indptr, np.arange(a, b), side="right") - 1
        used = _tk.format_triplets(rows, indices[a:b], data[a:b], out)
        f.write(memoryview(out[:used]))


def write_uci(counts, docword):
    with _open_write(docword, "docword") as f:
        f.write(f"{counts.shape[0]}\n{counts.shape[1]}\n{counts.nnz}\n".encode())
        _write_entries(f, counts)


# ----------------------------------------------------------- Matrix Market
_MM_FIELDS = ("row", "column", "value")


def read_mm(path):
    """Parse a Matrix Market file of counts; return canonical CSR.

    Coordinate files with an integer, real or pattern field and general
    symmetry (what gensim and scipy write) are parsed here, line by line with
    line numbers in errors; any other layout goes through ``scipy.io.mmread``.
    """
    fname = _name(path)
    with _open_read(path, "path") as f:
        header = f.readline().decode("utf-8", "replace")
        tokens = header.lower().split()
        if len(tokens) != 5 or tokens[0] != "%%matrixmarket" or tokens[1] != "matrix":
            raise ValueError(f"{fname}, line 1: not a Matrix Market matrix header "
                             f"('%%MatrixMarket matrix ...'): {header.strip()[:80]!r}")
        layout, field, symmetry = tokens[2:]
        if field == "complex":
            raise TypeError(f"{fname}: holds complex values; counts must be integers")
        native = (layout == "coordinate" and symmetry == "general"
                  and field in ("integer", "real", "pattern"))
        if native:
            line_no = 2
            while True:
                raw = f.readline()
                text = raw.decode("utf-8", "replace").strip()
                if not raw:
                    raise ValueError(f"{fname}, line {line_no}: file ends before the size line")
                if text and not text.startswith("%"):
                    break
                line_no += 1
            size = text.split()
            if len(size) != 3 or not all(s.isdigit() for s in size):
                raise ValueError(f"{fname}, line {line_no}: expected the size line "
                                 f"'rows columns entries', got {text[:80]!r}")
            n_rows, n_cols, nnz = (int(s) for s in size)
            if n_rows < 1 or n_cols < 1:
                raise ValueError(f"{fname}, line {line_no}: the matrix must have at least one "
                                 f"row and one column, got {n_rows} x {n_cols}")
            n_fields = 2 if field == "pattern" else 3
            rows, cols, values = _read_triplets(f, fname, line_no + 1, n_fields, ord("%"), n_rows,
                                                n_cols, nnz, _MM_FIELDS)
    if not native:
        import scipy.io

        if not isinstance(path, (str, os.PathLike)):
            path.seek(0)
        try:
            matrix = scipy.io.mmread(path)
        except Exception as exc:  # scipy's own parse errors
            raise ValueError(f"{fname}: could not read Matrix Market {layout}/{field}/{symmetry} "
                             f"data: {exc}") from None
        return check_count_matrix(matrix, fname, require_tokens=True)
    mat = _triplets_to_csr(rows, cols, values, (n_rows, n_cols))
    _require_tokens(mat, fname)
    return mat


def write_mm(counts, path):
    with _open_write(path, "path") as f:
        f.write(b"%%MatrixMarket matrix coordinate integer general\n"
                b"% llstopic Corpus: rows are domains (documents), columns are words\n")
        f.write(f"{counts.shape[0]} {counts.shape[1]} {counts.nnz}\n".encode())
        _write_entries(f, counts)
