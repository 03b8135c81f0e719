"""Numerical stability.

* Every loss of :mod:`sklearn_gd._loss` at extreme logits (1e4 and beyond, up
  to the largest float) in float32 and float64: values equal to an exact
  reference (``decimal`` arithmetic, 40 digits) wherever that is representable
  and ``+inf`` where it is not, gradients and Hessians finite, never a NumPy
  warning.
* The classifiers' probabilities at extreme logits: in [0, 1], rows summing to
  1, finite log-probabilities, no warning.
* Divergence of every first-order solver with a learning rate far too large:
  detected within a few iterations, a ``DivergenceError`` (a ``ValueError``)
  naming the learning rate and a smaller one, the estimator left unfitted; and
  a merely too large learning rate never returns, silently, a model worse than
  zero coefficients.
"""

import contextlib
import io
import re
from decimal import Decimal, localcontext

import numpy as np
import pytest
from conftest import fitted_objective
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import log_expit, log_softmax
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

import sklearn_gd._loss as loss_module
from sklearn_gd import (
    SOLVERS,
    DivergenceError,
    GDLinearRegression,
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


# ------------------------------------------------------------------ divergence
FIRST_ORDER = ["gd", "sgd", "momentum", "adam", "adamw", "ista"]
ESTIMATORS = (GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier)
DIVERGENCE_CASES = [
    pytest.param(cls, solver, id=f"{cls.__name__[2:]}-{solver}")
    for cls in ESTIMATORS
    for solver in FIRST_ORDER
]
#: Iterations (or epochs) within which a hopeless learning rate must be caught.
FEW_ITERATIONS = 5


def test_first_order_solvers_are_registered():
    assert set(FIRST_ORDER) <= set(SOLVERS)


def data_for(cls, n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    if cls is GDLinearRegression:
        return X, X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_normal(n)
    return X, np.argmax(X @ rng.standard_normal((3, 3)) + rng.gumbel(size=(n, 3)), axis=1)


def learning_rates_named(message):
    """The numbers given as a learning rate in a message (``learning_rate=1e+30``, ...)."""
    pattern = r"learning[_ ]rate\D{0,12}?(\d[\d.]*(?:[eE][-+]?\d+)?)"
    return [float(v) for v in re.findall(pattern, message)]


def assert_unfitted(est, X):
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    with pytest.raises(NotFittedError):
        est.predict(X)


@pytest.mark.parametrize("cls, solver", DIVERGENCE_CASES)
@FEW
@given(exponent=st.integers(6, 300), batch_size=st.sampled_from(["auto", 5]))
@example(exponent=6, batch_size="auto")
@example(exponent=30, batch_size=5)
@example(exponent=300, batch_size="auto")
def test_huge_learning_rate_is_detected_and_reported(cls, solver, exponent, batch_size):
    """learning_rate from 1e6 to 1e300: stopped early, named, a smaller one suggested.

    ISTA backtracks from the learning rate it is given, so for it recovering
    from the bad start and fitting well is a correct outcome too.
    """
    X, y = data_for(cls)
    learning_rate = 10.0**exponent
    est = cls(
        solver=solver,
        alpha=0.0,
        learning_rate=learning_rate,
        batch_size=batch_size,
        max_iter=200,
        random_state=0,
        verbose=1,
    )
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            est.fit(X, y)
    except DivergenceError as exc:
        assert isinstance(exc, ValueError)
        message = str(exc)
        named = learning_rates_named(message)
        assert any(np.isclose(v, learning_rate, rtol=1e-2) for v in named), (
            f"the message does not name learning_rate={learning_rate:g}: {message}"
        )
        assert any(v < learning_rate / 2 for v in named), f"no smaller suggestion: {message}"
        iterations = [line for line in printed.getvalue().splitlines() if "iteration" in line]
        assert len(iterations) <= FEW_ITERATIONS, (
            f"divergence caught only after {len(iterations)} iterations:\n" + printed.getvalue()
        )
        assert_unfitted(est, X)
        return
    assert solver == "ista", f"solver={solver!r} fitted with learning_rate={learning_rate:g}"
    zero = fitted_objective(
        est, X, y, None, np.zeros_like(est.coef_), np.zeros_like(est.intercept_)
    )
    assert np.all(np.isfinite(est.coef_))
    assert fitted_objective(est, X, y, None, est.coef_, est.intercept_) <= zero


@pytest.mark.parametrize("cls, solver", DIVERGENCE_CASES)
@FEW
@given(factor=st.sampled_from([5.0, 50.0, 500.0, 5000.0]), batch_size=st.sampled_from(["auto", 5]))
@example(factor=500.0, batch_size="auto")
def test_too_large_learning_rate_never_returns_a_silently_worse_model(
    cls, solver, factor, batch_size
):
    """``factor`` times the largest stable step: diverge loudly or fit no worse than zero.

    For the logistic and softmax losses the objective grows only linearly with
    the coefficients, so an oscillating run never "explodes"; it must still
    not be returned as if it were a fit.
    """
    X, y = data_for(cls)
    curvature = {GDLinearRegression: 1.0, GDLogisticRegression: 0.25, GDSoftmaxClassifier: 0.5}
    X1 = np.hstack([X, np.ones((X.shape[0], 1))])
    lipschitz = curvature[cls] * np.linalg.eigvalsh(X1.T @ X1 / X.shape[0])[-1]
    learning_rate = factor / lipschitz
    est = cls(
        solver=solver,
        alpha=0.0,
        learning_rate=learning_rate,
        batch_size=batch_size,
        max_iter=100,
        random_state=0,
    )
    try:
        est.fit(X, y)
    except DivergenceError as exc:
        named = learning_rates_named(str(exc))
        assert any(np.isclose(v, learning_rate, rtol=1e-2) for v in named), str(exc)
        assert_unfitted(est, X)
        return
    assert np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.intercept_))
    zero = fitted_objective(
        est, X, y, None, np.zeros_like(est.coef_), np.zeros_like(est.intercept_)
    )
    fitted = fitted_objective(est, X, y, None, est.coef_, est.intercept_)
    assert fitted <= zero, (
        f"learning_rate={learning_rate:.3g} ({factor:g} / L): returned a model with "
        f"objective {fitted:.6g}, worse than {zero:.6g} at zero coefficients, without an error"
    )


