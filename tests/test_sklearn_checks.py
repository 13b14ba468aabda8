"""scikit-learn's estimator checks, and llstopic in a scikit-learn Pipeline.

Every factorizer and :class:`~llstopic.DomainDiscretizer` runs
``sklearn.utils.estimator_checks.parametrize_with_checks`` (scikit-learn 1.6+
API: ``expected_failed_checks``; ``xfail_strict`` so that this list stays
exact).  The factorizers are checked through ``_CountsView`` (below): the
checks generate real-valued data and a factorizer takes counts.  The checks
that cannot apply, and why, are ``EXPECTED_FAILURES``; most are about the
wording of an error: llstopic's messages name the argument, the value and its
position, and the conformance suite holds every factorizer to one wording.
"""

import importlib.util

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.utils.estimator_checks import parametrize_with_checks

from llstopic import NMF, AnchorWords, DomainDiscretizer, GensimLDA


def _as_counts(X):
    """Real-valued check data as integer counts: times 10, rounded (NaN, inf and signs kept)."""
    if sp.issparse(X):
        if X.dtype.kind != "f":
            return X
        X = X.tocsr(copy=True)  # dok and lil keep no .data array of the values
        X.data = np.rint(10 * X.data)
        return X
    arr = np.asarray(X)
    if arr.dtype.kind != "f":
        return X
    return np.rint(10 * arr)


class _CountsView:
    """What the checks see instead of a factorizer: the same class, with two changes.

    1. check_estimator generates real-valued data, and a factorizer takes integer
       counts only (``X must hold integer counts``): ``fit`` and ``transform``
       scale the data by 10 and round it first (``fit_transform`` calls ``fit``).
    2. ``predict(words, domains)`` labels observations (word, domain) pairs; it is
       not scikit-learn's ``predict(X)`` on rows of X, so it is hidden from the checks.
    """

    def fit(self, X, y=None):
        return super().fit(_as_counts(X), y)

    def transform(self, X):
        return super().transform(_as_counts(X))

    @property
    def predict(self):
        raise AttributeError("predict(words, domains) is not scikit-learn's predict(X)")


class AnchorWordsCounts(_CountsView, AnchorWords):
    pass


class NMFCounts(_CountsView, NMF):
    pass


class GensimLDACounts(_CountsView, GensimLDA):
    pass


ESTIMATORS = {
    "anchor": AnchorWordsCounts(2, random_state=0),
    "nmf": NMFCounts(2, random_state=0),
    "lda": GensimLDACounts(2, passes=5, n_init=1, random_state=0),
    "discretizer": DomainDiscretizer(random_state=0),
}
if importlib.util.find_spec("tomotopy") is not None:
    from llstopic import TomotopyLDA

    class TomotopyLDACounts(_CountsView, TomotopyLDA):
        pass

    ESTIMATORS["tomotopy"] = TomotopyLDACounts(2, iterations=20, burn_in=10, random_state=0)


# ------------------------------------------------------------ what cannot apply
_MESSAGES = {
    "check_n_features_in_after_fitting":
        "a wrong width is refused with 'X has 3 words (columns) but the factorizer was fitted "
        "with n_words = 4', not scikit-learn's 'X has 3 features, but ... is expecting 4'",
    "check_positive_only_tag_during_fit":
        "a negative count is refused with 'X must hold non-negative counts, found -21.0 at "
        "position (0, 2)', not 'Negative values in data'",
    "check_complex_data":
        "complex input is refused with a TypeError naming the dtype, not a ValueError "
        "'Complex data not supported'",
    "check_dtype_object":
        "object arrays are refused ('X must be numeric, got an object array'); scikit-learn "
        "expects numbers stored as objects to be converted",
    "check_estimators_empty_data_messages":
        "an empty X is refused with 'X must have at least one row and one column, got shape "
        "(12, 0)', not '0 feature(s) (shape=(12, 0)) while a minimum of 1 is required'",
    "check_estimators_nan_inf":
        "NaN is refused with 'X contains a non-finite count nan at position (0, 0)': a "
        "ValueError, but the check looks for 'NaN' or 'inf' in the message",
    "check_fit2d_1feature":
        "one word and n_topics = 2 is refused with 'n_topics = 2 is larger than the number of "
        "words n_words = 1', not 'n_features = 1'",
    "check_fit2d_predict1d":
        "1-d input is refused with 'X must be 2-dimensional (n_domains, n_words), got shape "
        "(3,)', not 'Reshape your data'",
}
_DISCRETIZER = {
    **{k: v.replace("words (columns) but the factorizer was fitted with n_words = 4",
                    "features but the discretizer was fitted with 4")
       .replace("non-finite count", "non-finite value")
       .replace(" (n_domains, n_words)", "")
       .replace("at least one row and one column", "at least one example and one feature")
       for k, v in _MESSAGES.items()
       if k not in ("check_positive_only_tag_during_fit", "check_fit2d_1feature")},
    "check_dtype_object":
        "the check's y has an unknown label type; y holds domain ids, refused with "
        "'domains must be 1-dimensional' rather than 'Unknown label type'",
    "check_complex_data": "complex domain ids are refused with a TypeError naming the dtype",
    "check_estimators_dtypes":
        "y holds domain ids 0..n_domains-1, each with examples; the check's y skips id 0 "
        "('domains must use every id in 0..2')",
    "check_fit2d_1sample": "the check's y skips domain ids, refused before the sample count",
    "check_fit2d_1feature": "the check's y skips domain ids, refused before the feature count",
}
EXPECTED_FAILURES = {
    "AnchorWordsCounts": _MESSAGES,
    "NMFCounts": {
        **_MESSAGES,
        "check_fit2d_1sample":
            "one row and n_topics = 2 is refused with \"init='nndsvda' needs n_topics <= "
            "min(n_domains, n_words) = 1; use init='random'\", not 'n_samples = 1'"},
    "GensimLDACounts": {
        **_MESSAGES,
        "check_methods_sample_order_invariance":
            "gensim's inference starts from random gamma drawn for the whole batch, so a row's "
            "p_d(y) depends on its position, within gensim's gamma_threshold (about 1e-6)",
        "check_methods_subset_invariance": "as check_methods_sample_order_invariance"},
    "TomotopyLDACounts": {
        **_MESSAGES,
        "check_transformer_general":
            "fit_transform returns domain_topic_, averaged Gibbs samples; transform solves the "
            "deterministic fixed point: with 20 sweeps over 30 short rows they differ by more "
            "than the check's 0.01 (0.0014 on the recovery problem of the conformance suite)",
        "check_transformer_data_not_an_array": "as check_transformer_general"},
    "DomainDiscretizer": _DISCRETIZER,
}


