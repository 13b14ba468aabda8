"""The declarative constraints of ``llstopic._validation``: what they accept and what they say."""

from numbers import Integral, Real

import numpy as np
import pytest

from llstopic._validation import HasMethods, Interval, Options, check_param, validate_params


@pytest.mark.parametrize("value, constraints, expected", [
    (3, [Interval(Integral, 1, None)], 3),
    (np.int64(3), [Interval(Integral, 1, None)], 3),
    (0.5, [Interval(Real, 0, 1)], 0.5),
    (1, [Interval(Real, 0, 1)], 1),          # an int is a real number
    (None, [None, Interval(Integral, 1, None)], None),
    ("kl", [Options(("kl", "l2"))], "kl"),
    (np.True_, ["boolean"], True),
    (float("inf"), [Interval(Real, 1, None), Options((float("inf"),))], float("inf")),
    (10**30, [Interval(Real, 0, None)], 10**30),   # a big int is a finite real
])
def test_accepted_values_come_back_as_python_scalars(value, constraints, expected):
    out = check_param(value, "p", constraints)
    assert out == expected and not isinstance(out, np.generic)


@pytest.mark.parametrize("value, constraints, exc, message", [
    (True, [Interval(Integral, 1, None)], TypeError, "p must be an integer >= 1, got bool: True"),
    (2.0, [Interval(Integral, 1, None)], TypeError, "p must be an integer >= 1, got float: 2.0"),
    (0, [Interval(Integral, 1, None)], ValueError, "p must be an integer >= 1, got 0"),
    (2**63, [Interval(Integral, 1, None)], ValueError,
     "p must be an integer >= 1, got 9223372036854775808"),
    ("1e-6", [Interval(Real, 0.0, None)], TypeError,
     "p must be a finite number >= 0.0, got str: '1e-6'"),
    (float("nan"), [Interval(Real, 0.0, None)], ValueError, "p must be a finite number >= 0.0, got nan"),
    (1.0, [Interval(Real, 0, 1, closed="left")], ValueError, "p must be a number in [0, 1), got 1.0"),
    (1 + 2j, [Interval(Real, 0, 1)], TypeError, "p must be a number in [0, 1], got complex: (1+2j)"),
    ("kl2", [Options(("kl", "l2"))], ValueError, "p must be one of 'kl', 'l2', got 'kl2'"),
    (1, [Options(("kl", "l2"))], TypeError, "p must be one of 'kl', 'l2', got int: 1"),
    ("yes", ["boolean"], TypeError, "p must be a bool, got str: 'yes'"),
    (0, [None, Interval(Integral, 1, None), Interval(Integral, None, -1)], ValueError,
     "p must be None, an integer >= 1 or an integer <= -1, got 0"),
    (object(), [HasMethods("fit", "predict")], TypeError,
     "p must be an object with fit and predict methods, got object: <object object"),
    (-1, ["random_state"], ValueError,
     "p must be None, an integer >= 0, a numpy Generator or a RandomState, got -1"),
])
def test_refusals_name_the_argument_the_value_and_what_was_expected(value, constraints, exc,
                                                                     message):
    with pytest.raises(exc) as info:
        check_param(value, "p", constraints)
    assert str(info.value).startswith(message)


def test_validate_params_checks_listed_parameters_only():
    table = {"n": [Interval(Integral, 1, None)]}
    assert validate_params({"n": np.int64(2), "free": object}, table) == {"n": 2, "free": object}
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        validate_params({"n": 0}, table)


def test_every_built_in_estimator_lists_every_parameter():
    import llstopic
    from llstopic import DDFA, DomainDiscretizer

    for name in ("anchor", "nmf", "lda"):
        model = llstopic.make_factorizer(name, 2)
        table = {**model._parameter_constraints, **getattr(model, "_backend_constraints", {})}
        assert set(model.get_params(deep=False)) <= set(table), name
    objects = {"discriminator", "clusterer", "factorizer", "discretizer"}  # checked in fit
    for est in (DDFA(2), DomainDiscretizer()):
        assert set(est.get_params(deep=False)) - objects <= set(est._parameter_constraints)