MINI_BATCH = [s for s, c in SOLVERS.items() if getattr(c, "uses_batch_size", False)]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__[2:])
@pytest.mark.parametrize("solver", MINI_BATCH)
@pytest.mark.parametrize("batch_size", [1, 8])
@settings(FEW, max_examples=2)
@given(seed=st.integers(0, 2**16))
def test_auto_learning_rate_fits_benign_data_with_mini_batches(cls, solver, batch_size, seed):
    """``learning_rate="auto"`` on standard Gaussian data: no divergence, no worse than zero.

    The auto step exists so that users need not tune it; with mini-batches it
    must account for the batch noise (and for momentum's amplification).
    """
    X, y = data_for(cls, n=60, seed=seed)
    est = cls(solver=solver, alpha=0.0, batch_size=batch_size, max_iter=30, random_state=seed)
    est.fit(X, y)
    zero = fitted_objective(
        est, X, y, None, np.zeros_like(est.coef_), np.zeros_like(est.intercept_)
    )
    fitted = fitted_objective(est, X, y, None, est.coef_, est.intercept_)
    assert fitted <= zero, f"objective {fitted:.6g} after fit, {zero:.6g} at zero coefficients"


@pytest.mark.parametrize("cls, solver", DIVERGENCE_CASES)
def test_failed_refit_does_not_leave_a_mixed_state(cls, solver):
    """A refit that diverges must not keep the old coefficients under the new data's shape."""
    X, y = data_for(cls)
    est = cls(solver=solver, alpha=0.0, max_iter=50, random_state=0).fit(X[:, :2], y)
    est.set_params(learning_rate=1e30)
    try:
        est.fit(X, y)
    except DivergenceError:
        pass
    else:  # ISTA's backtracking may recover from any start; then it simply refitted
        assert solver == "ista", f"solver={solver!r} fitted with learning_rate=1e30"
    try:
        prediction = est.predict(X)
    except NotFittedError:
        return
    except Exception as exc:  # noqa: BLE001 - any other error means a half-updated model
        pytest.fail(f"after the failed refit, predict raises {exc!r}: a half-updated model")
    # Still fitted: then it is the previous model, consistently (2 features).
    assert est.n_features_in_ == np.asarray(est.coef_).shape[-1], (
        f"n_features_in_={est.n_features_in_} but coef_ has shape {np.shape(est.coef_)}"
    )
    assert prediction.shape == (X.shape[0],)
