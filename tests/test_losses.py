"""Losses, penalty and objective: derivatives, stability, proximal operator, curvature.

Derivatives are checked against central finite differences; values against the
objective as written independently in ``conftest.py``. Every loss of
:mod:`sklearn_gd._loss` at extreme logits (1e4 and beyond, up to the largest
float) in float32 and float64: values equal to an exact reference (``decimal``
arithmetic, 40 digits) wherever that is representable and ``+inf`` where it is
not, gradients and Hessians finite, never a warning.
"""

import warnings
from decimal import Decimal, localcontext

import numpy as np
import pytest
from conftest import few_examples, one_hot
from conftest import objective as reference_objective
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import minimize
from sklearn._loss.link import Interval

import sklearn_gd._loss as loss_module
from sklearn_gd import GDLinearRegression
from sklearn_gd._data import Design
from sklearn_gd._loss import LogisticLoss, Loss, MultinomialLoss, SquaredLoss
from sklearn_gd._objective import Objective
from sklearn_gd._penalty import ElasticNetPenalty
from sklearn_gd.exceptions import NoCurvatureBoundError
from sklearn_gd.solvers import solver_names

#: The numbers of outputs each loss of the registry is tested with (a 2-D ``y``;
#: one-vs-rest and binary logistic; softmax over 2 and 3 classes).
OUTPUTS = {"squared": [1, 2], "logistic": [1, 3], "multinomial": [2, 3]}
#: (id, loss class, number of outputs, registry name = kind in conftest's reference
#: objective), for every loss of :data:`sklearn_gd._loss.LOSSES`.
LOSSES = [
    (f"{name}-{k}", loss_cls, k, name)
    for name, loss_cls in loss_module.LOSSES.items()
    for k in OUTPUTS.get(name, [1])
]
LOSS_IDS = [case[0] for case in LOSSES]
#: The classification losses: values grow like |z| (no squares) at huge logits.
CLASSIFICATION = [case for case in LOSSES if case[3] != "squared"]
CLASSIFICATION_IDS = [case[0] for case in CLASSIFICATION]
DTYPES = [np.float32, np.float64]
FEW = few_examples(4)


def targets(kind, rng, n, k):
    """Valid targets for a loss: real values, 0/1 indicators (one-vs-rest) or one-hot rows."""
    if kind == "squared":
        return rng.standard_normal((n, k))
    labels = rng.integers(0, k if k > 1 else 2, size=n)
    if kind == "logistic" and k == 1:
        return labels.reshape(-1, 1).astype(float)
    return one_hot(labels, k)


def central_difference(f, x, h=1e-6):
    """Gradient of the scalar ``f`` at the flat ``x`` by central differences."""
    grad = np.empty_like(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        grad[j] = (f(x + e) - f(x - e)) / (2 * h)
    return grad


# ----------------------------------------------------------------- pointwise
@pytest.mark.parametrize("name, loss_cls, k, kind", LOSSES, ids=LOSS_IDS)
def test_loss_gradient_matches_finite_differences(name, loss_cls, k, kind):
    rng = np.random.default_rng(0)
    n = 7
    Y = targets(kind, rng, n, k)
    Z = 2.0 * rng.standard_normal((n, k))
    loss = loss_cls()
    values, grad = loss.loss_gradient(Y, Z)
    assert values.shape == (n,) and grad.shape == (n, k)
    np.testing.assert_allclose(loss.loss(Y, Z), values, rtol=1e-12)

    def total(z):
        return loss.loss(Y, z.reshape(n, k)).sum()

    np.testing.assert_allclose(grad.ravel(), central_difference(total, Z.ravel()), atol=1e-7)
    # and the values are the textbook ones (conftest writes them independently)
    for i in range(n):
        expected = reference_objective(kind, np.eye(1), Y[i : i + 1], Z[i : i + 1], 0, None, 0)
        assert values[i] == pytest.approx(expected, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("name, loss_cls, k, kind", LOSSES, ids=LOSS_IDS)
def test_loss_hessian_operator_and_blocks_match_finite_differences(name, loss_cls, k, kind):
    rng = np.random.default_rng(1)
    n = 6
    Y = targets(kind, rng, n, k)
    Z = 2.0 * rng.standard_normal((n, k))
    dZ = rng.standard_normal((n, k))
    loss = loss_cls()
    h = 1e-6
    expected = (loss.loss_gradient(Y, Z + h * dZ)[1] - loss.loss_gradient(Y, Z - h * dZ)[1]) / (
        2 * h
    )
    HdZ = loss.hessian_operator(Y, Z)(dZ)
    np.testing.assert_allclose(HdZ, expected, atol=1e-8)

    blocks = loss.hessian_blocks(Y, Z)
    per_sample = np.zeros((n, k, k))
    for (a, b), entries in blocks.items():
        assert a <= b
        per_sample[:, a, b] = entries
        per_sample[:, b, a] = entries
    np.testing.assert_allclose(np.einsum("iab,ib->ia", per_sample, dZ), HdZ, atol=1e-12)
    # curvature_bound bounds the per-sample Hessian's largest eigenvalue
    assert np.linalg.eigvalsh(per_sample).max() <= loss.curvature_bound + 1e-12


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e4, 1e5])
@pytest.mark.parametrize("name, loss_cls, k, kind", CLASSIFICATION, ids=CLASSIFICATION_IDS)
def test_objective_with_huge_logits_is_finite_without_warnings(
    name, loss_cls, k, kind, scale, dtype
):
    rng = np.random.default_rng(3)
    n, d = 10, 3
    X = (scale * np.sign(rng.standard_normal((n, d)))).astype(dtype)
    Y = targets(kind, rng, n, k)
    obj = Objective(
        Design(X, True), loss_cls(), Y, rng.uniform(0.5, 2, n), ElasticNetPenalty(0.1, 0.0)
    )
    theta = rng.choice([-1.0, 1.0], size=obj.n_coef)  # logits of order +-scale
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = obj.smooth_value_and_gradient(theta)
        results = [value, grad, obj.value(theta), obj.hessp(theta, grad), obj.hessian(theta)]
    for result in results:
        assert np.all(np.isfinite(result))
    assert value > 0.1 * scale  # confident mistakes cost about |z|