def _expected(estimator):
    return EXPECTED_FAILURES[type(estimator).__name__]


#: checked in the default run (a few seconds); the others are slow (a minute, under load)
QUICK = ("anchor",)
#: expected_failed_checks and estimator tags (__sklearn_tags__) are scikit-learn 1.6+
CHECKS_API = tuple(int(p) for p in sklearn.__version__.split(".")[:2]) >= (1, 6)

if CHECKS_API:
    @parametrize_with_checks([e for name, e in ESTIMATORS.items() if name in QUICK],
                             expected_failed_checks=_expected, xfail_strict=True)
    def test_sklearn_estimator_checks(estimator, check):
        check(estimator)

    @pytest.mark.slow
    @parametrize_with_checks([e for name, e in ESTIMATORS.items() if name not in QUICK],
                             expected_failed_checks=_expected, xfail_strict=True)
    def test_sklearn_estimator_checks_slow(estimator, check):
        check(estimator)


def test_every_estimator_has_its_list():
    assert {type(e).__name__ for e in ESTIMATORS.values()} <= set(EXPECTED_FAILURES)


# ------------------------------------------------------------------ pipelines
def test_countvectorizer_pipeline_runs_and_names_its_topics():
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.pipeline import Pipeline

    from llstopic.datasets import load_lee_texts

    texts = load_lee_texts()
    pipe = Pipeline([("vec", CountVectorizer(stop_words="english", min_df=3)),
                     ("topics", AnchorWords(20, random_state=0))])
    domain_topic = pipe.fit_transform(texts)
    assert domain_topic.shape == (300, 20)
    np.testing.assert_allclose(domain_topic.sum(axis=1), 1.0)
    np.testing.assert_allclose(pipe.transform(texts[:5]),
                               pipe[-1].transform(pipe[0].transform(texts[:5])))
    names = pipe.get_feature_names_out()
    assert names.tolist() == [f"topic{k}" for k in range(20)]
    assert pipe[-1].n_features_in_ == len(pipe[0].vocabulary_)


def test_pandas_output_of_a_pipeline():
    pd = pytest.importorskip("pandas")
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.pipeline import make_pipeline

    texts = ["apple banana apple", "cherry durian cherry", "apple cherry banana", "durian durian"]
    pipe = make_pipeline(CountVectorizer(), NMF(2, random_state=0).set_output(transform="pandas"))
    frame = pipe.fit(texts).transform(texts)  # (CountVectorizer itself has no set_output)
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == ["topic0", "topic1"]


def test_a_pipeline_passes_the_domains_to_the_discretizer_as_y():
    from sklearn.pipeline import Pipeline

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 600)
    domains = (rng.random(600) < np.where(labels == 0, 0.85, 0.15)).astype(int)
    X = rng.normal(size=(600, 2)) + 3 * labels[:, None]
    disc = Pipeline([("words", DomainDiscretizer(n_words=2, random_state=0))])
    words = disc.fit_transform(X, domains)
    assert words.shape == (600,) and set(np.unique(words)) <= {0, 1}
