"""Numba kernels that parse and format text lines of integer triplets.

The UCI bag-of-words ``docword`` files and Matrix Market coordinate files hold
one ``row col value`` line per non-zero (1-based ids).  ``parse_triplets``
reads a block of such lines from a byte buffer, checks every field (digits,
ranges, integral values) and reports the first problem as an error code and a
line, so that the caller can raise a message naming the file, the line number
and the line itself.  ``format_triplets`` writes them back.

Conventions: plain arrays in, caller-allocated arrays out, arguments marked IN
or OUT.  The parser never reads outside ``buf`` and never writes beyond
``capacity``; it is the only code that sees the raw bytes.
"""

import numba as nb
import numpy as np

_NJIT = dict(cache=True, nogil=True)

# status array layout (OUT argument of ``parse_triplets``)
N_ENTRIES = 0  # entries written so far (including those before this call)
N_LINES = 1  # complete lines consumed in this call
ERROR = 2  # 0, or one of the codes below
ERROR_LINE = 3  # 0-based line of the error within this call's buffer
ERROR_FIELD = 4  # 0-based field of the error
ERROR_OFFSET = 5  # byte offset in ``buf`` where the bad line starts
STATUS_SIZE = 6

OK = 0
BAD_CHARACTER = 1
TOO_FEW_FIELDS = 2
TOO_MANY_FIELDS = 3
NEGATIVE = 4
NOT_INTEGRAL = 5
TOO_LARGE = 6
ROW_OUT_OF_RANGE = 7
COLUMN_OUT_OF_RANGE = 8
TOO_MANY_ENTRIES = 9

_MAX_DIGITS = 18  # 10**18 - 1 fits in int64

_SPACE, _TAB, _CR, _LF = 32, 9, 13, 10
_ZERO, _NINE, _DOT, _PLUS, _MINUS = 48, 57, 46, 43, 45


@nb.njit(**_NJIT)
def parse_triplets(buf, n_fields, comment, n_rows, n_cols, rows, cols, values, status):
    """Parse whitespace-separated ``row col [value]`` lines.

    buf : IN uint8 (n_bytes,), whole lines only; the last line need not end in
        a newline.  Blank lines are skipped; so are lines whose first
        non-blank byte is ``comment`` (pass -1 for none).
    n_fields : IN int, 3 (row col value) or 2 (row col; the value is 1)
    n_rows, n_cols : IN int, ids must satisfy ``1 <= row <= n_rows`` and
        ``1 <= col <= n_cols``
    rows, cols : OUT int (capacity,), 0-based ids written at
        ``status[N_ENTRIES]`` onwards
    values : OUT int64 (capacity,), the values; a value may have a fractional
        part made of zeros only ("3.0"); signs, exponents and other fractions
        are errors
    status : IN/OUT int64 (STATUS_SIZE,), ``status[N_ENTRIES]`` is the number
        of entries already written on entry and on exit; the other slots are
        written (see the module constants)

    Parsing stops at the first error; entries of earlier lines stay written.
    """
    capacity = rows.shape[0]
    n = buf.shape[0]
    k = status[N_ENTRIES]
    status[ERROR] = OK
    status[ERROR_LINE] = 0
    status[ERROR_FIELD] = 0
    status[ERROR_OFFSET] = 0
    line = 0
    pos = 0
    fields = np.zeros(3, dtype=np.int64)
    while pos < n:
        line_start = pos
        # skip leading blanks
        while pos < n and (buf[pos] == _SPACE or buf[pos] == _TAB or buf[pos] == _CR):
            pos += 1
        if pos >= n or buf[pos] == _LF or buf[pos] == comment:
            while pos < n and buf[pos] != _LF:
                pos += 1
            pos += 1
            line += 1
            continue
        error = OK
        field = 0
        while True:
            # one field starts at pos (not blank, not end of line)
            c = buf[pos]
            if field == n_fields:
                error = TOO_MANY_FIELDS
                break
            if c == _MINUS:
                error = NEGATIVE
                break
            if c == _PLUS:
                pos += 1
                if pos >= n:
                    error = BAD_CHARACTER
                    break
                c = buf[pos]
            value = 0
            digits = 0
            while _ZERO <= c <= _NINE:
                if digits == _MAX_DIGITS:
                    error = TOO_LARGE
                    break
                value = value * 10 + (c - _ZERO)
                digits += 1
                pos += 1
                if pos >= n:
                    break
                c = buf[pos]
            if error != OK:
                break
            at_end = pos >= n
            if not at_end and c == _DOT and field == 2:
                # "3." or "3.000" is an integer written as a real number
                pos += 1
                while pos < n and buf[pos] == _ZERO:
                    pos += 1
                at_end = pos >= n
                if not at_end:
                    c = buf[pos]
                    if _ZERO <= c <= _NINE:
                        error = NOT_INTEGRAL
                        break
            if digits == 0:
                error = BAD_CHARACTER
                break
            if not at_end and not (c == _SPACE or c == _TAB or c == _CR or c == _LF):
                error = BAD_CHARACTER
                break
            fields[field] = value
            field += 1
            while pos < n and (buf[pos] == _SPACE or buf[pos] == _TAB or buf[pos] == _CR):
                pos += 1
            if pos >= n or buf[pos] == _LF:
                break
        if error == OK and field < n_fields:
            error = TOO_FEW_FIELDS
        if error == OK:
            if fields[0] < 1 or fields[0] > n_rows:
                error = ROW_OUT_OF_RANGE
                field = 0
            elif fields[1] < 1 or fields[1] > n_cols:
                error = COLUMN_OUT_OF_RANGE
                field = 1
            elif k >= capacity:
                error = TOO_MANY_ENTRIES
        if error != OK:
            status[N_ENTRIES] = k
            status[N_LINES] = line
            status[ERROR] = error
            status[ERROR_LINE] = line
            status[ERROR_FIELD] = field
            status[ERROR_OFFSET] = line_start
            return
        rows[k] = fields[0] - 1
        cols[k] = fields[1] - 1
        values[k] = fields[2] if n_fields == 3 else 1
        k += 1
        pos += 1  # past the newline
        line += 1
    status[N_ENTRIES] = k
    status[N_LINES] = line


@nb.njit(**_NJIT)
def _write_int(out, pos, value):
    """Write the decimal digits of a non-negative int at out[pos:]; return the end."""
    if value == 0:
        out[pos] = _ZERO
        return pos + 1
    end = pos
    v = value
    while v > 0:
        v //= 10
        end += 1
    p = end
    v = value
    while v > 0:
        p -= 1
        out[p] = _ZERO + v % 10
        v //= 10
    return end


@nb.njit(**_NJIT)
def format_triplets(rows, cols, values, out):
    """Write ``"row+1 col+1 value\\n"`` for each entry; return the bytes used.

    rows, cols : IN int (n,), 0-based, non-negative
    values : IN int64 (n,), non-negative
    out : OUT uint8, at least ``n * 60`` bytes (3 numbers of <= 19 digits + separators)
    """
    pos = 0
    for i in range(rows.shape[0]):
        pos = _write_int(out, pos, rows[i] + 1)
        out[pos] = _SPACE
        pos = _write_int(out, pos + 1, cols[i] + 1)
        out[pos] = _SPACE
        pos = _write_int(out, pos + 1, values[i])
        out[pos] = _LF
        pos += 1
    return pos
