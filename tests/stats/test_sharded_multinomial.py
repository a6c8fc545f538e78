"""The multinomial MLE on shards (stats.sharded.fit_multinomial): chunks of rows, one worker
or two (threads of this process), equal to the in-memory fit (stats.multinomial.fit) in every
statistic, to statsmodels' MNLogit, and its evaluation to scikit-learn's metrics."""

import numpy as np
import pytest
import statsmodels.api as sm
from sklearn import metrics

from logitlab.engines.collective import Local
from logitlab.errors import SeparationError
from logitlab.stats import multinomial
from logitlab.stats.sharded import ShardedMNLogitResult, fit_multinomial

CLASSES = ("a", "b", "c", "d")
NAMES = ("x1", "x2", "g")


@pytest.fixture(scope="module")
def data():
    """500 rows, 3 features (one 0/1), 4 classes drawn from a softmax model."""
    rng = np.random.default_rng(7)
    n = 500
    X = np.column_stack((rng.normal(size=n), rng.normal(size=n), rng.integers(0, 2, n)))
    B = np.array([[0.3, -0.2, 0.5], [0.8, -0.6, 0.2], [-0.4, 0.9, 0.3], [0.7, 0.1, -0.8]])
    eta = np.column_stack((np.zeros(n), np.column_stack((np.ones(n), X)) @ B))  # n x 4
    p = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    codes = np.array([rng.choice(4, p=row) for row in p])
    return X, codes


def chunked(X, codes, rows):
    """The batches of a share: (X, y) chunks of `rows` rows, y each row's class position."""
    return lambda: ((X[i : i + rows], codes[i : i + rows].astype(float))
                    for i in range(0, len(codes), rows))  # fmt: skip


def sharded(batches, group, codes, baseline="b"):
    counts = tuple(int(np.sum(codes == k)) for k in range(len(CLASSES)))
    return fit_multinomial(batches, group, classes=CLASSES, counts=counts, baseline=baseline,
                           names=NAMES)  # fmt: skip


def assert_same_fit(got, want):
    np.testing.assert_allclose(got.params, want.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got.cov, want.cov, rtol=1e-9, atol=1e-14)
    for name in ("llf", "llnull", "llr_pvalue", "aic", "bic", "prsquared"):
        assert getattr(got, name) == pytest.approx(getattr(want, name), rel=1e-10), name
    assert (got.nobs, got.df_model, got.df_resid) == (want.nobs, want.df_model, want.df_resid)
    for mine, theirs in zip(got.margeff(), want.margeff(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-14)


def test_chunks_equal_the_in_memory_fit_statsmodels_and_scikit_learn(data):
    X, codes = data
    got = sharded(chunked(X, codes, 37), Local(), codes)
    labels = np.array(CLASSES, dtype=object)[codes]
    want = multinomial.fit(X, labels, baseline="b", names=NAMES)
    assert isinstance(got, ShardedMNLogitResult) and got.exog.size == 0  # no per-row parts
    assert got.equations == ("a", "c", "d") and got.converged
    assert_same_fit(got, want)
    # statsmodels' MNLogit against the baseline 'b' (its first class): b, a, c, d as 0..3
    order = np.array([1, 0, 2, 3])[codes]
    reference = sm.MNLogit(order, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(got.params, reference.params, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(got.bse, reference.bse, rtol=1e-7, atol=1e-9)
    assert got.llf == pytest.approx(reference.llf, rel=1e-10)
    # the evaluation's sums: scikit-learn's confusion matrix and log-loss, classes in order
    p = want.predict(X)
    np.testing.assert_array_equal(got.confusion,
                                  metrics.confusion_matrix(codes, p.argmax(axis=1)))  # fmt: skip
    assert got.log_loss == pytest.approx(metrics.log_loss(codes, p), rel=1e-10)


def test_two_workers_equal_one(data, threads):
    X, codes = data
    one = sharded(chunked(X, codes, 50), Local(), codes, baseline="a")
    shares = (slice(0, 180), slice(180, None))

    def work(group):
        mine = shares[group.rank]
        return sharded(chunked(X[mine], codes[mine], 50), group, codes, baseline="a")

    fits = threads(work)
    np.testing.assert_array_equal(fits[0].params, fits[1].params)  # the same on every worker
    assert_same_fit(fits[0], one)
    np.testing.assert_array_equal(fits[0].confusion, one.confusion)


def test_a_separated_class_is_refused_naming_the_classes():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 1))
    codes = np.where(x[:, 0] > 0.5, 2, rng.integers(0, 2, 300))  # class 2: x above 0.5 only
    with pytest.raises(SeparationError, match=r"'a', 'b', 'c'.*does not exist"):
        fit_multinomial(chunked(x, codes, 64), Local(), classes=CLASSES[:3],
                        counts=tuple(int(np.sum(codes == k)) for k in range(3)), baseline="a",
                        names=("x",))  # fmt: skip
