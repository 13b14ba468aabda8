"""Declarative parameter constraints, in the spirit of scikit-learn's ``_parameter_constraints``.

A constraint list names every kind of value a parameter accepts; a value is
valid when it satisfies one of them.  Entries are

* ``None`` -- the value ``None``;
* ``"boolean"`` -- ``True``/``False`` (``numpy.bool_`` too), and nothing else;
* ``"random_state"`` -- ``None``, an int >= 0, a numpy ``Generator`` or ``RandomState``;
* ``"array-like"`` -- a list, tuple or ndarray (its contents are checked elsewhere);
* :class:`Interval` -- integers or real numbers between bounds (booleans are never numbers);
* :class:`Options` -- one of a few values (strings);
* :class:`HasMethods` -- any object with the named methods;
* a class -- an instance of it.

:func:`check_param` raises ``TypeError`` when the value's type fits no entry
and ``ValueError`` when it fits one but is out of range; the message names the
parameter, every accepted kind and the value, e.g. ``max_iter must be an
integer >= 1, got 0``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["Interval", "Options", "HasMethods", "check_param", "validate_params", "INT64_MAX"]

INT64_MAX = 2**63 - 1
Integral, Real = numbers.Integral, numbers.Real
_CLOSED = ("both", "left", "right", "neither")


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


class Interval:
    """Numbers of one kind between two bounds.

    Parameters
    ----------
    kind : numbers.Integral or numbers.Real
        ``Integral`` accepts Python and numpy integers; ``Real`` accepts any
        real number (integers included) but only finite ones.  Booleans are
        refused by both.  Integers must also fit in 64 bits.
    left, right : number or None
        The bounds (None: unbounded), shown in messages as written here.
    closed : {"both", "left", "right", "neither"}, default="both"
        Which bounds belong to the interval.
    """

    def __init__(self, kind, left, right, *, closed="both"):
        if kind not in (Integral, Real):
            raise TypeError("Interval kind must be numbers.Integral or numbers.Real")
        if closed not in _CLOSED:
            raise ValueError(f"closed must be one of {_CLOSED}, got {closed!r}")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def type_ok(self, value):
        return not _is_bool(value) and isinstance(value, self.kind)

    def value_ok(self, value):
        if isinstance(value, Integral):
            if self.kind is Integral and not -INT64_MAX - 1 <= value <= INT64_MAX:
                return False
        elif not math.isfinite(value):
            return False
        closed_left = self.closed in ("both", "left")
        closed_right = self.closed in ("both", "right")
        if self.left is not None and (value < self.left if closed_left else value <= self.left):
            return False
        if self.right is not None and (value > self.right if closed_right else value >= self.right):
            return False
        return True

    def describe(self):
        bounded = self.left is not None and self.right is not None
        noun = ("an integer" if self.kind is Integral
                else "a number" if bounded else "a finite number")
        left_in = self.closed in ("both", "left")
        right_in = self.closed in ("both", "right")
        if self.left is None and self.right is None:
            return noun
        if self.right is None:
            return f"{noun} {'>=' if left_in else '>'} {self.left}"
        if self.left is None:
            return f"{noun} {'<=' if right_in else '<'} {self.right}"
        opening, closing = "[" if left_in else "(", "]" if right_in else ")"
        return f"{noun} in {opening}{self.left}, {self.right}{closing}"

    def __repr__(self):
        return f"Interval({self.kind.__name__}, {self.left}, {self.right}, closed={self.closed!r})"


class Options:
    """One of a few values (compared with ``==``; all of one type, usually str)."""

    def __init__(self, options):
        self.options = tuple(options)
        self._types = tuple({type(o) for o in self.options})

    def type_ok(self, value):
        return not _is_bool(value) and isinstance(value, self._types)

    def value_ok(self, value):
        return any(value == o for o in self.options)

    def describe(self):
        shown = ", ".join(repr(o) for o in self.options)
        return shown if len(self.options) == 1 else f"one of {shown}"

    def __repr__(self):
        return f"Options({self.options!r})"


class HasMethods:
    """Any object with the given (callable) methods."""

    def __init__(self, *methods):
        self.methods = methods

    def type_ok(self, value):
        return all(callable(getattr(value, m, None)) for m in self.methods)

    def value_ok(self, value):
        return True

    def describe(self):
        names = _join([m for m in self.methods], "and")
        return f"an object with {names} method{'s' if len(self.methods) > 1 else ''}"


class _Singleton:
    def __init__(self, type_ok, value_ok, text):
        self.type_ok, self.value_ok, self._text = type_ok, value_ok, text

    def describe(self):
        return self._text


class _InstanceOf:
    _NAMES = {str: "a string", dict: "a dict", list: "a list", tuple: "a tuple"}

    def __init__(self, klass):
        self.klass = klass

    def type_ok(self, value):
        return isinstance(value, self.klass)

    def value_ok(self, value):
        return True

    def describe(self):
        name = self.klass.__name__
        return self._NAMES.get(self.klass, f"{'an' if name[0] in 'AEIOU' else 'a'} {name}")


def _random_state_type(value):
    return (value is None or isinstance(value, (np.random.Generator, np.random.RandomState))
            or (isinstance(value, Integral) and not _is_bool(value)))


_NAMED = {
    "boolean": _Singleton(_is_bool, lambda v: True, "a bool"),
    "random_state": _Singleton(
        _random_state_type, lambda v: not isinstance(v, Integral) or 0 <= int(v),
        "None, an integer >= 0, a numpy Generator or a RandomState"),
    "array-like": _Singleton(lambda v: isinstance(v, (list, tuple, np.ndarray)), lambda v: True,
                             "a list or array"),
}
_NONE = _Singleton(lambda v: v is None, lambda v: True, "None")


def _make(constraint):
    if constraint is None:
        return _NONE
    if isinstance(constraint, str):
        return _NAMED[constraint]
    if isinstance(constraint, type):
        return _InstanceOf(constraint)
    return constraint


def _join(parts, word="or"):
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} {word} {parts[-1]}"


def _shown(value):
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_param(value, name, constraints):
    """Check ``value`` against a constraint list; return it (numpy scalars as Python scalars).

    Raises
    ------
    TypeError
        When the value's type fits none of the constraints.
    ValueError
        When its type fits one but its value does not.
    """
    made = [_make(c) for c in constraints]
    typed = [c for c in made if c.type_ok(value)]
    for c in typed:
        if c.value_ok(value):
            return value.item() if isinstance(value, np.generic) else value
    expected = _join([c.describe() for c in made])
    if typed:
        raise ValueError(f"{name} must be {expected}, got {_shown(value)}")
    raise TypeError(f"{name} must be {expected}, got {type(value).__name__}: {_shown(value)}")


def validate_params(params, constraints):
    """Check every entry of ``params`` that ``constraints`` lists; return the checked dict.

    Parameters
    ----------
    params : mapping of str to value
        E.g. ``estimator.get_params(deep=False)``.
    constraints : mapping of str to list
        The estimator's ``_parameter_constraints``.  Parameters it does not
        list are passed through unchecked (user subclasses may add some).
    """
    return {name: check_param(value, name, constraints[name]) if name in constraints else value
            for name, value in params.items()}
