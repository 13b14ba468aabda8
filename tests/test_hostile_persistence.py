"""Tampered, damaged and old model files: load checks everything, save loses nothing.

Every refusal is a ValueError naming the file (OSError for a missing one); files
of format version 1 written before the checks existed still load and give the
same transform.  A tampered file that used to crash ``transform`` is tried in a
subprocess.
"""

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import llstopic
import llstopic.factorizers._persistence as persistence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def counts():
    return np.load(os.path.join(DATA, "saved_v1_counts.npy"))


@pytest.fixture(scope="module")
def saved(tmp_path_factory, counts):
    """A fitted anchor model saved once; tests tamper with copies."""
    path = tmp_path_factory.mktemp("models") / "anchor.npz"
    vocabulary = [f"w{j}" for j in range(counts.shape[1])]
    corpus = llstopic.Corpus.from_matrix(counts, vocabulary=vocabulary)
    llstopic.AnchorWords(2, random_state=0).fit(corpus).save(path)
    return path


def _contents(path):
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["__meta__"]))
        arrays = {k: data[k] for k in data.files if k != "__meta__"}
    return meta, arrays


def _rewrite(src, dst, meta=None, arrays=None, raw_meta=None):
    old_meta, old_arrays = _contents(src)
    meta = old_meta if meta is None else meta(old_meta)
    arrays = old_arrays if arrays is None else arrays(old_arrays)
    text = json.dumps(meta) if raw_meta is None else raw_meta
    np.savez(dst, __meta__=np.array(text), **arrays)
    return dst


def _refused(path, part=""):
    with pytest.raises(ValueError) as info:
        llstopic.load(path)
    assert str(path) in str(info.value) and part in str(info.value), str(info.value)
    return str(info.value)


# ----------------------------------------------------------------- old files
@pytest.mark.parametrize("name", ["anchor", "nmf", "lda"])
def test_version_1_files_still_load(name, counts, tmp_path):
    model = llstopic.load(os.path.join(DATA, f"saved_v1_{name}.npz"))
    expected = np.load(os.path.join(DATA, f"saved_v1_{name}_transform.npy"))
    # the simplex solver behind transform has changed since the files were written (issue 12);
    # it stops at a duality gap of 1e-9 nats, and the p_d(y) moved by at most 4.7e-9
    np.testing.assert_allclose(model.transform(counts), expected, rtol=0, atol=1e-7)
    model.save(tmp_path / "again.npz")
    again = llstopic.load(tmp_path / "again.npz")
    assert again.get_params() == model.get_params()
    np.testing.assert_array_equal(again.transform(counts), model.transform(counts))


def test_numpy_scalars_as_parameters_are_saved(counts, tmp_path):
    model = llstopic.NMF(np.int64(2), max_iter=np.int32(50), tol=np.float32(1e-3),
                         random_state=np.int64(0)).fit(counts)
    model.save(tmp_path / "m.npz")
    loaded = llstopic.load(tmp_path / "m.npz")
    assert loaded.get_params()["n_topics"] == 2 and type(loaded.get_params()["n_topics"]) is int
    np.testing.assert_array_equal(loaded.transform(counts), model.transform(counts))


# ------------------------------------------------------------- damaged files
def test_files_that_are_not_archives(tmp_path, saved):
    (tmp_path / "empty.npz").write_bytes(b"")
    _refused(tmp_path / "empty.npz", "not a readable llstopic factorizer file")
    (tmp_path / "text.npz").write_text("hello")
    _refused(tmp_path / "text.npz")
    np.save(tmp_path / "array.npy", np.zeros(3))
    _refused(tmp_path / "array.npy")
    with zipfile.ZipFile(tmp_path / "other.npz", "w") as z:
        z.writestr("readme.txt", "hi")
    _refused(tmp_path / "other.npz", "other than distinct .npy arrays")
    with pytest.raises(FileNotFoundError):
        llstopic.load(tmp_path / "missing.npz")
    with pytest.raises(IsADirectoryError):
        llstopic.load(tmp_path)
    with pytest.raises(TypeError, match="path must be"):
        llstopic.load(b"bytes")


