"""The command line on hostile input: exit status 2, one line, no traceback, the right file blamed."""

import os
import subprocess
import sys

import numpy as np
import pytest

from llstopic import Corpus
from llstopic.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    corpus = Corpus.from_matrix(np.random.default_rng(0).integers(0, 20, (12, 30)),
                                vocabulary=[f"w{j}" for j in range(30)])
    corpus.write_uci(folder / "docword.txt", folder / "vocab.txt")
    corpus.write_uci(folder / "docword.txt.gz")
    raw = (folder / "docword.txt.gz").read_bytes()
    (folder / "cut.gz").write_bytes(raw[: len(raw) // 2])
    (folder / "header.txt").write_bytes(b"12\n30\nmany\n1 1 1\n")
    (folder / "lying.txt").write_bytes(b"12\n30\n361\n1 1 1\n")
    (folder / "huge.txt").write_bytes(b"100000000000000000\n30\n1\n1 1 1\n")
    (folder / "short_vocab.txt").write_bytes(b"a\nb\n")
    (folder / "latin1_vocab.txt").write_bytes("\n".join(f"w{j}" for j in range(29)).encode()
                                              + "\ncaf\xe9\n".encode("latin-1"))
    (folder / "empty.txt").write_bytes(b"12\n30\n0\n")
    return folder


def _run(capsys, argv):
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "\n" not in err and "Traceback" not in err and err.startswith("llstopic: error: ")
    return err


def _fit(files, corpus, *extra, vocab=None):
    argv = ["fit", "--n-topics", "3", "--corpus", str(files / corpus), "--out",
            str(files / "model.npz"), "--quiet", *extra]
    return argv + (["--vocab", str(files / vocab)] if vocab else [])


@pytest.mark.parametrize("corpus, vocab, blamed, part", [
    ("cut.gz", None, "cut.gz", "the gzip data is truncated"),
    ("header.txt", None, "header.txt", "line 3: expected NNZ"),
    ("lying.txt", None, "lying.txt", "NNZ = 361 entries cannot fit in a D x W = 12 x 30 matrix"),
    ("huge.txt", None, "huge.txt", "needs about"),
    ("docword.txt", "short_vocab.txt", "short_vocab.txt", "has 2 words but the corpus has n_words = 30"),
    ("docword.txt", "latin1_vocab.txt", "latin1_vocab.txt", "line 30: not valid UTF-8"),
    ("empty.txt", None, "empty.txt", "holds no tokens"),
    ("missing.txt", None, "missing.txt", "no such file"),
    (".", None, "--corpus", "is a folder"),
])
def test_bad_files_blame_the_right_file(capsys, files, corpus, vocab, blamed, part):
    err = _run(capsys, _fit(files, corpus, vocab=vocab))
    assert blamed in err and part in err
    if vocab:
        assert "docword.txt" not in err  # the vocabulary is the bad one


@pytest.mark.parametrize("extra, part", [
    (["--method", "lda", "--param", "passes=abc"], "passes must be None or an integer >= 1, got str: 'abc'"),
    (["--method", "nmf", "--param", "n_components=3"], "cannot be passed to sklearn.decomposition.NMF"),
    (["--param", "random_state=1"], "random_state is set by --seed"),
    (["--param", "n_topics=1"], "n_topics is set by --n-topics"),
    (["--method", "nope"], "unknown method 'nope'"),
    (["--param", "n_jobs=true"], "n_jobs must be None, an integer >= 1 or an integer <= -1, got bool"),
])
def test_bad_parameters_exit_2(capsys, files, extra, part):
    assert part in _run(capsys, _fit(files, "docword.txt", *extra))


def test_an_unwritable_model_path_is_named(capsys, files):
    argv = _fit(files, "docword.txt")
    argv[argv.index("--out") + 1] = str(files / "no" / "model.npz")
    assert "cannot write" in _run(capsys, argv) and "no/model.npz" in _run(capsys, argv)


@pytest.mark.parametrize("argv, part", [
    (["--n-words", "1000000000000"], "n_words = 1000000000000"),
    (["--n-domains", "1000000000", "--tokens-per-domain", "1000000000"], "1000000000000000000 tokens"),
    (["--n-topics", "100000000", "--n-words", "100000000"], "needs about"),
    (["--sweep", "tokens", "--sweep-values", "100,1000000000000"], "16000000000000 tokens"),
])
def test_absurd_sizes_are_refused_with_the_figure(capsys, argv, part):
    err = _run(capsys, ["compare", "--quiet", *argv])
    assert part in err and "of memory, more than the" in err


def test_no_traceback_reaches_the_terminal(files):
    """The whole process, as a user runs it: status 2, one line on stderr."""
    done = subprocess.run([sys.executable, "-m", "llstopic", *_fit(files, "cut.gz")[0:]],
                          capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": ROOT}, timeout=300)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_a_bug_is_still_one_line(capsys, files, monkeypatch):
    from llstopic.cli import _compare

    def broken(*args, **kwargs):
        raise RuntimeError("something\ninternal")

    monkeypatch.setattr(_compare, "fit", broken)
    err = _run(capsys, _fit(files, "docword.txt"))
    assert "unexpected RuntimeError: something internal" in err and "LLSTOPIC_DEBUG=1" in err
