"""Mini-batch fits through the compiled epoch and through the NumPy loop.

Where numba is active the first-order loop runs each mini-batch epoch (batches
of one row or more) as one kernel call (``solvers/_compiled_epochs.py``). These
tests fit the same estimator with the kernel and with the NumPy loop (``_kernels.COMPILED``
patched off, as ``SKLEARN_GD_DISABLE_NUMBA=1`` leaves it) and require the same
coefficients, optimiser state and history, over ``fit`` and ``partial_fit``.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from sklearn_gd import (
    SGD,
    Adam,
    AdamW,
    DivergenceError,
    GDLinearRegression,
    GDLogisticRegression,
    GDSoftmaxClassifier,
    Momentum,
)
from sklearn_gd import _kernels as kernels
from sklearn_gd._data import Design
from sklearn_gd._loss import SquaredLoss
from sklearn_gd._objective import Objective
from sklearn_gd._penalty import ElasticNetPenalty
from sklearn_gd.solvers import _compiled_epochs

#: Compiling the kernel for every loss, rule and layout takes minutes: CI runs
#: these with ``-m slow``.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not kernels.COMPILED, reason="numba missing or disabled"),
]

RULES = {
    "sgd": lambda: "sgd",
    "momentum": lambda: Momentum(momentum=0.7),
    "nesterov": lambda: Momentum(momentum=0.7, nesterov=True),
    "adam": lambda: Adam(),
    "adagrad": lambda: "adagrad",
    "rmsprop": lambda: "rmsprop",
}
ESTIMATORS = {
    "squared": GDLinearRegression,
    "logistic": GDLogisticRegression,
    "softmax": GDSoftmaxClassifier,
}


def data(loss, sparse, seed=0, n=40, d=5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[rng.random((n, d)) < 0.3] = 0.0
    if loss == "squared":
        y = X @ rng.standard_normal(d) + 0.5 + 0.1 * rng.standard_normal(n)
    else:
        y = rng.integers(0, 3, size=n)
    return (sp.csr_matrix(X) if sparse else X), y


@pytest.fixture
def count_kernel_epochs(monkeypatch):
    """Counts the kernel's epochs (so a test knows the kernel ran)."""
    calls = []
    original = kernels.run_epoch

    def counting(*args, **kwargs):
        calls.append(kwargs["method"])
        return original(*args, **kwargs)

    monkeypatch.setattr(kernels, "run_epoch", counting)
    return calls


def fit_both(monkeypatch, make, X, y, method="fit", **kwargs):
    """The fitted estimators ``(kernel, numpy_loop)`` of two identical fits."""
    monkeypatch.setattr(_compiled_epochs, "MIN_STORED", 0)  # mini-batches of small data too
    fitted = []
    for compiled in (True, False):
        monkeypatch.setattr(kernels, "COMPILED", compiled)
        est = make()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if method == "fit":
                est.fit(X, y, **kwargs)
            else:
                for block in (slice(0, 25), slice(25, None)):
                    est.partial_fit(X[block], y[block], **kwargs)
        fitted.append(est)
    monkeypatch.setattr(kernels, "COMPILED", True)
    return fitted