# ----------------------------------------------------------------- objective
def make_objective(name, loss_cls, k, kind, *, fit_intercept, weighted, alpha, l1_ratio, seed=0):
    rng = np.random.default_rng(seed)
    n, d = 9, 4
    X = rng.standard_normal((n, d)) + rng.uniform(-1, 1, size=d)
    Y = targets(kind, rng, n, k)
    sw = rng.uniform(0.2, 3.0, size=n) if weighted else np.ones(n)
    obj = Objective(Design(X, fit_intercept), loss_cls(), Y, sw, ElasticNetPenalty(alpha, l1_ratio))
    return obj, X, Y, sw


OBJECTIVE_CASES = [
    pytest.param(case, fit_intercept, weighted, alpha, l1_ratio, id=f"{case[0]}-{tag}")
    for case in LOSSES
    for fit_intercept, weighted, alpha, l1_ratio, tag in [
        (True, False, 0.0, 0.0, "intercept"),
        (False, False, 0.0, 0.0, "no-intercept"),
        (True, True, 0.3, 0.0, "intercept-weighted-l2"),
        (False, True, 0.3, 0.4, "no-intercept-weighted-elasticnet"),
    ]
]


@pytest.mark.parametrize("case, fit_intercept, weighted, alpha, l1_ratio", OBJECTIVE_CASES)
def test_objective_value_gradient_and_hessp_match_finite_differences(
    case, fit_intercept, weighted, alpha, l1_ratio
):
    name, loss_cls, k, kind = case
    obj, X, Y, sw = make_objective(
        *case, fit_intercept=fit_intercept, weighted=weighted, alpha=alpha, l1_ratio=l1_ratio
    )
    d = X.shape[1]
    rng = np.random.default_rng(5)
    theta = rng.standard_normal(obj.n_coef)
    assert obj.n_coef == (d + fit_intercept) * k

    # value: the objective, from conftest's independent implementation
    C = theta.reshape(d + fit_intercept, k)
    b = C[d] if fit_intercept else np.zeros(k)
    full = reference_objective(kind, X, Y, C[:d], b, sw, alpha, l1_ratio)
    smooth = reference_objective(kind, X, Y, C[:d], b, sw, alpha * (1 - l1_ratio), 0.0)
    value, grad = obj.smooth_value_and_gradient(theta)
    assert value == pytest.approx(smooth, rel=1e-12)
    assert obj.smooth_value(theta) == pytest.approx(smooth, rel=1e-12)
    assert obj.value(theta) == pytest.approx(full, rel=1e-12)
    assert obj.nonsmooth_value(theta) == pytest.approx(full - smooth, rel=1e-10, abs=1e-14)

    # gradient of the smooth part
    fd = central_difference(obj.smooth_value, theta)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)

    # Hessian-vector products, at two directions
    h = 1e-6
    for v in rng.standard_normal((2, obj.n_coef)):
        expected = (
            obj.smooth_value_and_gradient(theta + h * v)[1]
            - obj.smooth_value_and_gradient(theta - h * v)[1]
        ) / (2 * h)
        np.testing.assert_allclose(obj.hessp(theta, v), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case, fit_intercept, weighted, alpha, l1_ratio", OBJECTIVE_CASES)
def test_objective_hessian_is_hessp_column_by_column(
    case, fit_intercept, weighted, alpha, l1_ratio
):
    obj, *_ = make_objective(
        *case, fit_intercept=fit_intercept, weighted=weighted, alpha=alpha, l1_ratio=l1_ratio
    )
    theta = np.random.default_rng(6).standard_normal(obj.n_coef)
    # Evaluate the gradient first (solvers do): the Hessian must not depend on it.
    obj.smooth_value_and_gradient(theta + 1.0)
    H = obj.hessian(theta)
    columns = np.column_stack([obj.hessp(theta, e) for e in np.eye(obj.n_coef)])
    np.testing.assert_allclose(H, columns, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(H, H.T, rtol=1e-12, atol=1e-14)
    assert np.linalg.eigvalsh(H).min() >= -1e-10  # convex


@pytest.mark.parametrize("case", LOSSES, ids=LOSS_IDS)
def test_l2_penalty_never_touches_the_intercept(case):
    obj, X, *_ = make_objective(*case, fit_intercept=True, weighted=True, alpha=0.5, l1_ratio=0.5)
    d, k = X.shape[1], case[2]
    theta = np.random.default_rng(7).standard_normal(obj.n_coef)
    l2_grad = obj.l2_gradient(theta).reshape(d + 1, k)
    np.testing.assert_array_equal(l2_grad[d], 0.0)
    np.testing.assert_allclose(l2_grad[:d], 0.25 * theta.reshape(d + 1, k)[:d])
    proxed = obj.prox(theta, 0.3).reshape(d + 1, k)
    np.testing.assert_array_equal(proxed[d], theta.reshape(d + 1, k)[d])


@pytest.mark.parametrize("case", LOSSES, ids=LOSS_IDS)
def test_mini_batch_gradients_average_to_the_full_gradient(case):
    obj, X, *_ = make_objective(*case, fit_intercept=True, weighted=True, alpha=0.2, l1_ratio=0)
    theta = np.random.default_rng(8).standard_normal(obj.n_coef)
    n = obj.n_samples
    parts = [np.arange(0, 4), np.arange(4, n)]
    full_value, full_grad = obj.smooth_value_and_gradient(theta)
    value = sum(len(p) / n * obj.batch(p).smooth_value_and_gradient(theta)[0] for p in parts)
    grad = sum(len(p) / n * obj.batch(p).smooth_value_and_gradient(theta)[1] for p in parts)
    assert value == pytest.approx(full_value, rel=1e-12)
    np.testing.assert_allclose(grad, full_grad, rtol=1e-12, atol=1e-14)


# ------------------------------------------------------------------- penalty
def test_elastic_net_prox_is_soft_thresholding():
    rng = np.random.default_rng(9)
    W = rng.standard_normal((6, 3)) * 2
    penalty = ElasticNetPenalty(alpha=0.8, l1_ratio=0.5)
    for step in [0.1, 1.0, rng.uniform(0.1, 2.0, size=W.shape)]:
        threshold = step * 0.8 * 0.5
        expected = np.where(
            W > threshold, W - threshold, np.where(W < -threshold, W + threshold, 0.0)
        )
        out = penalty.prox(W, step)
        np.testing.assert_allclose(out, expected, rtol=1e-15, atol=0)
        assert np.all(out[np.abs(W) <= threshold] == 0.0)
    # It is the minimiser of 1/2 |u - w|^2 + step * l1 * |u|_1, coordinate by coordinate.
    grid = np.linspace(-5, 5, 200_001)
    for w in [-2.3, -0.1, 0.0, 0.15, 1.7]:
        objective = 0.5 * (grid - w) ** 2 + 0.7 * 0.4 * np.abs(grid)
        best = grid[np.argmin(objective)]
        assert ElasticNetPenalty(0.7, 0.4).prox(np.array([w]), 1.0)[0] == pytest.approx(
            best, abs=1e-4
        )
    # Without an L1 part it is the identity.
    np.testing.assert_array_equal(ElasticNetPenalty(0.8, 0.0).prox(W, 1.0), W)


def test_elastic_net_penalty_value_and_gradient():
    W = np.array([[1.0, -2.0], [0.5, 0.0]])
    penalty = ElasticNetPenalty(alpha=0.6, l1_ratio=0.25)
    l1, l2 = 0.6 * 0.25, 0.6 * 0.75
    assert penalty.value(W) == pytest.approx(l1 * 3.5 + 0.5 * l2 * 5.25)
    value, grad = penalty.smooth_value_and_gradient(W)
    assert value == pytest.approx(0.5 * l2 * 5.25)
    np.testing.assert_allclose(grad, l2 * W)
    assert ElasticNetPenalty(0.6, 0.0).is_smooth and not penalty.is_smooth


# ---------------------------------------------------------------- lipschitz
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("seed", range(4))
def test_lipschitz_estimate_bounds_the_largest_hessian_eigenvalue_squared_loss(
    seed, weighted, fit_intercept
):
    rng = np.random.default_rng(seed)
    n, d = 30, 5
    # correlated, unevenly scaled columns: the top eigenvector is not trivial
    X = rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) * rng.uniform(0.1, 3, d)
    X += rng.uniform(-2, 2, size=d)
    sw = rng.uniform(0.1, 3, size=n) if weighted else np.ones(n)
    alpha = [0.0, 0.5][seed % 2]
    obj = Objective(
        Design(X, fit_intercept),
        SquaredLoss(),
        rng.standard_normal((n, 1)),
        sw,
        ElasticNetPenalty(alpha, 0.0),
    )
    X1 = np.column_stack([X, np.ones(n)]) if fit_intercept else X
    H = X1.T @ (sw[:, None] * X1) / sw.sum()
    H[np.arange(d), np.arange(d)] += alpha
    top = np.linalg.eigvalsh(H).max()
    L = obj.lipschitz()
    assert L >= 0.99 * top
    # and it is not loose: a Rayleigh quotient of the data part, plus the L2 strength
    data_top = np.linalg.eigvalsh(X1.T @ (sw[:, None] * X1) / sw.sum()).max()
    assert L <= data_top * (1 + 1e-9) + alpha
    np.testing.assert_allclose(obj.hessian(np.zeros(obj.n_coef)), H, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CLASSIFICATION, ids=CLASSIFICATION_IDS)
def test_lipschitz_estimate_bounds_the_hessian_of_classification_losses(case):
    obj, *_ = make_objective(*case, fit_intercept=True, weighted=True, alpha=0.1, l1_ratio=0)
    L = obj.lipschitz()
    rng = np.random.default_rng(10)
    for theta in [np.zeros(obj.n_coef), *rng.standard_normal((3, obj.n_coef))]:
        assert L >= 0.99 * np.linalg.eigvalsh(obj.hessian(theta)).max()


@pytest.mark.parametrize("name, loss_cls, k, kind", LOSSES, ids=LOSS_IDS)
def test_loss_difference_equals_the_difference_of_losses(name, loss_cls, k, kind):
    rng = np.random.default_rng(0)
    loss = loss_cls()
    Z0 = rng.standard_normal((40, k)) * 3
    Y = targets(kind, rng, 40, k)
    # small and large differences, both branches
    D = rng.standard_normal((40, k)) * np.where(rng.random((40, 1)) < 0.5, 1e-3, 5.0)
    expected = loss.loss(Y, Z0 + D) - loss.loss(Y, Z0)
    np.testing.assert_allclose(loss.loss_difference(Y, Z0, D), expected, rtol=1e-9, atol=1e-12)
    # tiny differences keep their relative precision (the plain difference cannot)
    tiny = 1e-12 * rng.standard_normal((40, k))
    first_order = np.einsum("ij,ij->i", loss.loss_gradient(Y, Z0)[1], tiny)
    np.testing.assert_allclose(loss.loss_difference(Y, Z0, tiny), first_order, rtol=1e-6)


# ------------------------------------------- the model: link, targets, intercept
def raw_targets(kind, rng, n, k):
    """``(y, n_classes)`` as an estimator hands them to its loss's ``target_matrix``."""
    if kind == "squared":
        return (rng.standard_normal((n, k)) if k > 1 else rng.standard_normal(n)), None
    n_classes = 2 if k == 1 else k
    return rng.integers(0, n_classes, size=n), n_classes


def test_every_loss_of_the_registry_is_tested_and_every_loss_is_registered():
    assert set(OUTPUTS) == set(loss_module.LOSSES)
    defined = {
        obj
        for obj in vars(loss_module).values()
        if isinstance(obj, type) and issubclass(obj, Loss) and obj is not Loss
    }
    assert defined == set(loss_module.LOSSES.values())


@pytest.mark.parametrize("name, loss_cls, k, kind", LOSSES, ids=LOSS_IDS)
def test_target_matrix_encodes_valid_targets_and_refuses_others_naming_the_range(
    name, loss_cls, k, kind
):
    loss = loss_cls()
    y, n_classes = raw_targets(kind, np.random.default_rng(0), 12, k)
    for dtype in DTYPES:
        Y = loss.target_matrix(y, n_classes, dtype)
        assert Y.shape == (12, k) and Y.dtype == dtype
        assert loss.in_target_range(Y)
    if kind == "squared":
        np.testing.assert_array_equal(Y, np.reshape(y, (12, k)))
        return
    # 0/1 indicators or one-hot rows of the labels
    expected = one_hot(y, n_classes) if k > 1 else y.reshape(-1, 1).astype(float)
    np.testing.assert_array_equal(Y, expected)
    for outside in (-0.5, 1.5):
        Y_bad = Y.copy()
        Y_bad[3, 0] = outside
        assert not loss.in_target_range(Y_bad)
        with pytest.raises(ValueError, match=r"needs targets in \[0, 1\]"):
            loss.check_targets(Y_bad)


@pytest.mark.parametrize("name, loss_cls, k, kind", LOSSES, ids=LOSS_IDS)
def test_inverse_link_and_link_are_inverse(name, loss_cls, k, kind):
    loss = loss_cls()
    rng = np.random.default_rng(2)
    Z = 3.0 * rng.standard_normal((20, k))
    if kind == "multinomial":  # the symmetric logit: the representative summing to zero
        Z -= Z.mean(axis=1, keepdims=True)
    P = loss.inverse_link(Z)
    r = loss.prediction_range
    assert np.all(P > r.low) and np.all(P < r.high)
    if kind == "multinomial":
        np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(loss.link(P), Z, rtol=1e-12, atol=1e-12)
    # the gradient of a canonical link's loss is the prediction minus the target
    Y = targets(kind, rng, 20, k)
    np.testing.assert_allclose(loss.loss_gradient(Y, Z)[1], P - Y, rtol=1e-12, atol=1e-15)
    if hasattr(loss, "log_inverse_link"):  # log(P) itself is off by eps near P = 1
        np.testing.assert_allclose(loss.log_inverse_link(Z), np.log(P), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name, loss_cls, k, kind", LOSSES, ids=LOSS_IDS)
def test_intercept_only_minimises_the_intercept_only_objective(name, loss_cls, k, kind):
    loss = loss_cls()
    rng = np.random.default_rng(4)
    n = 30
    Y = targets(kind, rng, n, k)
    sw = rng.uniform(0.2, 3.0, size=n)
    b = loss.intercept_only(Y, sw)
    assert b.shape == (k,)

    def value_and_gradient(intercept):
        values, grad = loss.loss_gradient(Y, np.broadcast_to(intercept, (n, k)))
        return sw @ values / sw.sum(), sw @ grad / sw.sum()

    value, grad = value_and_gradient(b)
    np.testing.assert_allclose(grad, 0.0, atol=1e-12)  # stationary, and convex: the minimum
    for step in 1e-3 * rng.standard_normal((5, k)):
        assert value_and_gradient(b + step)[0] >= value
    reference = minimize(value_and_gradient, np.zeros(k), jac=True, method="BFGS", tol=1e-14)
    assert value <= reference.fun + 1e-14
    if kind == "multinomial":
        assert abs(b.sum()) <= 1e-12  # the symmetric representative


def test_intercept_only_of_a_class_absent_from_the_data_is_clipped():
    # the mean share is clipped 1e-8 inside (0, 1): a finite intercept, far out
    for loss in (LogisticLoss(), MultinomialLoss()):
        Y = one_hot(np.array([0, 0, 2, 2]), 3)
        b = loss.intercept_only(Y, np.ones(4))
        assert np.all(np.isfinite(b)) and b[1] < b[0] - 15
        assert not loss.mean_inside_range(Y.mean(axis=0))
        assert loss.mean_inside_range(one_hot(np.arange(3), 3).mean(axis=0))


@pytest.mark.parametrize("name, loss_cls, k, kind", LOSSES, ids=LOSS_IDS)
def test_curvature_bound_bounds_the_hessian_at_random_points(name, loss_cls, k, kind):
    loss = loss_cls()
    rng = np.random.default_rng(5)
    n = 200
    Y = targets(kind, rng, n, k)
    # logits of every scale, the flattest (z = 0: p = 1/2, uniform) included
    Z = rng.standard_normal((n, k)) * rng.choice([0.0, 0.1, 1.0, 10.0], size=(n, 1))
    per_sample = np.zeros((n, k, k))
    for (a, b), entries in loss.hessian_blocks(Y, Z).items():
        per_sample[:, a, b] = per_sample[:, b, a] = entries
    top = np.linalg.eigvalsh(per_sample).max()
    assert top <= loss.curvature_bound * (1 + 1e-12)
    # and for one output the bound is reached (p = 1/2 for the logistic loss)
    if k == 1:
        assert top >= 0.999 * loss.curvature_bound


# ---------------------------------------------- a loss without a curvature bound
class PoissonLoss(Loss):
    r"""Half Poisson deviance up to constants, :math:`e^z - y z`; log link, no curvature bound."""

    target_range = Interval(0.0, np.inf, True, False)
    prediction_range = Interval(0.0, np.inf, False, False)
    link, inverse_link = staticmethod(np.log), staticmethod(np.exp)

    def loss_gradient(self, Y, Z):
        mu = np.exp(Z)
        return (mu - Y * Z).sum(axis=1), mu - Y

    def loss_difference(self, Y, Z0, D):
        return (np.exp(Z0) * np.expm1(D) - Y * D).sum(axis=1)

    def hessian_operator(self, Y, Z):
        return lambda dZ: np.exp(Z) * dZ

    def hessian_blocks(self, Y, Z):
        return {(a, a): np.exp(Z[:, a]) for a in range(Z.shape[1])}


class GDPoissonRegression(GDLinearRegression):
    """Poisson regression: the least-squares estimator with the loss above."""

    def _loss(self):
        return PoissonLoss()


ALPHA_POISSON = 0.01
NO_BOUND_NEEDED = solver_names(lambda cls: not cls.needs_curvature_bound)
BOUND_NEEDED = solver_names(lambda cls: cls.needs_curvature_bound)


def poisson_data():
    rng = np.random.default_rng(0)
    X = 0.5 * rng.standard_normal((60, 3))
    y = rng.poisson(np.exp(0.3 + X @ np.array([0.5, -0.4, 0.2]))).astype(float)
    return X, y


def poisson_reference(X, y):
    """The penalised Poisson fit by SciPy's BFGS, from the formula alone."""
    n, d = X.shape

    def value_and_gradient(theta):
        w, b = theta[:d], theta[d]
        z = X @ w + b
        r = np.exp(z) - y
        value = np.mean(np.exp(z) - y * z) + 0.5 * ALPHA_POISSON * w @ w
        return value, np.r_[X.T @ r / n + ALPHA_POISSON * w, r.mean()]

    return minimize(value_and_gradient, np.zeros(d + 1), jac=True, method="BFGS", tol=1e-12).x


def test_a_loss_without_curvature_bound_has_no_lipschitz_constant():
    X, y = poisson_data()
    obj = Objective(
        Design(X, True), PoissonLoss(), y[:, None], np.ones(60), ElasticNetPenalty(0.0, 0.0)
    )
    for method in (obj.lipschitz, obj.coordinate_lipschitz):
        with pytest.raises(NoCurvatureBoundError, match="PoissonLoss has no global curvature"):
            method()
    assert NO_BOUND_NEEDED and BOUND_NEEDED


@pytest.mark.parametrize("solver", NO_BOUND_NEEDED)
def test_solvers_without_a_curvature_bound_fit_poisson_as_scipy(solver):
    X, y = poisson_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = GDPoissonRegression(solver=solver, alpha=ALPHA_POISSON, tol=1e-8).fit(X, y)
    np.testing.assert_allclose(
        np.r_[est.coef_, est.intercept_], poisson_reference(X, y), rtol=0, atol=1e-6
    )
    # its starting intercept is the loss's intercept-only model: log of the mean count
    assert PoissonLoss().intercept_only(y[:, None], np.ones(60)) == pytest.approx(
        np.log(y.mean()), rel=1e-15
    )
    np.testing.assert_allclose(est.predict(X), np.exp(X @ est.coef_ + est.intercept_))


def check_refusal(exc, solver):
    """The error of a solver that asked a loss without a curvature bound for one."""
    message = str(exc)
    assert "PoissonLoss has no global curvature bound" in message
    assert f"solver={solver!r} needs one" in message
    assert message.endswith(f"the solvers that do not: {', '.join(NO_BOUND_NEEDED)}.")


@pytest.mark.parametrize("solver", ["gd", "ista", "admm"])
def test_steps_of_one_over_lipschitz_refuse_poisson_naming_the_solvers_that_do_not(solver):
    # gd's and ista's learning_rate="auto" is 1 / L, admm's penalty 0.1 L
    X, y = poisson_data()
    with pytest.raises(NoCurvatureBoundError) as info:
        GDPoissonRegression(solver=solver, alpha=ALPHA_POISSON, tol=1e-8).fit(X, y)
    check_refusal(info.value, solver)


@pytest.mark.parametrize("solver", BOUND_NEEDED)
def test_solvers_that_may_need_a_curvature_bound_refuse_poisson_or_fit_it(solver):
    X, y = poisson_data()
    est = GDPoissonRegression(solver=solver, alpha=ALPHA_POISSON, tol=1e-6, random_state=0)
    try:
        est.fit(X, y)
    except NoCurvatureBoundError as exc:
        check_refusal(exc, solver)
    else:  # never NaN: finite coefficients, an objective below the intercept-only start
        assert np.all(np.isfinite(est.coef_)) and np.isfinite(est.intercept_)
        assert est.history_["objective"][-1] < est.history_["objective"][0]


@pytest.mark.parametrize("solver", ["gd", "ista"])
def test_gd_and_ista_at_a_fixed_rate_fit_poisson_or_refuse_it(solver):
    X, y = poisson_data()
    est = GDPoissonRegression(solver=solver, alpha=ALPHA_POISSON, tol=1e-8, max_iter=3000)
    try:
        est.set_params(learning_rate=0.1).fit(X, y)
    except NoCurvatureBoundError as exc:  # refused: then for the curvature bound alone
        assert "PoissonLoss has no global curvature bound" in str(exc)
    else:
        np.testing.assert_allclose(
            np.r_[est.coef_, est.intercept_], poisson_reference(X, y), rtol=0, atol=1e-6
        )


def test_poisson_targets_outside_its_range_are_refused_naming_it():
    X, y = poisson_data()
    y[4] = -1.0
    with pytest.raises(ValueError, match=r"PoissonLoss needs targets in \[0, inf\)"):
        GDPoissonRegression().fit(X, y)


# ------------------------------------------------------ extreme logits, exactly
LOSS_CLASSES = sorted(loss_module.LOSSES.values(), key=lambda cls: cls.__name__)


def _log1pexp(z):
    """log(1 + e^z) in Decimal, without forming e^z for large z."""
    if z > 0:
        return z + (1 + (-z).exp()).ln()
    return (1 + z.exp()).ln()


def _squared(y, z):
    return sum((zj - yj) ** 2 for yj, zj in zip(y, z, strict=True)) / 2, [
        zj - yj for yj, zj in zip(y, z, strict=True)
    ]


def _sigmoid(z):
    if z >= 0:
        return 1 / (1 + (-z).exp())
    return z.exp() / (1 + z.exp())


def _logistic(y, z):
    value = sum(_log1pexp(zj) - yj * zj for yj, zj in zip(y, z, strict=True))
    return value, [_sigmoid(zj) - yj for yj, zj in zip(y, z, strict=True)]


def _multinomial(y, z):
    top = max(z)
    total = sum((zj - top).exp() for zj in z)
    log_norm = top + total.ln()
    value = sum(y) * log_norm - sum(yj * zj for yj, zj in zip(y, z, strict=True))
    return value, [(zj - top).exp() / total - yj for yj, zj in zip(y, z, strict=True)]


#: The exact loss and gradient of each loss class, row by row, in Decimal.
REFERENCES = {"SquaredLoss": _squared, "LogisticLoss": _logistic, "MultinomialLoss": _multinomial}


def reference(loss, Y, Z):
    """Exact per-sample values and gradients, rounded once to ``Z.dtype`` (inf if too big)."""
    values, grads = [], []
    with localcontext() as ctx:
        ctx.prec = 40
        for y_row, z_row in zip(Y.tolist(), Z.tolist(), strict=True):
            value, grad = REFERENCES[type(loss).__name__](
                [Decimal(v) for v in y_row], [Decimal(v) for v in z_row]
            )
            values.append(float(value))
            grads.append([float(g) for g in grad])
    with np.errstate(over="ignore"):
        return np.array(values, dtype=Z.dtype), np.array(grads, dtype=Z.dtype)


def one_hot_targets(n, k, rng, dtype):
    Y = np.zeros((n, k), dtype=dtype)
    Y[np.arange(n), rng.integers(0, k, size=n)] = 1
    return Y


def assert_matches_reference(got, expected, Z, what):
    """Equal to the exact value rounded to the dtype, up to cancellation in ``|z|``."""
    got = np.asarray(got)
    assert got.dtype == Z.dtype, f"{what}: dtype {got.dtype} for {Z.dtype} logits"
    eps = np.finfo(Z.dtype).eps
    scale = 1.0 + np.max(np.abs(Z.astype(np.float64)), axis=1, initial=0.0)
    scale = scale.reshape((-1,) + (1,) * (got.ndim - 1))
    overflow = np.isinf(expected)
    assert not np.any(np.isnan(got)), f"{what}: NaN\n{got}\nfor logits\n{Z}"
    np.testing.assert_array_equal(got[overflow], expected[overflow], err_msg=what)
    with np.errstate(over="ignore"):  # the test's own arithmetic, in float64
        err = np.abs(got[~overflow].astype(np.float64) - expected[~overflow])
        size = np.abs(expected[~overflow].astype(np.float64))
        bound = 8 * eps * (size + np.broadcast_to(scale, got.shape)[~overflow])
    assert np.all(err <= bound), f"{what}: {got} differs from the exact {expected} for\n{Z}"


def check_loss(loss_cls, Y, Z):
    """Values, fused value and gradient, Hessian products and blocks at ``Z``."""
    loss = loss_cls()
    expected_value, expected_grad = reference(loss, Y, Z)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # never a warning
        value, grad = loss.loss_gradient(Y, Z)
        plain = loss.loss(Y, Z)
        product = loss.hessian_operator(Y, Z)(np.ones_like(Z))
        blocks = loss.hessian_blocks(Y, Z)
    name = loss_cls.__name__
    assert_matches_reference(value, expected_value, Z, f"{name}.loss_gradient value")
    assert np.all(np.isfinite(grad)), f"{name}: non-finite gradient\n{grad}\nfor\n{Z}"
    assert_matches_reference(grad, expected_grad, Z, f"{name}.loss_gradient gradient")
    assert_matches_reference(plain, expected_value, Z, f"{name}.loss")
    assert np.all(np.isfinite(product)), f"{name}: non-finite Hessian product for\n{Z}"
    for key, block in blocks.items():
        block = np.asarray(block)
        assert np.all(np.isfinite(block)) and np.all(np.abs(block) <= 1), (name, key, block)


def test_every_loss_has_a_reference():
    assert LOSS_CLASSES, "no loss classes found in sklearn_gd._loss"
    missing = [cls.__name__ for cls in LOSS_CLASSES if cls.__name__ not in REFERENCES]
    assert not missing, f"add an exact reference for {missing} to this file"


def _magnitudes(dtype):
    top = float(np.finfo(dtype).max)
    return [1e4, 1e5, 1e10, 1e30, 1e38, 1e100, 1e300, top / 2, top]


MAGNITUDE_CASES = [
    pytest.param(dtype, m, id=f"{np.dtype(dtype).name}-{m:.3g}")
    for dtype in DTYPES
    for m in _magnitudes(dtype)
    if m <= float(np.finfo(dtype).max)
]


@pytest.mark.parametrize("loss_cls", LOSS_CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype, magnitude", MAGNITUDE_CASES)
@pytest.mark.parametrize("k", [1, 2, 3])
def test_loss_at_extreme_logits(loss_cls, dtype, magnitude, k):
    """Logits ±magnitude (and 0) in every arrangement, every target."""
    m = dtype(magnitude)
    levels = np.array([m, -m, 0], dtype=dtype)
    patterns = np.array(np.meshgrid(*[levels] * k)).reshape(k, -1).T  # all 3**k rows
    # every class: one-hot rows, or y = 0 and y = 1 for one output
    classes = np.eye(k, dtype=dtype) if k > 1 else np.array([[0], [1]], dtype=dtype)
    Z = np.repeat(patterns, len(classes), axis=0)
    Y = np.tile(classes, (patterns.shape[0], 1))  # each row, each class
    check_loss(loss_cls, Y, Z)


@pytest.mark.parametrize("loss_cls", LOSS_CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@settings(FEW, max_examples=10)
@given(data=st.data(), k=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_loss_at_arbitrary_finite_logits(loss_cls, dtype, data, k, seed):
    """Any finite logits hypothesis finds (subnormals, the largest floats, mixtures)."""
    floats = st.floats(allow_nan=False, allow_infinity=False, width=np.finfo(dtype).bits)
    Z = data.draw(arrays(dtype, (4, k), elements=floats))
    Y = one_hot_targets(4, k, np.random.default_rng(seed), dtype)
    check_loss(loss_cls, Y, Z)
