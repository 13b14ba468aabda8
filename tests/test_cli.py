"""The command line: options, one-line errors with exit status 2, outputs."""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import llstopic
from llstopic.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--n-words", "60", "--n-topics", "3", "--n-domains", "6", "--tokens-per-domain", "3000",
        "--quiet"]


def _env():
    return {**os.environ, "PYTHONPATH": ROOT}


def _error_line(capsys):
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def test_importing_the_cli_stays_light():
    code = ("import sys, llstopic.cli; heavy = [m for m in ('gensim', 'sklearn', 'numba', 'scipy') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=_env(), cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "compare" in out and "fit" in out


@pytest.mark.parametrize("argv, needle", [
    (["compare", "--n-words", "-3"], "--n-words"),
    (["compare", "--alpha", "zero"], "--alpha"),
    (["compare", "--heldout", "1.5"], "--heldout"),
    (["compare", "--data", "mnist"], "--data"),
    (["compare", "--sweep-values", "10,x"], "--sweep-values"),
    (["fit", "--corpus", "x.txt"], "required"),
])
def test_bad_option_values_exit_2_with_one_line(capsys, argv, needle):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert needle in _error_line(capsys)


@pytest.mark.parametrize("argv, needle", [
    (["compare", "--methods", "anchor,bogus"] + TINY, "unknown method 'bogus'"),
    (["compare", "--corpus", "/nonexistent/docword.txt"], "no such file"),
    (["compare", "--vocab", "vocab.txt"], "--vocab needs --corpus"),
    (["compare", "--param", "passes=3"] + TINY, "METHOD.NAME=VALUE"),
    (["compare", "--param", "lda.passes=3", "--methods", "nmf"] + TINY, "not among --methods"),
    (["compare", "--param", "lda.passes=-1", "--methods", "lda"] + TINY, "passes"),
    (["compare", "--sweep-values", "100,200"], "needs --sweep"),
    (["compare", "--sweep", "tokens", "--data", "lee"], "synthetic data only"),
    (["compare", "--n-words", "5", "--n-topics", "8"], "n_words"),
])
def test_user_errors_exit_2_with_one_line(capsys, argv, needle):
    assert main(argv) == 2
    line = _error_line(capsys)
    assert line.startswith("llstopic: error:") and needle in line


def test_compare_on_a_custom_problem_writes_json_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out_json, out_png = tmp_path / "r.json", tmp_path / "r.png"
    code = main(["compare", "--methods", "anchor,nmf", "--json", str(out_json), "--plot", str(out_png)]
                + TINY)
    assert code == 0
    out = capsys.readouterr().out
    assert "custom problem" in out and "oracle" in out and "comes closest to the oracle" in out
    doc = json.loads(out_json.read_text())
    assert [r["method"] for r in doc["rows"]] == ["anchor", "nmf"]
    assert doc["problems"][0]["n_domains"] == 6
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_says_so(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else real(name, *a))
    assert main(["compare", "--plot", "x.png"] + TINY) == 2
    assert "needs matplotlib" in _error_line(capsys)


def test_sweep_prints_the_curve(capsys):
    argv = ["compare", "--sweep", "tokens", "--sweep-values", "300,3000", "--methods", "nmf",
            "--n-words", "60", "--n-topics", "3", "--n-domains", "6", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "tokens/domain" in out and "3,000" in out and "slope" in out


def _write_uci(tmp_path, counts, vocab=True):
    rows, cols = np.nonzero(counts)
    lines = [str(counts.shape[0]), str(counts.shape[1]), str(rows.size)]
    lines += [f"{r + 1} {c + 1} {counts[r, c]}" for r, c in zip(rows, cols)]
    docword = tmp_path / "docword.toy.txt"
    docword.write_text("\n".join(lines) + "\n")
    if not vocab:
        return str(docword), None
    vocab_path = tmp_path / "vocab.toy.txt"
    vocab_path.write_text("\n".join(f"word{i}" for i in range(counts.shape[1])) + "\n")
    return str(docword), str(vocab_path)


@pytest.fixture
def uci(tmp_path):
    problem = llstopic.make_finite_lls(40, 3, 60, 50, alpha=1.0, beta=0.1, random_state=0)
    return _write_uci(tmp_path, problem.corpus.toarray())


def test_fit_prints_top_words_and_saves_a_loadable_model(uci, tmp_path, capsys):
    docword, vocab = uci
    model_path = tmp_path / "model.npz"
    argv = ["fit", "--method", "nmf", "--n-topics", "3", "--corpus", docword, "--vocab", vocab,
            "--out", str(model_path), "--top-words", "4", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    model = llstopic.load(model_path)
    for k, words in enumerate(model.top_words(4)):
        assert f"topic {k:>2}: " + " ".join(words) in out
    assert "model saved to" in out


def test_fit_plot_writes_both_pictures(uci, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    docword, vocab = uci
    prefix = tmp_path / "pics" / "nmf"
    prefix.parent.mkdir()
    argv = ["fit", "--method", "nmf", "--n-topics", "3", "--corpus", docword, "--vocab", vocab,
            "--out", str(tmp_path / "m.npz"), "--plot", str(prefix), "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    for name in ("nmf_topics.png", "nmf_domain_topic.png"):
        path = prefix.parent / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"plot written to {path}" in out


def test_fit_rejects_more_topics_than_words(uci, tmp_path, capsys):
    docword, vocab = uci
    argv = ["fit", "--n-topics", "41", "--corpus", docword, "--vocab", vocab, "--out", str(tmp_path / "m")]
    assert main(argv) == 2
    assert "larger than the vocabulary" in _error_line(capsys)


def test_unreadable_corpus_is_a_usage_error(tmp_path, capsys):
    bad = tmp_path / "docword.bad.txt"
    bad.write_text("3\n4\nnot a number\n")
    assert main(["compare", "--corpus", str(bad), "--quiet"]) == 2
    assert "docword.bad.txt, line 3: expected NNZ" in _error_line(capsys)


def test_compare_on_a_user_corpus_reports_coherence(uci, capsys):
    docword, vocab = uci
    argv = ["compare", "--corpus", docword, "--vocab", vocab, "--methods", "nmf", "--n-topics", "3",
            "--top-words", "3", "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "u_mass" in out and "top words, nmf:" in out and "word" in out


# CI runs `llstopic compare` without arguments itself (its smoke test), so it is not repeated here.
@pytest.mark.parametrize("data, method, needle", [("lee", "anchor", "u_mass"), ("digits", "nmf", "DDFA")])
def test_builtin_data_sets(capsys, data, method, needle):
    assert main(["compare", "--data", data, "--methods", method, "--quiet"]) == 0
    assert needle in capsys.readouterr().out