def assert_same(fast, slow):
    np.testing.assert_allclose(fast.coef_, slow.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fast.intercept_, slow.intercept_, rtol=1e-9, atol=1e-12)
    rule_fast, rule_slow = fast._solver_state.rule, slow._solver_state.rule
    if rule_slow is not None:
        for a, b in zip(rule_fast, rule_slow, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("batch_size", [1, 7])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("rule", list(RULES))
@pytest.mark.parametrize("loss", list(ESTIMATORS))
def test_fit_matches_the_numpy_loop(
    monkeypatch, count_kernel_epochs, loss, rule, fit_intercept, sparse, batch_size
):
    """One-row batches, and 40 rows in batches of 7 (the last of 5)."""
    X, y = data(loss, sparse)
    sw = np.random.default_rng(3).uniform(0.5, 2.0, size=X.shape[0])

    def make():
        return ESTIMATORS[loss](
            solver=RULES[rule](), batch_size=batch_size, max_iter=4, tol=0.0, alpha=0.01,
            l1_ratio=0.3, learning_rate=0.02, fit_intercept=fit_intercept, random_state=0,
        )  # fmt: skip

    fast, slow = fit_both(monkeypatch, make, X, y, sample_weight=sw)
    assert len(count_kernel_epochs) == 4  # the kernel ran every epoch of the first fit
    assert_same(fast, slow)
    np.testing.assert_allclose(
        fast.history_["objective"], slow.history_["objective"],
        rtol=1e-9,
    )  # fmt: skip


@pytest.mark.parametrize("rule", list(RULES))
def test_partial_fit_continues_the_state(monkeypatch, count_kernel_epochs, rule):
    X, y = data("logistic", sparse=False)

    def make():
        return GDLogisticRegression(
            solver=RULES[rule](), batch_size=1, alpha=0.01, learning_rate=0.05, random_state=0
        )

    fast, slow = fit_both(monkeypatch, make, X, y, method="partial_fit", classes=[0, 1, 2])
    assert len(count_kernel_epochs) == 2
    assert_same(fast, slow)


def test_overflow_is_reported_as_divergence():
    X, y = data("squared", sparse=False)
    est = GDLinearRegression(solver="sgd", batch_size=1, learning_rate=1e3, max_iter=5, tol=0.0)

    with pytest.raises(DivergenceError, match="overflowed"):
        est.fit(1e100 * X, y)


def objective_on(X):
    n = X.shape[0]
    return Objective(
        Design(X, True), SquaredLoss(), np.ones((n, 1)), np.ones(n), ElasticNetPenalty(0.1, 0.0)
    )


def test_kernel_is_used_only_where_it_repeats_the_loop(monkeypatch):
    X = np.ones((4, 2))
    for_run = _compiled_epochs.CompiledEpochs.for_run
    # below MIN_STORED entries, batches of several rows keep the NumPy loop
    assert for_run(SGD(), objective_on(X), 2) is None
    monkeypatch.setattr(_compiled_epochs, "MIN_STORED", 0)
    assert for_run(Adam(), objective_on(X), 1) is not None
    assert for_run(SGD(), objective_on(X), 1) is not None
    # AdamW's decoupled decay is not in the kernel
    assert for_run(AdamW(), objective_on(X), 1) is None
    # float32 X: the NumPy loop's products round in float32
    assert for_run(SGD(), objective_on(X.astype(np.float32)), 1) is None
    # mini-batches of two rows; a full batch (all four rows, or a single row) is not
    assert for_run(SGD(), objective_on(X), 2) is not None
    assert for_run(SGD(), objective_on(X), 4) is None
    assert for_run(SGD(), objective_on(X[:1]), 1) is None


@pytest.mark.parametrize("batch_size", [1, 7])
def test_per_update_schedule_gives_each_update_its_step(
    monkeypatch, count_kernel_epochs, batch_size
):
    from sklearn_gd.schedules import PerUpdate

    X, y = data("logistic", sparse=False)

    def make():
        return GDLogisticRegression(
            solver="sgd", batch_size=batch_size, max_iter=3, tol=0.0, alpha=0.01,
            learning_rate=0.5, schedule=PerUpdate("invscaling"), random_state=0,
        )  # fmt: skip

    fast, slow = fit_both(monkeypatch, make, X, y)
    assert len(count_kernel_epochs) == 3
    updates = 3 * -(-X.shape[0] // batch_size)
    assert fast._solver_state.updates == slow._solver_state.updates == updates
    assert_same(fast, slow)
    np.testing.assert_allclose(fast.history_["learning_rate"], slow.history_["learning_rate"])


@pytest.mark.parametrize("batch_size", [1, 7])
@pytest.mark.parametrize("average", [True, 50])
@pytest.mark.parametrize("rule", ["sgd", "adam"])
def test_averaged_iterates_are_kept(monkeypatch, count_kernel_epochs, rule, average, batch_size):
    """``average=50`` starts the mean inside the second epoch (40 rows an epoch)."""
    X, y = data("logistic", sparse=True)

    def make():
        return GDLogisticRegression(
            solver=RULES[rule](), batch_size=batch_size, max_iter=3, tol=0.0, alpha=0.01,
            learning_rate=0.05, average=average, random_state=0,
        )  # fmt: skip

    fast, slow = fit_both(monkeypatch, make, X, y)
    assert len(count_kernel_epochs) == 3
    assert fast._solver_state.n_average == slow._solver_state.n_average > 0
    assert fast._solver_state.seen == slow._solver_state.seen == 3 * X.shape[0]
    assert_same(fast, slow)
    np.testing.assert_allclose(fast._solver_state.raw, slow._solver_state.raw, rtol=1e-9)


def test_mean_since_the_plateau_reduction_is_kept(monkeypatch, count_kernel_epochs):
    """A plateau divides the rate by 5; the mean of the later iterates may be returned."""
    X, y = data("squared", sparse=False)

    def make():
        return GDLinearRegression(
            solver="sgd", batch_size=1, max_iter=6, tol=10.0, n_iter_no_change=2,
            alpha=0.01, learning_rate=0.02, random_state=0,
        )  # fmt: skip

    fast, slow = fit_both(monkeypatch, make, X, y)
    assert fast._solver_state.lr_scale < 1.0
    assert fast._solver_state.n_tail == slow._solver_state.n_tail > 0
    np.testing.assert_allclose(fast._solver_state.tail, slow._solver_state.tail, rtol=1e-9)
    assert_same(fast, slow)


def test_recorded_batches_are_the_one_sample_objectives(monkeypatch, count_kernel_epochs):
    X, y = data("softmax", sparse=False)

    def make():
        return GDSoftmaxClassifier(
            solver=Momentum(momentum=0.7), batch_size=1, max_iter=2, tol=0.0, alpha=0.01,
            learning_rate=0.05, record_batches=True, random_state=0,
        )  # fmt: skip

    fast, slow = fit_both(monkeypatch, make, X, y)
    assert len(fast.history_["batch_objective"]) == 2 * X.shape[0]
    np.testing.assert_allclose(
        fast.history_["batch_objective"], slow.history_["batch_objective"], rtol=1e-9
    )
