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

_INT64_MAX = 9223372036854775807
_MAX_EXPONENT = 1000000  # larger exponents are clamped: the value is 0, too large or fractional

_SPACE, _TAB, _CR, _LF = 32, 9, 13, 10
_ZERO, _NINE, _DOT, _PLUS, _MINUS = 48, 57, 46, 43, 45
_LOWER_E, _UPPER_E = 101, 69


@nb.njit(**_NJIT)
def _times_ten(value, digit):
    """``value * 10 + digit``, or -1 when that exceeds int64 (value >= 0, 0 <= digit <= 9)."""
    if value > (_INT64_MAX - digit) // 10:
        return -1
    return value * 10 + digit


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
    values : OUT int64 (capacity,), the values.  Every number is decimal digits
        (leading zeros allowed) with an optional ``+``, at most 2**63 - 1; a
        value may also be written as a real number with an integral value
        ("3.0", "3.", "1e2", "1.5E1"); other fractions are NOT_INTEGRAL, a
        minus sign is NEGATIVE
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
            shift = 0  # the number is value * 10**shift
            while _ZERO <= c <= _NINE:
                value = _times_ten(value, c - _ZERO)
                if value < 0:
                    error = TOO_LARGE
                    break
                digits += 1
                pos += 1
                if pos >= n:
                    break
                c = buf[pos]
            if error != OK:
                break
            at_end = pos >= n
            if field == 2 and not at_end and c == _DOT:
                # a real number: fraction digits join the mantissa; zeros wait until a
                # non-zero digit follows, so "3.000" stays 3 without any multiplication
                pos += 1
                zeros = 0
                while pos < n and _ZERO <= buf[pos] <= _NINE:
                    d = buf[pos] - _ZERO
                    digits += 1
                    if d == 0:
                        zeros += 1
                    else:
                        for _ in range(zeros):
                            value = _times_ten(value, 0)
                            if value < 0:
                                break
                        if value >= 0:
                            value = _times_ten(value, d)
                        if value < 0:
                            error = TOO_LARGE
                            break
                        shift -= zeros + 1
                        zeros = 0
                    pos += 1
                if error != OK:
                    break
                at_end = pos >= n
                if not at_end:
                    c = buf[pos]
            if digits == 0:
                error = BAD_CHARACTER
                break
            if field == 2 and not at_end and (c == _LOWER_E or c == _UPPER_E):
                pos += 1
                negative = False
                if pos < n and (buf[pos] == _PLUS or buf[pos] == _MINUS):
                    negative = buf[pos] == _MINUS
                    pos += 1
                exponent = 0
                exponent_digits = 0
                while pos < n and _ZERO <= buf[pos] <= _NINE:
                    if exponent < _MAX_EXPONENT:
                        exponent = exponent * 10 + (buf[pos] - _ZERO)
                    exponent_digits += 1
                    pos += 1
                if exponent_digits == 0:
                    error = BAD_CHARACTER
                    break
                shift += -exponent if negative else exponent
                at_end = pos >= n
                if not at_end:
                    c = buf[pos]
            if not at_end and not (c == _SPACE or c == _TAB or c == _CR or c == _LF):
                error = BAD_CHARACTER
                break
            if value != 0:
                while shift > 0:
                    value = _times_ten(value, 0)
                    if value < 0:
                        break
                    shift -= 1
                if value < 0:
                    error = TOO_LARGE
                    break
                while shift < 0:
                    if value % 10 != 0:
                        break
                    value //= 10
                    shift += 1
                if shift < 0:
                    error = NOT_INTEGRAL
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
