"""Mini-batches gathered into reused buffers give the fit of fresh batch objectives.

``solvers/_batch_buffers.py`` replaces :meth:`Objective.batches` for dense
in-memory data; the fit must be the one the fresh :meth:`Objective.batch`
views give: same coefficients, state and history.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_gd import (
    GDLinearRegression,
    GDLogisticRegression,
    GDSoftmaxClassifier,
    _kernels,
    _objective,
)
from sklearn_gd.solvers import _batch_buffers, solvers_with
from sklearn_gd.solvers._batch_buffers import BatchBuffers


def data(kind, order="C", dtype=np.float64, n=53, d=4):
    rng = np.random.default_rng(0)
    X = np.asarray(rng.standard_normal((n, d)), dtype=dtype, order=order)
    if kind == "regression":
        return X, X @ rng.standard_normal(d) + 0.2 * rng.standard_normal(n)
    return X, rng.integers(0, 3, size=n)


def fit_both(monkeypatch, make, X, y, **kwargs):
    # The NumPy loop's batches (the compiled mini-batch epoch reads rows in place).
    monkeypatch.setattr(_kernels, "COMPILED", False)
    fitted = []
    for buffered in (True, False):
        if not buffered:  # the loop's own batches
            monkeypatch.setattr(_batch_buffers.BatchBuffers, "for_run", lambda *a: None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitted.append(make().fit(X, y, **kwargs))
    return fitted


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("solver", solvers_with("supports_partial_fit"))
@pytest.mark.parametrize(
    "estimator, kind",
    [
        (GDLinearRegression, "regression"),
        (GDLogisticRegression, "classification"),
        (GDSoftmaxClassifier, "classification"),
    ],
)
def test_buffered_batches_give_the_same_fit(monkeypatch, estimator, kind, solver, weighted):
    X, y = data(kind)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, size=X.shape[0]) if weighted else None

    def make():
        # 53 rows in batches of 10: the last batch has 3 rows.
        return estimator(
            solver=solver, batch_size=10, max_iter=4, tol=0.0, alpha=0.01, l1_ratio=0.2,
            learning_rate=0.05, random_state=0,
        )  # fmt: skip

    fast, slow = fit_both(monkeypatch, make, X, y, sample_weight=sw)
    np.testing.assert_array_equal(fast.coef_, slow.coef_)
    np.testing.assert_array_equal(fast.intercept_, slow.intercept_)
    np.testing.assert_array_equal(fast.history_["objective"], slow.history_["objective"])


@pytest.mark.parametrize("order, dtype", [("F", np.float64), ("C", np.float32)])
def test_other_layouts_give_the_same_fit(monkeypatch, order, dtype):
    X, y = data("classification", order=order, dtype=dtype)

    def make():
        return GDLogisticRegression(solver="sgd", batch_size=8, max_iter=3, tol=0.0, random_state=0)

    fast, slow = fit_both(monkeypatch, make, X, y)
    np.testing.assert_allclose(fast.coef_, slow.coef_, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_a_reused_batch_forgets_the_gram_matrix_of_the_previous_one(monkeypatch):
    # Batch objectives of the squared loss form their Gram matrix past a size;
    # lowered here so that they do: a reused batch must not keep the last one's.
    monkeypatch.setattr(_objective, "GRAM_MIN_ENTRIES", 1)
    monkeypatch.setattr(_objective, "GRAM_DOF_PER_EVALUATION", 1000)
    X, y = data("regression", n=60)

    def make():
        return GDLinearRegression(
            solver="sgd", batch_size=30, max_iter=4, tol=0.0, learning_rate=0.05, random_state=0
        )

    fast, slow = fit_both(monkeypatch, make, X, y)
    np.testing.assert_allclose(fast.coef_, slow.coef_, rtol=1e-12)


def test_buffers_only_for_dense_mini_batches():
    from scipy import sparse as sp

    from sklearn_gd._data import Design
    from sklearn_gd._loss import SquaredLoss
    from sklearn_gd._penalty import ElasticNetPenalty

    def objective(X):
        n = X.shape[0]
        return _objective.Objective(
            Design(X, True), SquaredLoss(), np.ones((n, 1)), np.ones(n), ElasticNetPenalty(0, 0)
        )

    X = np.ones((10, 2))
    assert BatchBuffers.for_run(objective(X), 4) is not None
    assert BatchBuffers.for_run(objective(X), 10) is None  # full batch
    assert BatchBuffers.for_run(objective(sp.csr_matrix(X)), 4) is None
