"""Every python block of README.md runs as printed (from the repository root).

The user-factorizer block registers a name globally; ``test_user_factorizer.py``
runs that one, so it is left out here.  A block whose first line is
``# needs: a, b`` is skipped unless the packages ``a`` and ``b`` import (the
optional extras).
"""

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)
EXAMPLES = [b for b in BLOCKS if "register_factorizer" not in b]


def test_readme_has_examples():
    assert len(EXAMPLES) >= 3 and len(BLOCKS) == len(EXAMPLES) + 1


@pytest.mark.parametrize("code", EXAMPLES, ids=[f"block{i}" for i in range(len(EXAMPLES))])
def test_readme_block_runs(code, monkeypatch):
    needs = re.match(r"# needs: (.+)\n", code)
    for package in (needs.group(1).replace(",", " ").split() if needs else ()):
        pytest.importorskip(package)
    monkeypatch.chdir(ROOT)  # blocks read data/ relative to the repository root
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {"__name__": "readme_example"})
    assert printed.getvalue().strip(), "every README example prints its result"
