"""The compiled mini-batch epoch kernel (batches of one row and more) against NumPy updates.

The reference is the package's own sequence for a batch of one: the
objective's one-row view (``Objective.batch``), the solver's ``update`` rule
and the objective's proximal step, sample after sample. The kernel must give
the same coefficients, optimiser state and epoch objective, in its Python
loop (what runs without numba) and, when numba is installed, compiled.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_gd import SGD, AdaGrad, Adam, Momentum, RMSProp
from sklearn_gd import _kernels as kernels
from sklearn_gd._data import Design
from sklearn_gd._loss import LogisticLoss, MultinomialLoss, SquaredLoss
from sklearn_gd._objective import Objective
from sklearn_gd._penalty import ElasticNetPenalty

#: Compiling the kernel for every loss, rule and layout takes minutes: CI runs these
#: with ``-m slow``.
pytestmark = pytest.mark.slow

LOSSES = {
    "squared": (kernels.SQUARED, SquaredLoss, 1),
    "logistic": (kernels.LOGISTIC, LogisticLoss, 1),
    "softmax": (kernels.SOFTMAX, MultinomialLoss, 3),
}
METHODS = {
    "sgd": (kernels.SGD, lambda: SGD()),
    "momentum": (kernels.MOMENTUM, lambda: Momentum(momentum=0.8)),
    "nesterov": (kernels.MOMENTUM, lambda: Momentum(momentum=0.8, nesterov=True)),
    "adam": (kernels.ADAM, lambda: Adam()),
    "adagrad": (kernels.ADAGRAD, lambda: AdaGrad()),
    "rmsprop": (kernels.ADAGRAD, lambda: RMSProp(rho=0.8)),
}


def problem(loss, seed=0, n=30, d=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[rng.random((n, d)) < 0.4] = 0.0
    _, _, k = LOSSES[loss]
    if loss == "squared":
        Y = (X @ rng.standard_normal(d) + 0.3)[:, None]
    elif loss == "logistic":
        Y = (rng.random(n) < 0.5).astype(float)[:, None]
    else:
        Y = np.eye(k)[rng.integers(0, k, size=n)]
    sw = rng.uniform(0.5, 2.0, size=n)
    return X, Y, sw, rng.permutation(n)


def reference_epoch(solver, objective, theta, state, order, lr, batch=1):
    """The NumPy loop's sequence with batches of ``batch`` samples."""
    n = objective.n_samples
    epoch_value = 0.0
    for index in np.array_split(order, -(-n // batch)):  # as Objective.batches cuts an epoch
        part = objective.batch(index)
        value, grad = part.smooth_value_and_gradient(theta)
        epoch_value += (value + part.nonsmooth_value(theta)) * (index.shape[0] / n)
        step, prox_step, state = solver.update(grad, state, theta, lr, part)
        theta = objective.prox(theta - step, prox_step)
    return theta, state, epoch_value


@pytest.mark.parametrize("batch", [1, 4], ids=["one-row", "batch4"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("penalty", [(0.05, 0.0), (0.05, 0.5), (0.0, 0.0)], ids=str)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("compiled", [False, True], ids=["python", "compiled"])
def test_epoch_repeats_the_numpy_update_sequence(
    compiled, loss, method, fit_intercept, penalty, sparse, batch
):
    """30 rows in batches of at most 4 (six of 4 and two of 3), or of one row."""

    if compiled and not kernels.COMPILED:
        pytest.skip("numba is not installed or is disabled")
    X, Y, sw, order = problem(loss)
    code, loss_cls, k = LOSSES[loss]
    method_code, make_solver = METHODS[method]
    alpha, l1_ratio = penalty
    pen = ElasticNetPenalty(alpha, l1_ratio)
    objective = Objective(Design(X, fit_intercept), loss_cls(), Y, sw, pen)
    solver = make_solver()
    n, d = X.shape
    rng = np.random.default_rng(1)
    theta0 = 0.1 * rng.standard_normal(objective.n_coef)
    lr = 0.05
    state0 = solver.init_state(theta0)
    # Two epochs: the state carried over from the first must be used by the second.
    theta, state, values = theta0, state0, []
    for _ in range(2):
        theta, state, value = reference_epoch(solver, objective, theta, state, order, lr, batch)
        values.append(value)

    C0 = objective.coef_matrix(theta0)
    W, b = np.ascontiguousarray(C0[:d]), (C0[d].copy() if fit_intercept else np.zeros(k))
    kernel_state = (np.zeros((d, k)), np.zeros(k), np.zeros((d, k)), np.zeros(k))
    if method_code == kernels.MOMENTUM:  # previous iterate = theta0, previous gradient = 0
        kernel_state[0][:] = W
        kernel_state[1][:] = b
    factor = n * sw / sw.sum()
    rule = solver.kernel_rule()
    t, kernel_values = 0, []
    Xin = sp.csr_matrix(X) if sparse else X
    for _ in range(2):
        value, t, failed = kernels.run_epoch(
            Xin, Y, factor, order, W, b,
            fit_intercept=fit_intercept, loss=code, method=method_code, lr=lr,
            l1=pen.l1, l2=pen.l2, beta_1=rule.get("beta_1", 0.9),
            beta_2=rule.get("beta_2", 0.999), nesterov=rule.get("nesterov", False),
            state=None if method_code == kernels.SGD else kernel_state, t=t,
            batch=batch, compiled=compiled,
        )  # fmt: skip
        assert failed == -1
        kernel_values.append(value)
    C = objective.coef_matrix(theta)
    np.testing.assert_allclose(W, C[:d], rtol=1e-10, atol=1e-12)
    if fit_intercept:
        np.testing.assert_allclose(b, C[d], rtol=1e-10, atol=1e-12)
    else:
        assert np.all(b == 0)
    np.testing.assert_allclose(kernel_values, values, rtol=1e-10)
    if method_code in (kernels.ADAM, kernels.ADAGRAD):
        assert t == 2 * -(-n // batch)
    # the rule's state after the epoch: previous iterate and gradient, the
    # moments, or AdaGrad's (RMSProp's) s in the last two
    if method_code != kernels.SGD:
        pairs = [kernel_state[:2], kernel_state[2:]]
        flats = {kernels.MOMENTUM: state, kernels.ADAM: state[1:], kernels.ADAGRAD: [state]}
        if method_code == kernels.ADAGRAD:
            pairs = pairs[1:]
        for flat, (Ws, bs) in zip(flats[method_code], pairs, strict=True):
            R = objective.coef_matrix(flat)
            np.testing.assert_allclose(Ws, R[:d], rtol=1e-10, atol=1e-12)
            if fit_intercept:
                np.testing.assert_allclose(bs, R[d], rtol=1e-10, atol=1e-12)


def test_lazy_scaling_touches_only_the_stored_entries_of_a_sparse_row():
    """sgd with L2 only: a column never stored keeps V, its weight only decays."""
    X = sp.csr_matrix(np.array([[1.0, 0.0], [2.0, 0.0], [0.5, 0.0]]))
    Y = np.array([[1.0], [0.0], [1.0]])
    W = np.array([[0.3], [0.7]])
    b = np.zeros(1)
    kernels.run_epoch(
        X, Y, np.ones(3), np.arange(3), W, b, fit_intercept=True,
        loss=kernels.LOGISTIC, method=kernels.SGD, lr=0.1, l2=0.5, compiled=False,
    )  # fmt: skip
    np.testing.assert_allclose(W[1, 0], 0.7 * (1 - 0.1 * 0.5) ** 3, rtol=1e-14)


def test_non_finite_coefficients_are_reported():
    X = np.array([[1e200, 1.0], [1e200, 1.0]])
    Y = np.array([[1e200], [1e200]])
    W, b = np.zeros((2, 1)), np.zeros(1)
    _, _, failed = kernels.run_epoch(
        X, Y, np.ones(2), np.arange(2), W, b, fit_intercept=True,
        loss=kernels.SQUARED, method=kernels.SGD, lr=1.0, compiled=False,
    )  # fmt: skip
    assert failed >= 0
