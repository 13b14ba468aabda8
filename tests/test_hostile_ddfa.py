"""Hostile input to DDFA and DomainDiscretizer: refused before any discriminator is trained."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llstopic import DDFA, DomainDiscretizer
from llstopic.continuous import _discriminator

RNG = np.random.default_rng(0)
X = RNG.normal(size=(60, 2))
DOMAINS = np.arange(60) % 3


@pytest.fixture(autouse=True)
def no_training(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("a discriminator was trained on bad input")

    monkeypatch.setattr(_discriminator, "discriminate", never)


@pytest.mark.parametrize("make_X, exc, part", [
    (lambda: X + 1j, TypeError, "X must hold real numbers, got complex numbers"),
    (lambda: X.astype(str), TypeError, "X must hold real numbers, got strings"),
    (lambda: np.array([[1.0, "2"]] * 60, dtype=object), TypeError, "X must be numeric, got a str"),
    (lambda: [[1.0, 2.0], [3.0]] * 30, TypeError, "ragged"),
    (lambda: np.where(np.eye(60, 2) > 0, np.inf, X), ValueError, "non-finite value inf"),
    (lambda: np.array([[10**400 / 10**399, 1e308 * 10]] * 60), ValueError, "non-finite"),
    (lambda: "X", TypeError, "X must be a numeric array"),
])
@pytest.mark.parametrize("estimator", [DDFA(2), DomainDiscretizer(2)])
def test_bad_examples_are_refused(estimator, make_X, exc, part):
    with pytest.raises(exc) as info:
        estimator.fit(make_X(), DOMAINS)
    assert part in str(info.value)


@pytest.mark.parametrize("estimator, part", [
    (DDFA(True), "n_topics must be an integer >= 1 or 'auto', got bool: True"),
    (DDFA(2, n_words=2.0), "n_words must be None or an integer >= 1, got float: 2.0"),
    (DDFA(2, random_state="0"), "random_state must be None"),
    (DomainDiscretizer(held_out=True), "held_out must be a number in (0, 0.5], got bool: True"),
    (DomainDiscretizer(held_out=float("nan")), "held_out must be a number in (0, 0.5], got nan"),
    (DomainDiscretizer(n_words=np.True_), "n_words must be None or an integer >= 1, got bool"),
])
def test_bad_parameters_are_refused_in_our_words(estimator, part):
    with pytest.raises((TypeError, ValueError)) as info:
        estimator.fit(X, DOMAINS)
    assert part in str(info.value)


@pytest.mark.parametrize("domains, part", [
    (DOMAINS.astype(bool), "domains must hold integer ids, got dtype bool"),
    (DOMAINS.astype(str), "domains must hold integer ids"),
    (DOMAINS + 0.5, "is not an integer"),
    (np.where(DOMAINS == 0, 2**63 + DOMAINS.astype(np.uint64), DOMAINS).astype(np.uint64),
     "too large"),
    (DOMAINS[:-1], "same length"),
])
def test_bad_domain_ids_are_refused(domains, part):
    with pytest.raises((TypeError, ValueError)) as info:
        DDFA(2).fit(X, domains)
    assert part in str(info.value)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([np.float64, np.float32, np.int8, np.uint64, bool, complex, str, object]),
       st.sampled_from([(60, 2), (60,), (60, 0), (0, 2), (60, 2, 1)]))
def test_any_array_is_refused_or_accepted_as_real_numbers(dtype, shape):
    values = np.ones(shape, dtype=dtype) if 0 not in shape else np.empty(shape, dtype=dtype)
    try:
        DomainDiscretizer(2).fit(values, DOMAINS)
    except AssertionError:  # validation passed: only real, finite, 2-D input may get here
        assert dtype not in (complex, str) and len(shape) == 2 and 0 not in shape
    except (TypeError, ValueError):
        pass
