"""Shared test configuration: hypothesis profiles and an independent objective.

The objective of the user guide's objective ("The objective") is written here again with plain
NumPy/SciPy, without importing anything from ``sklearn_gd``, so that the tests
check the package's own implementation instead of reusing it.
"""

import os

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, Phase, settings
from scipy.optimize import minimize
from scipy.special import log_expit, log_softmax, logsumexp
from sklearn.datasets import make_regression
from sklearn.preprocessing import minmax_scale

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=15,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def few_examples(max_examples):
    """Settings for a costly property test: ``max_examples`` cases and no shrinking."""
    return settings(
        deadline=None,
        max_examples=max_examples,
        phases=(Phase.explicit, Phase.reuse, Phase.generate),
        suppress_health_check=[HealthCheck.too_slow],
    )


# --------------------------------------------------------------------- data
def gaussian_data(seed, n, d, *, offset=True):
    """Well-conditioned Gaussian features (optionally not centred)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if offset:
        X += rng.uniform(-1, 1, size=d)
    return X, rng


def regression_data(seed, n, d):
    X, rng = gaussian_data(seed, n, d)
    w = rng.uniform(-2, 2, size=d)
    y = X @ w + 0.7 + 0.3 * rng.standard_normal(n)
    return X, y, rng


def classification_data(seed, n, d, n_classes, *, flip=0.1):
    """Overlapping classes: labels from a softmax model, a share ``flip`` redrawn at random.

    The unpenalised objective has a minimiser by construction: ``d + 1`` points
    ``x`` appear once with every label (copies with the other labels are
    appended, then the rows shuffled). At each such ``x`` a direction that
    raises one class's score lowers another's, and these points span the space
    (with the intercept), so no direction separates the classes: for softmax,
    one-vs-rest and binary problems alike. Every class is present.
    """
    n_anchor = d + 1
    n_base = n - n_anchor * (n_classes - 1)
    X, rng = gaussian_data(seed, n_base, d)
    W = 1.5 * rng.standard_normal((d, n_classes))
    y = np.argmax(X @ W + rng.gumbel(size=(n_base, n_classes)), axis=1)
    noisy = rng.random(n_base) < flip
    y[noisy] = rng.integers(0, n_classes, size=noisy.sum())
    copies = [(X[j], c) for j in range(n_anchor) for c in range(n_classes) if c != y[j]]
    X = np.vstack([X, [x for x, _ in copies]])
    y = np.concatenate([y, [c for _, c in copies]])
    order = rng.permutation(n)
    return X[order], y[order], rng


def estimator_data(cls, seed=0, n=60, d=4):
    """``(X, y)`` for an estimator class: regression data, or three overlapping classes."""
    if cls.__name__ == "GDLinearRegression":
        X, y, _ = regression_data(seed, n, d)
    else:
        X, y, _ = classification_data(seed, n, d, 3)
    return X, y


def offset_regression(seed, n_samples, proportion_nonzero, noise, n_features=30):
    """scikit-learn's ``_make_sparse_offset_regression`` (its Ridge tests), minmax-scaled.

    Features offset by 30 then zeroed at random (a share ``1 - proportion_nonzero``),
    with the targets corrected for the removed entries: large, badly centred targets.
    """
    X, y, c = make_regression(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=10,
        bias=10.0,
        noise=noise,
        coef=True,
        random_state=seed,
    )
    X += 30.0
    mask = np.random.RandomState(seed).binomial(1, proportion_nonzero, X.shape) > 0
    removed = X.copy()
    X[~mask] = 0.0
    removed[mask] = 0.0
    y -= removed @ c
    return minmax_scale(X), y


def sample_weights(rng, n, weighted, zeros=True):
    """None, or positive weights of which about 10% are zero when ``zeros``."""
    if not weighted:
        return None
    sw = rng.uniform(0.2, 3.0, size=n)
    if zeros:
        sw[rng.random(n) < 0.1] = 0.0
    return sw


# ---------------------------------------------------------------- objective
def one_hot(labels, n_classes):
    Y = np.zeros((labels.shape[0], n_classes))
    Y[np.arange(labels.shape[0]), labels] = 1.0
    return Y


def data_term(kind, X, Y, W, b, sample_weight):
    """Weighted mean loss; ``W`` (d, k), ``b`` (k,), ``Y`` (n, k) encoded targets."""
    Z = np.asarray(X @ W) + b
    s = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    if kind == "squared":
        losses = 0.5 * ((Y - Z) ** 2).sum(axis=1)
    elif kind == "logistic":
        # -y log p - (1 - y) log(1 - p) with p = sigmoid(z)
        losses = -(Y * log_expit(Z) + (1 - Y) * log_expit(-Z)).sum(axis=1)
    elif kind == "multinomial":
        losses = -(Y * log_softmax(Z, axis=1)).sum(axis=1)
    else:
        raise ValueError(kind)
    return float(s @ losses) / s.sum()


def penalty(W, alpha, l1_ratio):
    W = np.asarray(W, dtype=float)
    return alpha * (l1_ratio * np.abs(W).sum() + 0.5 * (1 - l1_ratio) * (W * W).sum())


def objective(kind, X, Y, W, b, sample_weight, alpha, l1_ratio=0.0):
    """The objective of the user guide ("The objective"), written independently of the package."""
    return data_term(kind, X, Y, W, b, sample_weight) + penalty(W, alpha, l1_ratio)


def encode_targets(estimator, y):
    """Targets as the estimator's loss sees them, from ``classes_`` alone."""
    if not hasattr(estimator, "classes_"):
        return "squared", np.asarray(y, dtype=float).reshape(-1, 1)
    classes = estimator.classes_
    labels = np.searchsorted(classes, y)
    kind = "multinomial" if type(estimator).__name__ == "GDSoftmaxClassifier" else "logistic"
    if kind == "logistic" and classes.shape[0] == 2:
        return kind, labels.reshape(-1, 1).astype(float)
    return kind, one_hot(labels, classes.shape[0])


