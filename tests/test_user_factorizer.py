"""The README example of a user factorizer runs exactly as printed.

The code is read from the "Bring your own factorizer" section of README.md,
so the documented example cannot rot: if it stops working, this
fails.  The conformance suite (``test_factorizer_conformance.py``) also runs
the registered example through every interface test.
"""

import contextlib
import functools
import io
import re
from pathlib import Path

import numpy as np
import pytest

import llstopic
from llstopic.factorizers import _registry

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Bring your own factorizer"
NAME = "sklearn-lda"


def snippet_code():
    """The one ```python block of the README's user-factorizer section."""
    text = README.read_text(encoding="utf-8")
    assert SECTION in text, f"{README} has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, f"{SECTION!r} must hold exactly one python block, found {len(blocks)}"
    return blocks[0]


@functools.lru_cache(maxsize=None)
def run_snippet():
    """Execute the snippet once per test session; return (namespace, printed text).

    The snippet registers ``"sklearn-lda"``; registering is global, so it runs once.
    """
    _registry._TABLE.pop(NAME, None)  # in case another import of this module ran it already
    namespace = {"__name__": "llstopic_readme_example"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet_code(), str(README), "exec"), namespace)
    return namespace, printed.getvalue()


def test_snippet_prints_what_its_comments_say():
    namespace, printed = run_snippet()
    expected = [line.split("#")[1].strip() for line in snippet_code().splitlines()
                if line.startswith("print(") and "#" in line]
    assert printed.splitlines() == expected == ["(3, 50) (8, 3)", "True"]


def test_registered_example_is_a_full_factorizer(tmp_path):
    namespace, _ = run_snippet()
    assert NAME in llstopic.available()
    problem = llstopic.make_finite_lls(30, 2, 4, 500, alpha=1.0, beta=0.2, random_state=1)
    model = llstopic.make_factorizer(NAME, 2, max_iter=5, random_state=0).fit(problem.corpus)
    assert isinstance(model, namespace["SklearnLDA"])
    model.save(tmp_path / "user.npz")
    loaded = llstopic.load(tmp_path / "user.npz")
    np.testing.assert_array_equal(loaded.transform(problem.corpus), model.transform(problem.corpus))


def test_example_validates_its_own_parameters():
    run_snippet()
    with pytest.raises(ValueError, match="max_iter must be a positive int, got 0"):
        llstopic.make_factorizer(NAME, 2, max_iter=0).fit(np.ones((3, 4), dtype=int))
