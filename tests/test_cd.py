"""The coordinate-descent solver ("cd"): optimum with L1, working sets, compiled kernel.

The gates every solver passes (estimator checks, optimum, robustness) pick
``"cd"`` up from the registry. Here: the lasso, the elastic net and L1
logistic regression against scikit-learn, the growth of the working set on
wide data, and the compiled inner loop against its NumPy twin. The NumPy path
alone is what runs when numba is not installed, or with the environment
variable ``SKLEARN_GD_DISABLE_NUMBA=1``.
"""

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import (
    assert_rel_close,
    classification_data,
    encode_targets,
    fitted_objective,
    fitted_params,
    regression_data,
)
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression

from sklearn_gd import (
    CoordinateDescent,
    GDLinearRegression,
    GDLogisticRegression,
    GDSoftmaxClassifier,
)
from sklearn_gd.solvers import _cd_kernels

TIGHT = dict(tol=1e-10, max_iter=10_000)


def fit_strictly(est, X, y, sample_weight=None):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return est.fit(X, y, sample_weight=sample_weight)


@given(
    seed=st.integers(0, 2**16),
    n=st.integers(20, 60),
    d=st.integers(1, 8),
    alpha=st.floats(0.005, 1.0),
    sparse=st.booleans(),
)
def test_cd_matches_sklearn_lasso_and_elastic_net(seed, n, d, alpha, sparse):
    X, y, _ = regression_data(seed, n, d)
    Xfit = sp.csr_matrix(X) if sparse else X
    for l1_ratio, ref in [
        (1.0, Lasso(alpha=alpha, tol=1e-14, max_iter=1_000_000)),
        (0.5, ElasticNet(alpha=alpha, l1_ratio=0.5, tol=1e-14, max_iter=1_000_000)),
    ]:
        ref.fit(X, y)
        est = GDLinearRegression(solver="cd", alpha=alpha, l1_ratio=l1_ratio, **TIGHT)
        fit_strictly(est, Xfit, y)
        assert_rel_close(
            np.r_[est.coef_, est.intercept_], np.r_[ref.coef_, ref.intercept_], 1e-6, str(ref)
        )
        np.testing.assert_array_equal(est.coef_ == 0, ref.coef_ == 0)


@given(seed=st.integers(0, 2**16), n=st.integers(40, 80), d=st.integers(2, 8))
def test_cd_matches_sklearn_l1_logistic_regression(seed, n, d):
    """Without intercept (liblinear would penalise it): C = 1 / (alpha n)."""
    X, y, _ = classification_data(seed, n, d, 2)
    alpha = 0.2 * np.max(np.abs(X.T @ (y - 0.5))) / n  # alpha_max / 5: a sparse optimum
    ref = LogisticRegression(
        solver="liblinear",
        C=1 / (alpha * n),
        l1_ratio=1.0,
        tol=1e-12,
        max_iter=100_000,
        fit_intercept=False,
    ).fit(X, y)
    est = GDLogisticRegression(solver="cd", alpha=alpha, l1_ratio=1.0, fit_intercept=False, **TIGHT)
    fit_strictly(est, X, y)
    assert_rel_close(est.coef_, ref.coef_, 1e-5, "vs liblinear")
    assert np.sum(est.coef_ == 0) >= 1 or np.all(ref.coef_ != 0)


def test_cd_softmax_l1_reaches_the_objective_of_ista():
    X, y, _ = classification_data(3, 90, 6, 3)
    params = dict(alpha=0.02, l1_ratio=0.7, tol=1e-10, max_iter=200_000)
    cd = fit_strictly(GDSoftmaxClassifier(solver="cd", **params), X, y)
    ista = fit_strictly(GDSoftmaxClassifier(solver="ista", **params), X, y)
    assert_rel_close(
        np.r_[cd.coef_.ravel(), cd.intercept_], np.r_[ista.coef_.ravel(), ista.intercept_], 1e-6
    )
    assert cd.n_iter_ * 20 < ista.n_iter_  # Newton steps, not gradient steps


