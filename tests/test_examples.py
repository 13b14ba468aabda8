"""The example scripts run, on tiny problems, and print what they promise."""

import os
import runpy

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def test_compare_anchor_lda_runs_on_a_tiny_problem(capsys):
    namespace = runpy.run_path(os.path.join(EXAMPLES, "compare_anchor_lda.py"), run_name="example")
    result = namespace["main"](n_words=80, n_topics=3, n_domains=6, tokens_per_domain=3000,
                               lda_passes=5)
    out = capsys.readouterr().out
    assert "oracle topic-word error" in out
    for method in ("anchor", "nmf", "lda"):
        assert f"{method}: topic-word error" in out
    assert "comes closest to the oracle" in out
    assert [row["method"] for row in result] == ["anchor", "nmf", "lda"]
    assert all(row["topic_word_error_oracle"] > 0 for row in result)