@FAST
@given(st.floats(0.0, 1.0, exclude_max=True), st.integers(0, 255))
def test_truncated_or_flipped_files_are_refused(saved, tmp_path_factory, where, byte):
    raw = saved.read_bytes()
    cut = int(where * len(raw))
    folder = tmp_path_factory.mktemp("cut")
    (folder / "cut.npz").write_bytes(raw[:cut])
    _refused(folder / "cut.npz")
    flipped = bytearray(raw)
    flipped[cut] ^= byte or 1
    (folder / "flip.npz").write_bytes(bytes(flipped))
    try:
        model = llstopic.load(folder / "flip.npz")
    except ValueError as exc:
        assert str(folder / "flip.npz") in str(exc)
    else:  # a harmless flip (an unread byte, or a value still valid) must load a consistent model
        assert model.topic_word_.shape == (model.n_topics_, model.n_words_in_)


# -------------------------------------------------------------- the metadata
@pytest.mark.parametrize("raw, part", [
    ("not json", "not valid JSON"),
    ("[1, 2]", "a JSON list, not an object"),
    ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    (json.dumps({"format": "something else"}), "not an llstopic factorizer file"),
])
def test_metadata_that_is_not_ours(saved, tmp_path, raw, part):
    _refused(_rewrite(saved, tmp_path / "m.npz", raw_meta=raw), part)


@pytest.mark.parametrize("key", ["format_version", "factorizer", "params", "attributes"])
def test_missing_or_mistyped_metadata(saved, tmp_path, key):
    _refused(_rewrite(saved, tmp_path / "a.npz", meta=lambda m: {k: v for k, v in m.items() if k != key}),
             f"has no {key!r}")
    _refused(_rewrite(saved, tmp_path / "b.npz", meta=lambda m: {**m, key: [1]}), f"{key!r} must be")


@pytest.mark.parametrize("change, part", [
    (dict(format_version=2), "written by a newer llstopic (format version 2)"),
    (dict(format_version=0), "unknown format version 0"),
    (dict(format_version=True), "'format_version' must be a JSON int"),
    (dict(factorizer="nope"), "unknown factorizer 'nope'"),
    (dict(factorizer="nmf"), "not valid for NMF"),           # anchor parameters under the NMF class
])
def test_bad_versions_and_classes(saved, tmp_path, change, part):
    _refused(_rewrite(saved, tmp_path / "m.npz", meta=lambda m: {**m, **change}), part)


@pytest.mark.parametrize("params, part", [
    (dict(n_topics=0), "n_topics must be an integer >= 1 or 'auto', got 0"),
    (dict(n_topics=True), "n_topics must be an integer >= 1 or 'auto', got bool"),
    (dict(loss="kl2"), "loss must be one of"),
    (dict(tol="1e-6"), "tol must be"),
    (dict(hack=1), "not valid for AnchorWords"),
])
def test_parameters_go_through_the_class_checks(saved, tmp_path, params, part):
    _refused(_rewrite(saved, tmp_path / "m.npz",
                      meta=lambda m: {**m, "params": {**m["params"], **params}}), part)


@pytest.mark.parametrize("name", ["fit", "transform", "top_words", "__class__", "_fit", "save",
                                  "hack_", "n_topics"])
def test_only_known_attributes_are_set_and_none_shadows_a_method(saved, tmp_path, name):
    _refused(_rewrite(saved, tmp_path / "a.npz",
                      meta=lambda m: {**m, "attributes": {**m["attributes"], name: 1}}))
    _refused(_rewrite(saved, tmp_path / "b.npz", arrays=lambda a: {**a, name: np.zeros(2)}))


@pytest.mark.parametrize("change, part", [
    (dict(n_topics_=3), "anchor_words_ must be a list of 3 strings (n_topics_ = 3)"),
    (dict(n_topics_=3, anchor_words_=["a", "b", "c"]), "n_topics_ = 3 disagrees with the parameter"),
    (dict(n_words_in_=13), "vocabulary_ must be a list of 13 strings (n_words_in_ = 13)"),
    (dict(n_words_in_=13, vocabulary_=None), "topic_word_ has shape (2, 12), expected (2, 13)"),
    (dict(n_domains_="4"), "n_domains_ must be an integer"),
    (dict(vocabulary_=["a"] * 12), "repeated"),
    (dict(vocabulary_=[1] * 12), "list of 12 strings"),
    (dict(vocabulary_="w0"), "must be None or a list of strings"),
    (dict(representation_="docs"), "representation_ must be one of"),
    (dict(min_count_=-1), "min_count_ must be"),
])
def test_scalar_attributes_are_checked(saved, tmp_path, change, part):
    _refused(_rewrite(saved, tmp_path / "m.npz",
                      meta=lambda m: {**m, "attributes": {**m["attributes"], **change}}), part)


def _set(name, value):
    return lambda arrays: {**arrays, name: value}