def fitted_params(estimator):
    """``(W, b)`` with ``W`` of shape (d, k) and ``b`` of shape (k,), in float64."""
    W = np.atleast_2d(np.asarray(estimator.coef_, dtype=float)).T
    b = np.atleast_1d(np.asarray(estimator.intercept_, dtype=float))
    return W, b


def fitted_objective(estimator, X, y, sample_weight=None, coef=None, intercept=None):
    """The objective at ``coef`` / ``intercept`` (default: the fitted ones), in float64.

    Written here, independently of the package. Extreme data may overflow the
    test's own float64 arithmetic to inf; that is this function's business, so
    NumPy's warnings are silenced here only. The weights' scale is free.
    """
    with np.errstate(all="ignore"):
        if sp.issparse(X):
            X = X.toarray()
        X = np.asarray(X, dtype=np.float64)
        kind, Y = encode_targets(estimator, y)
        W, b = fitted_params(estimator)
        if coef is not None:
            W = np.atleast_2d(np.asarray(coef, dtype=np.float64)).T
        if intercept is not None:
            b = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            sample_weight = sample_weight / sample_weight.max()
        return objective(kind, X, Y, W, b, sample_weight, estimator.alpha, estimator.l1_ratio)


def reference_minimum(kind, X, Y, sample_weight, alpha, fit_intercept):
    """A tight SciPy L-BFGS-B minimiser of the smooth (l1_ratio=0) objective.

    Returns ``(W, b, value)``. Gradient written by hand here; gtol 1e-10.
    """
    n, d = X.shape
    k = Y.shape[1]
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    S = s.sum()

    def unpack(theta):
        W = theta[: d * k].reshape(d, k)
        b = theta[d * k :] if fit_intercept else np.zeros(k)
        return W, b

    def fun(theta):
        W, b = unpack(theta)
        Z = X @ W + b
        if kind == "squared":
            R = Z - Y
            losses = 0.5 * (R**2).sum(axis=1)
        elif kind == "logistic":
            losses = -(Y * log_expit(Z) + (1 - Y) * log_expit(-Z)).sum(axis=1)
            R = np.exp(log_expit(Z)) - Y
        else:
            lse = logsumexp(Z, axis=1, keepdims=True)
            losses = lse[:, 0] - (Y * Z).sum(axis=1)
            R = np.exp(Z - lse) - Y
        value = s @ losses / S + 0.5 * alpha * (W * W).sum()
        G = (s[:, None] * R) / S
        gW = X.T @ G + alpha * W
        grad = gW.ravel()
        if fit_intercept:
            grad = np.concatenate([grad, G.sum(axis=0)])
        return value, grad

    theta0 = np.zeros(d * k + (k if fit_intercept else 0))
    res = minimize(
        fun,
        theta0,
        jac=True,
        method="L-BFGS-B",
        options={"gtol": 1e-10, "ftol": 0.0, "maxiter": 100_000, "maxcor": 30},
    )
    # Polish with two Newton steps on a central-difference Hessian of the exact
    # gradient (minimum-norm solve: the softmax Hessian has a null space).
    theta = res.x
    for _ in range(2):
        h = 1e-5
        eye = np.eye(theta.size)
        H = np.column_stack(
            [(fun(theta + h * e)[1] - fun(theta - h * e)[1]) / (2 * h) for e in eye]
        )
        H = 0.5 * (H + H.T)
        theta = theta - np.linalg.lstsq(H, fun(theta)[1], rcond=1e-10)[0]
    value, grad = fun(theta)
    assert np.max(np.abs(grad)) < 1e-12, np.max(np.abs(grad))
    W, b = unpack(theta)
    return W, b, float(value)


def assert_rel_close(actual, desired, rtol, what=""):
    """``||actual - desired|| <= rtol * max(||desired||, 1e-3)`` (norm-wise relative)."""
    actual = np.asarray(actual, dtype=float).ravel()
    desired = np.asarray(desired, dtype=float).ravel()
    err = np.linalg.norm(actual - desired)
    scale = max(np.linalg.norm(desired), 1e-3)
    assert err <= rtol * scale, (
        f"{what}: relative error {err / scale:.3e} > {rtol:g}\nactual  {actual}\ndesired {desired}"
    )


@pytest.fixture
def rng():
    return np.random.default_rng(0)
