"""Numerical stability.

* Every loss of :mod:`sklearn_gd._loss` at extreme logits (1e4 and beyond, up
  to the largest float) in float32 and float64: values equal to an exact
  reference (``decimal`` arithmetic, 40 digits) wherever that is representable
  and ``+inf`` where it is not, gradients and Hessians finite, never a NumPy
  warning.
* The classifiers' probabilities at extreme logits: in [0, 1], rows summing to
  1, finite log-probabilities, no warning.
"""

from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import log_expit, log_softmax

import sklearn_gd._loss as loss_module
from sklearn_gd import (
    GDLogisticRegression,
    GDSoftmaxClassifier,
)

# max_iter is deliberately tiny: not converging is expected and not the point.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FEW = settings(
    deadline=None,
    max_examples=4,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow],
)
DTYPES = [np.float32, np.float64]

# ---------------------------------------------------------------- references
LOSSES = sorted(
    (
        obj
        for obj in vars(loss_module).values()
        if isinstance(obj, type) and hasattr(obj, "loss_gradient")
    ),
    key=lambda cls: cls.__name__,
)


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
    value, grad = loss.loss_gradient(Y, Z)
    name = loss_cls.__name__
    assert_matches_reference(value, expected_value, Z, f"{name}.loss_gradient value")
    assert np.all(np.isfinite(grad)), f"{name}: non-finite gradient\n{grad}\nfor\n{Z}"
    assert_matches_reference(grad, expected_grad, Z, f"{name}.loss_gradient gradient")
    assert_matches_reference(loss.loss(Y, Z), expected_value, Z, f"{name}.loss")
    product = loss.hessian_operator(Y, Z)(np.ones_like(Z))
    assert np.all(np.isfinite(product)), f"{name}: non-finite Hessian product for\n{Z}"
    for key, block in loss.hessian_blocks(Y, Z).items():
        block = np.asarray(block)
        assert np.all(np.isfinite(block)) and np.all(np.abs(block) <= 1), (name, key, block)


def test_every_loss_has_a_reference():
    assert LOSSES, "no loss classes found in sklearn_gd._loss"
    missing = [cls.__name__ for cls in LOSSES if cls.__name__ not in REFERENCES]
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


@pytest.mark.parametrize("loss_cls", LOSSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype, magnitude", MAGNITUDE_CASES)
@pytest.mark.parametrize("k", [1, 2, 3])
def test_loss_at_extreme_logits(loss_cls, dtype, magnitude, k):
    """Logits ±magnitude (and 0) in every arrangement, every target."""
    m = dtype(magnitude)
    levels = np.array([m, -m, 0], dtype=dtype)
    patterns = np.array(np.meshgrid(*[levels] * k)).reshape(k, -1).T  # all 3**k rows
    Z = np.repeat(patterns, k, axis=0)
    Y = np.tile(np.eye(k, dtype=dtype), (patterns.shape[0], 1))  # each row, each class
    check_loss(loss_cls, Y, Z)


@pytest.mark.parametrize("loss_cls", LOSSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@settings(FEW, max_examples=10)
@given(data=st.data(), k=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_loss_at_arbitrary_finite_logits(loss_cls, dtype, data, k, seed):
    """Any finite logits hypothesis finds (subnormals, the largest floats, mixtures)."""
    floats = st.floats(allow_nan=False, allow_infinity=False, width=np.finfo(dtype).bits)
    Z = data.draw(arrays(dtype, (4, k), elements=floats))
    Y = one_hot_targets(4, k, np.random.default_rng(seed), dtype)
    check_loss(loss_cls, Y, Z)


# ------------------------------------------------- estimators' probabilities
CLASSIFIER_CASES = [
    pytest.param(cls, k, id=f"{cls.__name__[2:]}-{k}classes")
    for cls in (GDLogisticRegression, GDSoftmaxClassifier)
    for k in (2, 3)
]
#: Sample scales giving logits up to ~1e37 (float32) / ~1e301 (float64): every
#: logit and every difference of two is representable. Then the scales beyond.
IN_RANGE = {np.float32: [1e4, 1e10, 1e30, 1e36], np.float64: [1e4, 1e30, 1e300]}
BEYOND = {np.float32: [1e38], np.float64: [1e307]}


@pytest.mark.parametrize("cls, k", CLASSIFIER_CASES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("beyond", [False, True], ids=["in-range", "beyond-range"])
def test_probabilities_at_extreme_logits(cls, k, dtype, beyond):
    """Samples far from the boundary: probabilities valid, log-probabilities finite.

    Beyond the range (logits that overflow the dtype) the log-probabilities may
    be -inf, but nothing may be NaN and no warning may escape.
    """
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 3))
    y = np.argmax(X @ rng.standard_normal((3, k)) + rng.standard_normal((30, k)), axis=1)
    est = cls(solver="lbfgs").fit(X.astype(dtype), y)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for scale in (BEYOND if beyond else IN_RANGE)[dtype]:
        X_far = (X * scale).astype(dtype)
        what = f"{cls.__name__}, {k} classes, {np.dtype(dtype).name} samples scaled by {scale:g}"
        proba = est.predict_proba(X_far)
        log_proba = est.predict_log_proba(X_far)
        assert np.all(np.isfinite(proba)), f"{what}: non-finite probabilities"
        assert np.all((proba >= 0) & (proba <= 1)), f"{what}: probabilities outside [0, 1]"
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=rtol, err_msg=what)
        assert not np.any(np.isnan(log_proba)) and np.all(log_proba <= 0), what
        if not beyond:
            assert np.all(np.isfinite(est.decision_function(X_far))), what
            assert np.all(np.isfinite(log_proba)), f"{what}: log-probabilities\n{log_proba}"
        predicted = np.searchsorted(est.classes_, est.predict(X_far))
        np.testing.assert_array_equal(proba[np.arange(30), predicted], proba.max(axis=1), what)


def test_probabilities_against_scipy_at_moderate_logits():
    """At logits of a few hundred the probabilities still carry their exact value."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 2))
    y = np.arange(20) % 3
    for cls in (GDLogisticRegression, GDSoftmaxClassifier):
        est = cls().fit(X, y)
        X_far = X * 300
        scores = est.decision_function(X_far)
        if cls is GDSoftmaxClassifier:
            expected = log_softmax(scores, axis=1)
        else:
            log_p = log_expit(scores)
            expected = log_p - np.logaddexp.reduce(log_p, axis=1, keepdims=True)
        np.testing.assert_allclose(est.predict_log_proba(X_far), expected, rtol=1e-12, atol=1e-300)