def test_working_set_grows_to_the_support_on_wide_data():
    """300 features, 40 samples, a working set of 5 to start: the lasso optimum all the same."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 300))
    y = X[:, :8] @ rng.uniform(1, 3, size=8) + 0.1 * rng.standard_normal(40)
    alpha = 0.05
    ref = Lasso(alpha=alpha, tol=1e-14, max_iter=1_000_000).fit(X, y)
    assert np.sum(ref.coef_ != 0) > 10  # larger than the first working set
    est = GDLinearRegression(
        solver=CoordinateDescent(working_set=5), alpha=alpha, l1_ratio=1.0, **TIGHT
    )
    fit_strictly(est, X, y)
    assert_rel_close(np.r_[est.coef_, est.intercept_], np.r_[ref.coef_, ref.intercept_], 1e-6)
    np.testing.assert_array_equal(est.coef_ == 0, ref.coef_ == 0)


def test_cd_stops_on_the_optimality_violation():
    X, y, _ = regression_data(1, 60, 5)
    est = GDLinearRegression(solver="cd", alpha=0.1, l1_ratio=1.0, tol=1e-3).fit(X, y)
    w, b = est.coef_, est.intercept_
    g = X.T @ (X @ w + b - y) / X.shape[0]
    violation = np.where(w != 0, np.abs(g + 0.1 * np.sign(w)), np.maximum(np.abs(g) - 0.1, 0))
    assert np.max(violation) <= 1e-3
    assert abs(np.mean(X @ w + b - y)) <= 1e-3  # the intercept's gradient


def fitted_violation(est, X, y):
    """The largest entry of the minimum-norm subgradient at the fitted coefficients
    (unweighted), written independently of the package."""
    kind, Y = encode_targets(est, y)
    W, b = fitted_params(est)
    Z = np.asarray(X @ W) + b
    P = {"squared": Z, "logistic": expit(Z), "multinomial": softmax(Z, axis=1)}[kind]
    R = (P - Y) / X.shape[0]
    l1, l2 = est.alpha * est.l1_ratio, est.alpha * (1 - est.l1_ratio)
    G = np.asarray(X.T @ R) + l2 * W
    V = np.where(W != 0, np.abs(G + l1 * np.sign(W)), np.maximum(np.abs(G) - l1, 0.0))
    return max(V.max(), np.abs(R.sum(axis=0)).max() if est.fit_intercept else 0.0)


def tfidf_like(seed, n, d, n_classes):
    """Sparse non-negative rows of unit norm, class-dependent terms (TF-IDF-like)."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, n_classes, n)
    X = sp.random(n, d, density=0.01, random_state=rng, format="csr")
    preference = sp.random(n_classes, d, density=0.1, random_state=rng, format="csr")
    X = X + preference[y].multiply(sp.random(n, d, density=0.2, random_state=rng))
    X = sp.csr_matrix(X)
    X.data = np.log1p(10 * X.data)
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1))).ravel()
    return sp.csr_matrix(sp.diags(1 / np.maximum(norms, 1e-12)) @ X), y


def test_cd_with_tol_none_makes_full_progress_in_every_iteration():
    """tol=None: the working-set target was tol itself (0), so the first set of 100
    features spent every step, and 1000 epochs each, aiming at zero: the lasso
    objective after 5 iterations was that of the first set (24 times the minimum).
    With a target relative to the current optimality, 5 iterations reach the minimum."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 150))
    y = X @ (rng.standard_normal(150) * (rng.random(150) < 0.5)) + 0.1 * rng.standard_normal(200)
    kw = dict(solver="cd", alpha=1e-3, l1_ratio=1.0)
    tight = fit_strictly(GDLinearRegression(tol=1e-12, max_iter=1000, **kw), X, y)
    assert np.sum(tight.coef_ != 0) > 100  # more than the first working set
    five = GDLinearRegression(tol=None, max_iter=5, **kw).fit(X, y)
    assert five.n_iter_ == 5
    best = fitted_objective(tight, X, y)
    assert fitted_objective(five, X, y) - best <= 1e-8 * best
    assert fitted_violation(five, X, y) <= 1e-6


def test_cd_records_the_optimality_of_the_full_problem():
    """The optimality recorded after a step is over every coefficient, not only the
    working set's: the history's last entry said 9.7e-6 where the largest entry of
    the gradient at the coefficients returned was 8.4e-5."""
    X, y = tfidf_like(2, 300, 600, 2)
    est = GDLogisticRegression(solver="cd", alpha=1e-3, tol=1e-4).fit(X, y)
    true = fitted_violation(est, X, y)
    assert true <= 1e-4
    np.testing.assert_allclose(est.history_["optimality"][-1], true, rtol=1e-6)


def test_cd_without_l1_solves_every_feature_at_once():
    """No L1 term: no sparsity for working sets to exploit. Grown from 100 features,
    the sets stopped at tol with a third of the weights still zero and the objective
    0.2% above its minimum; on every feature at once the first steps move them all."""
    X, y = tfidf_like(1, 300, 600, 3)
    est = GDSoftmaxClassifier(solver="cd", alpha=1e-4, tol=1e-4).fit(X, y)
    ref = GDSoftmaxClassifier(solver="newton", alpha=1e-4, tol=1e-10).fit(X, y)
    assert np.count_nonzero(est.coef_) == np.count_nonzero(ref.coef_)
    best = fitted_objective(ref, X, y)
    assert fitted_objective(est, X, y) - best <= 1e-4 * best


def test_cd_hands_large_smooth_problems_to_newton():
    """Without an L1 term and with more than MAX_SMOOTH_COEF coefficients the
    Hessian over every feature is too large to form: the fit is newton's."""
    from sklearn_gd.solvers import cd

    X, y = tfidf_like(2, 80, 1000, 3)
    assert 3 * 1001 > cd.MAX_SMOOTH_COEF
    est = GDSoftmaxClassifier(solver="cd", alpha=1e-3, tol=1e-6).fit(X, y)
    ref = GDSoftmaxClassifier(solver="newton", alpha=1e-3, tol=1e-6).fit(X, y)
    np.testing.assert_array_equal(est.coef_, ref.coef_)
    assert est.n_iter_ == ref.n_iter_