@pytest.mark.parametrize("arrays, part", [
    (_set("topic_word_", np.full((2, 13), 1 / 13)), "topic_word_ has shape (2, 13), expected (2, 12)"),
    (_set("topic_word_", np.full((2, 12), 1 / 12, dtype=np.float32)), "dtype float32, expected float64"),
    (_set("topic_word_", np.full((2, 12), np.nan)), "non-finite"),
    (_set("topic_word_", np.full((2, 12), 0.5)), "rows must sum to one"),
    (_set("domain_topic_", np.array([[1.5, -0.5]] * 4)), "negative probability"),
    (_set("anchors_", np.array([0, 12])), "anchors_ holds an id outside [0, n_words_in_ = 12)"),
    (_set("anchors_", np.array([0.0, 1.0])), "anchors_ has dtype float64, expected int64"),
    (_set("recovery_loss_", np.zeros((12, 1))), "recovery_loss_ has shape"),
    (lambda a: {k: v for k, v in a.items() if k != "topic_word_"}, "topic_word_ missing"),
])
def test_arrays_are_checked_against_the_sizes(saved, tmp_path, arrays, part):
    _refused(_rewrite(saved, tmp_path / "m.npz", arrays=arrays), part)


def test_an_array_header_claiming_terabytes_is_refused_before_reading(saved, tmp_path):
    """A member whose .npy header says (10**12,) is refused from the header alone."""
    path = tmp_path / "m.npz"
    _rewrite(saved, path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    header = members["recovery_loss_.npy"]
    members["recovery_loss_.npy"] = header.replace(b"(12,)", b"(1000000000000,)", 1)
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    _refused(path, "does not match its header")


TAMPERED_TRANSFORM = """
import numpy as np, llstopic, sys
path, counts = sys.argv[1], np.load(sys.argv[2])
try:
    llstopic.load(path).transform(counts)
except ValueError as exc:
    print("refused:", exc)
"""


def test_a_file_that_used_to_crash_transform_is_refused(saved, tmp_path):
    """topic_word_ narrower than n_words_in_ used to be read out of bounds by the kernel."""
    path = _rewrite(saved, tmp_path / "narrow.npz", arrays=_set("topic_word_", np.full((2, 3), 1 / 3)))
    done = subprocess.run([sys.executable, "-c", TAMPERED_TRANSFORM, str(path),
                           os.path.join(DATA, "saved_v1_counts.npy")], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": ROOT}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("refused:") and "narrow.npz" in done.stdout


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=6)


@FAST
@given(st.sampled_from(["params", "attributes"]), st.data())
def test_any_json_in_any_field_loads_consistently_or_is_refused(saved, tmp_path_factory, part, data):
    meta, _ = _contents(saved)
    key = data.draw(st.sampled_from(sorted(meta[part])))
    value = data.draw(_JSON)
    path = _rewrite(saved, tmp_path_factory.mktemp("j") / "m.npz",
                    meta=lambda m: {**m, part: {**m[part], key: value}})
    try:
        model = llstopic.load(path)
    except ValueError as exc:
        assert str(path) in str(exc)
    else:
        model._validate_parameters()
        assert model.topic_word_.shape == (model.n_topics_, model.n_words_in_)


# ---------------------------------------------------------------------- save
def test_a_failed_save_leaves_the_old_file(saved, tmp_path, monkeypatch, counts):
    path = tmp_path / "model.npz"
    path.write_bytes(saved.read_bytes())
    model = llstopic.NMF(2, init="random", random_state=0).fit(counts)

    def half_written(fh, **arrays):
        fh.write(b"PK\x03\x04 partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persistence.np, "savez", half_written)
    with pytest.raises(OSError, match="No space left"):
        model.save(path)
    assert path.read_bytes() == saved.read_bytes() and os.listdir(tmp_path) == ["model.npz"]


def test_save_refuses_what_load_would_refuse(tmp_path, counts):
    model = llstopic.NMF(2, init="random", random_state=0).fit(counts)
    (tmp_path / "m.npz").write_bytes(b"old")
    model.set_params(tol=-1.0)
    with pytest.raises(ValueError, match="tol must be"):
        model.save(tmp_path / "m.npz")
    model.set_params(tol=1e-4)
    model.topic_word_ = model.topic_word_[:, :3]
    with pytest.raises(ValueError, match="topic_word_ has shape"):
        model.save(tmp_path / "m.npz")
    model.set_params(random_state=np.random.default_rng(0))
    with pytest.raises((TypeError, ValueError)):
        model.save(tmp_path / "m.npz")
    assert (tmp_path / "m.npz").read_bytes() == b"old"
