"""Reading text files of counts safely: bounded lines, checked headers, buffers sized by
what is read.

The low half of ``_io``: opening (gzip by magic bytes), header lines of at most
``_MAX_HEADER_BYTES``, the size checks every header goes through, and the
block-wise triplet parser (``llstopic._kernels.triplets``) whose buffers grow
with the entries actually read, never with what a header claims.  Every
problem is a ``ValueError`` naming the file and the line (``OSError`` naming
the file for file-system faults).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import zlib

import numpy as np
import scipy.sparse as sp

from .._kernels import triplets as _tk
from .._validation import INT64_MAX, check_memory, check_total

_BLOCK_BYTES = 1 << 24  # read files 16 MiB at a time
MAX_LINE_BYTES = 1 << 20  # a "line" longer than this is not a triplet (or comment) line
_MAX_HEADER_BYTES = 4096  # a header line longer than this is not a header line
_GZIP_MAGIC = b"\x1f\x8b"
DIGITS = re.compile(rb"[0-9]+")


def name_of(source):
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return getattr(source, "name", None) or f"<{type(source).__name__}>"


def check_source(source, name, mode):
    if isinstance(source, (str, os.PathLike)):
        return
    if not (hasattr(source, "read") or hasattr(source, "write")):
        raise TypeError(f"{name} must be a path or a binary file object, "
                        f"got {type(source).__name__}")
    if isinstance(source, io.TextIOBase):
        raise TypeError(f"{name} must be opened in binary mode ({mode!r}), got a text file")


@contextlib.contextmanager
def open_read(source, name):
    """Binary reader for a path or file object; gzip is detected by magic bytes."""
    check_source(source, name, "rb")
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


def read(f, size, fname, line, *, readline=False):
    """``f.read(size)`` (or ``f.readline(size)``); gzip and I/O errors name the file and line."""
    try:
        return f.readline(size) if readline else f.read(size)
    except EOFError:
        raise ValueError(f"{fname}, line {line}: the gzip data is truncated (it ends before its "
                         "end marker)") from None
    except (gzip.BadGzipFile, zlib.error):
        raise ValueError(f"{fname}, line {line}: corrupt gzip data") from None
    except OSError as exc:
        raise OSError(exc.errno, f"{exc.strerror or exc} (reading line {line})", fname) from None


def read_line(f, fname, line, limit=_MAX_HEADER_BYTES):
    """One line of at most ``limit`` bytes (``b""`` at the end of the file)."""
    raw = read(f, limit + 1, fname, line, readline=True)
    if len(raw) > limit and not raw.endswith(b"\n"):
        raise ValueError(f"{fname}, line {line}: line longer than {limit} bytes "
                         f"(starts {show(raw)})")
    return raw


def show(raw):
    """A short printable excerpt of a raw line, for messages."""
    text = raw.decode("utf-8", "replace").strip()
    return repr(text[:60]) + ("..." if len(text) > 60 else "")


def read_int_line(f, fname, line, what):
    """Read one line holding a single non-negative integer (a header line)."""
    raw = read_line(f, fname, line)
    if not raw:
        raise ValueError(f"{fname}, line {line}: file ends before the header line giving {what}")
    if not DIGITS.fullmatch(raw.strip()):
        raise ValueError(f"{fname}, line {line}: expected {what} (a non-negative integer), "
                         f"got {show(raw)}")
    return int(raw.strip())


def remaining_bytes(f):
    """Bytes left in an uncompressed, seekable file; None when unknown (gzip, pipes)."""
    if isinstance(f, gzip.GzipFile):
        return None
    try:
        where = f.tell()
        end = f.seek(0, io.SEEK_END)
        f.seek(where)
    except (AttributeError, OSError, ValueError):
        return None
    return max(int(end) - int(where), 0)


def check_sizes(fname, where, n_rows, n_cols, nnz, names, *, remaining=None, entry_bytes=6):
    """Range-check the sizes a header declares before anything is allocated from them.

    ``names`` are the header's names for rows, columns and entries (e.g.
    ``("D", "W", "NNZ")``); ``remaining`` the bytes left in the file, when known,
    and ``entry_bytes`` the fewest bytes an entry line takes.  The buffers of
    :func:`read_triplets` grow with what is read, so these checks are about
    clear messages and the memory that *does* follow the sizes (``indptr``).
    """
    rows_name, cols_name, nnz_name = names
    for value, what in ((n_rows, rows_name), (n_cols, cols_name)):
        if value < 1:
            raise ValueError(f"{fname}, {where}: {what} must be at least 1, got {value}")
    for value, what in ((n_rows, rows_name), (n_cols, cols_name), (nnz, nnz_name)):
        if value > INT64_MAX:
            raise ValueError(f"{fname}, {where}: {what} = {value} is too large: it must be at "
                             f"most {INT64_MAX}")
    if nnz is not None and nnz > n_rows * n_cols:
        raise ValueError(f"{fname}, {where}: {nnz_name} = {nnz} entries cannot fit in a "
                         f"{rows_name} x {cols_name} = {n_rows} x {n_cols} matrix")
    # a gross lie is refused at once; a near miss gets the parser's precise message
    if nnz is not None and remaining is not None and nnz * entry_bytes > 2 * remaining + 2:
        raise ValueError(f"{fname}, {where}: the header declares {nnz_name} = {nnz} entries but "
                         f"only {remaining} bytes follow (an entry line takes at least "
                         f"{entry_bytes})")
    check_memory(8 * (n_rows + 1) + 8 * n_cols,
                 f"{fname}: a matrix of {n_rows} x {n_cols} ({rows_name} x {cols_name})")


_REASONS = {
    _tk.BAD_CHARACTER: "{field} is not a non-negative integer",
    _tk.TOO_FEW_FIELDS: "expected {n_fields} numbers ({fields}), found fewer",
    _tk.TOO_MANY_FIELDS: "expected {n_fields} numbers ({fields}), found more",
    _tk.NEGATIVE: "{field} is negative",
    _tk.NOT_INTEGRAL: "{field} is not an integer",
    _tk.TOO_LARGE: "{field} is too large (at most 2**63 - 1)",
    _tk.ROW_OUT_OF_RANGE: "{field} is out of range: it must be between 1 and {n_rows}",
    _tk.COLUMN_OUT_OF_RANGE: "{field} is out of range: it must be between 1 and {n_cols}",
    _tk.TOO_MANY_ENTRIES: "more entries than the {capacity} the header declares",
}


def _grow(array, size, used):
    out = np.empty(size, dtype=array.dtype)
    out[:used] = array[:used]
    return out


def read_triplets(f, fname, first_line, n_fields, comment, n_rows, n_cols, nnz, field_names):
    """Parse every remaining line of ``f``; return 0-based rows, cols and values.

    The buffers start empty and grow with the lines of each block read (never
    beyond ``nnz``), so a header that claims more entries than the file holds
    costs nothing.
    """
    index_dtype = np.int32 if max(n_rows, n_cols) < 2**31 - 1 else np.int64
    rows = np.empty(0, dtype=index_dtype)
    cols = np.empty(0, dtype=index_dtype)
    values = np.empty(0, dtype=np.int64)
    status = np.zeros(_tk.STATUS_SIZE, dtype=np.int64)
    line_no = first_line
    carry = b""
    while True:
        block = read(f, _BLOCK_BYTES, fname, line_no)
        at_eof = not block
        data = carry + block if carry else block
        if at_eof:
            chunk, carry = data, b""
        else:
            cut = data.rfind(b"\n")
            chunk, carry = (b"", data) if cut < 0 else (data[: cut + 1], data[cut + 1:])
            if len(carry) > MAX_LINE_BYTES:
                extra = 0 if cut < 0 else chunk.count(b"\n")
                raise ValueError(f"{fname}, line {line_no + extra}: line longer than "
                                 f"{MAX_LINE_BYTES} bytes (starts {show(carry[:80])})")
        if chunk:
            used = int(status[_tk.N_ENTRIES])
            needed = min(nnz, used + chunk.count(b"\n") + 1)
            if needed > rows.shape[0]:
                size = min(nnz, max(needed, 2 * rows.shape[0]))
                rows, cols, values = (_grow(a, size, used) for a in (rows, cols, values))
            _tk.parse_triplets(np.frombuffer(chunk, dtype=np.uint8), n_fields, comment, n_rows,
                               n_cols, rows, cols, values, status)
            if status[_tk.ERROR] != _tk.OK:
                start = int(status[_tk.ERROR_OFFSET])
                end = chunk.find(b"\n", start)
                reason = _REASONS[int(status[_tk.ERROR])].format(
                    field=field_names[min(int(status[_tk.ERROR_FIELD]), 2)], n_fields=n_fields,
                    fields=" ".join(field_names[:n_fields]), n_rows=n_rows, n_cols=n_cols,
                    capacity=nnz)
                line = line_no + int(status[_tk.ERROR_LINE])
                raw_line = chunk[start: end if end >= 0 else len(chunk)]
                raise ValueError(f"{fname}, line {line}: {reason}: {show(raw_line)}")
            line_no += int(status[_tk.N_LINES])
        if at_eof:
            break
    found = int(status[_tk.N_ENTRIES])
    if found != nnz:
        raise ValueError(f"{fname}: the header declares {nnz} entries "
                         f"but the file holds {found}")
    return rows[:found], cols[:found], values[:found]


def triplets_to_csr(rows, cols, values, shape, fname):
    """Canonical int64 CSR from 0-based triplets (duplicates summed, zeros dropped)."""
    check_total(values, fname)  # no sum of counts, duplicates included, can wrap
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