# ------------------------------------------------------------- the kernel
def quadratic_problem(seed, m):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((3 * m, m))
    H = A.T @ A / (3 * m)
    q = rng.standard_normal(m)
    penalized = rng.random(m) < 0.8
    return np.ascontiguousarray(H), q, penalized


def test_python_kernel_solves_the_model():
    """The NumPy loop (the fallback without numba) reaches the model's minimiser."""
    H, q0, penalized = quadratic_problem(0, 12)
    x, q = np.zeros(12), q0.copy()
    epochs, violation = _cd_kernels.cd_epochs_python(H, q, x, 0.3, penalized, 10_000, 1e-12)
    assert violation <= 1e-12 and epochs < 10_000
    np.testing.assert_allclose(q, q0 + H @ x, atol=1e-10)  # q kept up to date
    # optimality: -q in 0.3 * subdifferential on penalised coordinates, q = 0 elsewhere
    assert np.all(np.abs(q[~penalized]) <= 1e-10)
    on = penalized & (x != 0)
    np.testing.assert_allclose(q[on], -0.3 * np.sign(x[on]), atol=1e-10)
    assert np.all(np.abs(q[penalized & (x == 0)]) <= 0.3 + 1e-10)


def test_compiled_kernel_repeats_the_python_updates():
    pytest.importorskip("numba")
    if not _cd_kernels.COMPILED:
        pytest.skip("numba is disabled by SKLEARN_GD_DISABLE_NUMBA")
    for seed in range(3):
        H, q0, penalized = quadratic_problem(seed, 15)
        runs = []
        for kernel in (_cd_kernels.cd_epochs_python, _cd_kernels.cd_epochs):
            x, q = np.zeros(15), q0.copy()
            epochs, violation = kernel(H, q, x, 0.1, penalized, 7, 0.0)
            runs.append((epochs, x, q))
        assert runs[0][0] == runs[1][0] == 7
        np.testing.assert_allclose(runs[1][1], runs[0][1], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(runs[1][2], runs[0][2], rtol=1e-12, atol=1e-14)


def test_fits_with_and_without_the_compiled_kernel_agree(monkeypatch):
    X, y, _ = classification_data(5, 80, 6, 3)
    params = dict(alpha=0.01, l1_ratio=1.0, **TIGHT)
    first = fit_strictly(GDLogisticRegression(solver="cd", **params), X, y)
    monkeypatch.setattr(_cd_kernels, "COMPILED", False)
    second = fit_strictly(GDLogisticRegression(solver="cd", **params), X, y)
    np.testing.assert_allclose(second.coef_, first.coef_, rtol=1e-9, atol=1e-12)


def test_environment_variable_disables_the_compiled_kernel():
    code = "from sklearn_gd.solvers import _cd_kernels as k; print(k.COMPILED)"
    env = {**os.environ, "SKLEARN_GD_DISABLE_NUMBA": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
