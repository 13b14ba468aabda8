"""``benchmarks/bench_dask.py --quick`` end to end (slow: two LocalClusters in a subprocess)."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("distributed")

BENCH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "bench_dask.py"


@pytest.mark.slow
def test_bench_dask_quick_runs_and_agrees_with_one_process(tmp_path):
    out = tmp_path / "result.json"
    env = {**os.environ, "PYTHONPATH": str(BENCH.parents[1])}
    run = subprocess.run([sys.executable, str(BENCH), "--quick", "--workdir", str(tmp_path),
                          "--json", str(out)], capture_output=True, text=True, env=env,
                         timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "PROJECTION" in run.stdout and "1w / 2w" in run.stdout
    result = json.loads(out.read_text())
    for agreement in result["agreement"].values():
        assert agreement["anchors_equal"]
        # the per-word KL stops at a duality gap of tol = 1e-12 (warm-started), so the fits agree
        # to about that; measured 5.4e-12
        assert agreement["topic_word_max_diff"] < 1e-10
        assert agreement["polish_topic_word_max_diff"] < 1e-9      # measured 4e-13
    assert set(result["clusters"]) == {"1", "2"}
