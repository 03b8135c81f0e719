"""A fit that returns without a ConvergenceWarning has reached ``tol``.

Each full-batch solver either brings its optimality measure to ``tol`` or
returns ``converged=False`` with a message saying why it stopped (iteration
cap, the precision limit of the arithmetic, a line search that found no
decrease). The optimality is recomputed here independently, in float64, from
the returned coefficients.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import offset_regression
from scipy.optimize import minimize
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    make_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.preprocessing import StandardScaler

from sklearn_gd import (
    SOLVERS,
    GDLinearRegression,
    GDLogisticRegression,
)
from sklearn_gd._data import Design
from sklearn_gd._loss import LogisticLoss
from sklearn_gd._objective import Objective
from sklearn_gd._penalty import ElasticNetPenalty

#: The solvers that finish in float64 at the precision limit of the values.
FULL_BATCH = {name: cls for name, cls in SOLVERS.items() if cls.refines_precision}


def squared_gradient(X, y, coef, intercept, alpha):
    """Gradient of ``mean((y - Xw - b)^2) / 2 + alpha |w|^2 / 2`` in float64, written here."""
    X = np.asarray(X, dtype=np.float64)
    r = X @ np.asarray(coef, dtype=np.float64) + float(intercept) - y
    return np.concatenate([X.T @ r / len(y) + alpha * coef, [r.mean()]])


def fit_recording(estimator, X, y):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", ConvergenceWarning)
        estimator.fit(X, y)
    return [str(w.message) for w in record if issubclass(w.category, ConvergenceWarning)]


@pytest.mark.parametrize("solver", sorted(FULL_BATCH))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("tol", [1e-4, 1e-8])
def test_no_warning_means_the_gradient_is_below_tol(solver, dtype, tol):
    # Diabetes targets are in the hundreds: the objective's value (about 1.5e4)
    # stops resolving decreases long before the gradient reaches 1e-8.
    X, y = load_diabetes(return_X_y=True)
    model = GDLinearRegression(solver=solver, tol=tol, max_iter=20_000)
    messages = fit_recording(model, X.astype(dtype), y.astype(dtype))
    grad = squared_gradient(X.astype(dtype), y.astype(dtype), model.coef_, model.intercept_, 0.0)
    if messages:
        # The float32 coefficients kept are the solver's float64 ones rounded:
        # at tol=1e-8 that moves the gradient to about 3e-7, and the fit says so.
        assert dtype == np.float32 and len(messages) == 1, messages
        assert "coefficients kept in float32" in messages[0], messages[0]
        assert np.max(np.abs(grad)) > tol
    else:
        assert np.max(np.abs(grad)) <= tol


def breast_cancer_objective(alpha=1e-4, dtype=np.float64):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(dtype)
    design = Design(X, fit_intercept=True)
    return Objective(
        design, LogisticLoss(), y[:, None], np.ones(len(y)), ElasticNetPenalty(alpha, 0.0)
    )


def independent_logistic_gradient(objective, theta):
    X = np.asarray(objective.design.X, dtype=np.float64)
    y = np.asarray(objective.Y, dtype=np.float64)[:, 0]
    w, b = theta[:-1], theta[-1]
    z = X @ w + b
    r = 1.0 / (1.0 + np.exp(-z)) - y
    return np.concatenate([X.T @ r / len(y) + objective.penalty.alpha * w, [r.mean()]])


@pytest.mark.parametrize("solver", sorted(FULL_BATCH))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("tol", [1e-6, 1e-10, 1e-13])
def test_converged_is_true_only_below_tol(solver, dtype, tol):
    objective = breast_cancer_objective(dtype=dtype)
    result = FULL_BATCH[solver]().minimize(
        objective, np.zeros(objective.n_coef), max_iter=3000, tol=tol
    )
    grad = independent_logistic_gradient(objective, result.coef)
    if result.converged:
        assert result.optimality <= tol
        assert np.max(np.abs(grad)) <= tol * (1 + 1e-6) + 1e-15
    else:
        assert result.optimality > tol
        assert any(
            why in result.message for why in ("precision", "iteration cap", "line search")
        ), result.message
    # The reported optimality is the gradient at the returned point (within a
    # hundredth of tol: a float32 gradient well below tol is only that accurate).
    true_optimality = np.max(np.abs(grad))
    assert abs(result.optimality - true_optimality) <= max(1e-3 * true_optimality, 0.01 * tol)


@pytest.mark.parametrize("solver", sorted(FULL_BATCH))
def test_float32_coefficients_that_miss_tol_warn_saying_so(solver):
    # The float64 point the solver reaches meets tol=1e-10; the float32
    # coefficients the estimator keeps are that point rounded, and there
    # max |gradient| is about 1e-9 (curvature times eps * |coef|).
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    model = GDLogisticRegression(solver=solver, alpha=1e-4, tol=1e-10, max_iter=3000)
    messages = fit_recording(model, X, y)
    objective = breast_cancer_objective(dtype=np.float32)
    theta = np.append(model.coef_.astype(np.float64), model.intercept_)
    reached = np.max(np.abs(independent_logistic_gradient(objective, theta)))
    assert reached > 1e-10
    assert len(messages) == 1, messages
    if "iteration cap" not in messages[0]:
        assert "coefficients kept in float32" in messages[0], messages[0]
        assert f"{reached:.3g}. tol=1e-10 is below the precision" in messages[0], messages[0]


@pytest.mark.parametrize(("tol", "widens"), [(1e-4, False), (1e-6, True)])
def test_float32_finish_widens_x_only_for_a_tol_near_its_precision(monkeypatch, tol, widens):
    # On these float32 data SciPy stops on the objective's relative decrease
    # with max |gradient| a little above 1e-4. The finish on differences needs
    # float64 products over X (two to four times a float32 pass) only when tol
    # approaches float32's resolution of the gradient.
    X, y = make_classification(2000, 20, n_informative=10, n_redundant=5, random_state=0)
    widened = []
    original = Design._widened_product
    monkeypatch.setattr(
        Design, "_widened_product", lambda self, W: widened.append(1) or original(self, W)
    )
    model = GDLogisticRegression(solver="lbfgs", tol=tol)
    assert fit_recording(model, X.astype(np.float32), y) == []
    assert bool(widened) == widens
    objective = Objective(
        Design(X.astype(np.float64), fit_intercept=True),
        LogisticLoss(),
        y[:, None].astype(np.float64),
        np.ones(len(y)),
        ElasticNetPenalty(model.alpha, 0.0),
    )
    theta = np.append(model.coef_.astype(np.float64), model.intercept_)
    grad = independent_logistic_gradient(objective, theta)
    assert np.max(np.abs(grad)) <= tol * (1 + 1e-3)


def test_float32_lbfgs_trusts_a_mean_over_many_rows_below_float32_epsilon(monkeypatch):
    # A mean of 2,000 float32 losses accumulated in float64 resolves relative
    # decreases far below float32's epsilon: SciPy's value test must not stop
    # the run (and send it to the refined finish) before the gradient test.
    X, y = make_classification(2000, 20, n_informative=10, n_redundant=5, random_state=0)
    refinements = []
    original = Objective.refined
    monkeypatch.setattr(
        Objective, "refined", lambda self, *a: refinements.append(1) or original(self, *a)
    )
    model = GDLogisticRegression(solver="lbfgs", tol=1e-4)
    assert fit_recording(model, X.astype(np.float32), y) == []
    assert refinements == []


def test_lbfgs_reaches_tol_below_the_objective_value_precision():
    # SciPy stops on a relative decrease of the objective below machine
    # precision (status 0) with max |gradient| near 1e-6 here; that is no
    # convergence for tol=1e-9, and the gradient can still be reduced.
    X, y = load_diabetes(return_X_y=True)
    model = GDLinearRegression(solver="lbfgs", tol=1e-9)
    assert fit_recording(model, X, y) == []
    grad = squared_gradient(X, y, model.coef_, model.intercept_, 0.0)
    assert np.max(np.abs(grad)) <= 1e-9


@pytest.mark.parametrize("solver", sorted(FULL_BATCH))
def test_tol_below_the_precision_limit_is_said(solver):
    X, y = load_diabetes(return_X_y=True)
    model = GDLinearRegression(solver=solver, tol=1e-30, max_iter=10_000)
    messages = fit_recording(model, X.astype(np.float32), y.astype(np.float32))
    assert len(messages) == 1
    message = messages[0]
    assert "precision" in message and "float64" in message, message
    assert "tol=1e-30" in message, message


@pytest.mark.parametrize("solver", list(SOLVERS))
def test_iteration_cap_message_does_not_repeat_max_iter(solver):
    X, y = load_diabetes(return_X_y=True)
    model = GDLinearRegression(solver=solver, tol=1e-12, max_iter=2, random_state=0)
    messages = fit_recording(model, X, y)
    if not messages:  # one step solves least squares (newton, cd)
        assert model.n_iter_ <= 2
        return
    assert len(messages) == 1
    assert messages[0].count("max_iter=2") == 1, messages[0]
    assert "iteration cap" in messages[0], messages[0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ista_does_not_stop_when_the_step_underflows_the_gradient_mapping(dtype):
    # Targets in the hundreds, more features than samples, no penalty: rounding
    # noise in the values fails the backtracking test until the step (here
    # ~3e-9) times the gradient rounds away next to y, and
    # (y - prox(y - step g)) / step is exactly 0 while the gradient is not.
    X, y = offset_regression(1, 20, 0.1, 500.0)
    X, y = X.astype(dtype), y.astype(dtype)
    model = GDLinearRegression(solver="ista", alpha=0.0, tol=1e-11, max_iter=20_000)
    messages = fit_recording(model, X, y)
    grad = squared_gradient(X, y, model.coef_, model.intercept_, 0.0)
    if not messages:
        assert np.max(np.abs(grad)) <= 1e-11
    else:
        assert "precision" in messages[0] or "iteration cap" in messages[0]


# ----------------------------------------------------------- minimum norm
def collinear_data(seed, n=30):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, 3))
    # Columns 3 and 4 are combinations of the first ones, without a constant,
    # with coefficients that binary floats do not hold exactly: the Hessian is
    # singular up to rounding, and its Cholesky factorisation may succeed.
    X = np.column_stack([A, 0.1 * A[:, 0] + 0.7 * A[:, 1], 0.3 * A[:, 2] - 1.3 * A[:, 0]])
    y = A @ np.array([1.0, -2.0, 0.5]) + 3.0 + 0.1 * rng.standard_normal(n)
    return X, y


@pytest.mark.parametrize("seed", [1, 20, 22])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_newton_returns_the_minimum_norm_least_squares_solution(fit_intercept, seed):
    X, y = collinear_data(seed)
    reference = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    model = GDLinearRegression(solver="newton", fit_intercept=fit_intercept, tol=1e-10)
    assert fit_recording(model, X, y) == []
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=1e-8, atol=1e-10)
    if not fit_intercept:
        lstsq = np.linalg.lstsq(X, y, rcond=None)[0]
        np.testing.assert_allclose(model.coef_, lstsq, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("solver", ["newton", "lbfgs", "ista"])
def test_rank_deficient_solution_ignores_row_order_and_zero_weight_rows(solver):
    X, y = collinear_data(seed=22)
    rng = np.random.default_rng(1)
    model = GDLinearRegression(solver=solver, tol=1e-10, max_iter=50_000)
    base = model.fit(X, y).coef_.copy()
    order = rng.permutation(len(y))
    permuted = model.fit(X[order], y[order]).coef_.copy()
    extra = rng.standard_normal((7, X.shape[1])) * 5
    X_more, y_more = np.vstack([X, extra]), np.concatenate([y, rng.standard_normal(7) * 100])
    weights = np.concatenate([np.ones(len(y)), np.zeros(7)])
    weighted = model.fit(X_more, y_more, sample_weight=weights).coef_.copy()
    np.testing.assert_allclose(permuted, base, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(weighted, base, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(base, LinearRegression().fit(X, y).coef_, rtol=1e-6, atol=1e-8)


def test_sparse_and_dense_float32_reach_the_same_point():
    X, y = offset_regression(1, 20, 0.1, 500.0)
    X32 = X.astype(np.float32)
    # tol=1e-7 is below what float32 coefficients of this problem carry: both
    # fits reach it in float64 and say that their rounded coef_ does not.
    fits = []
    for data in (X32, sp.csr_matrix(X32)):
        model = GDLinearRegression(alpha=0.05, tol=1e-7)
        with pytest.warns(ConvergenceWarning, match="coefficients kept in float32"):
            model.fit(data, y.astype(np.float32))
        assert model.history_["optimality"][-1] <= 1e-7
        fits.append(model)
    dense, sparse = fits
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-5, atol=1e-5)


def test_admm_finishes_float32_logistic_in_float64():
    # Near the optimum the x-update's line search stops resolving decreases of
    # float32 values: without a float64 finish and a cap on that inner work,
    # the run crawled through all its iterations (a minute for max_iter=1000)
    # and stopped with the gradient mapping at 1.6e-5.
    X, y = make_classification(n_samples=1000, n_features=5, random_state=0)
    params = dict(solver="admm", alpha=1e-3, l1_ratio=0.5, tol=1e-8, max_iter=200)
    reference = GDLogisticRegression(**params).fit(X, y)
    model = GDLogisticRegression(**params)
    messages = fit_recording(model, X.astype(np.float32), y)
    # The solver converges; only the float32 rounding of its coefficients may miss tol.
    assert all("coefficients kept in float32" in message for message in messages), messages
    assert model.history_["optimality"][-1] <= 1e-8
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("solver", ["cd", "admm"])
@pytest.mark.parametrize("l1_ratio", [0.1, 0.5, 0.9])
def test_elastic_net_logistic_stops_at_the_gradient_mapping_it_records(solver, l1_ratio):
    """scikit-learn's elastic-net objective test (C = 100, alpha = 1 / (100 n)): at the
    coefficients returned the largest entry of the proximal gradient mapping, computed
    here, is at most tol and is what the history's last entry says. tol bounds the
    gradient, not the objective: at tol=1e-4 the objective may still be 1e-7 above
    its minimum (its excess goes as the gradient squared), at tol=1e-6 some 1e-11."""
    X, y = make_classification(
        n_samples=300, n_features=20, n_informative=10, n_redundant=0, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    n = X.shape[0]
    alpha = 1.0 / (100 * n)
    kw = dict(solver=solver, alpha=alpha, l1_ratio=l1_ratio, fit_intercept=False)
    l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    step = 1.0 / (np.linalg.norm(X, 2) ** 2 / (4 * n) + l2)

    def measured(model):
        w = model.coef_.ravel()
        z = X @ w
        gradient = X.T @ (1 / (1 + np.exp(-z)) - y) / n + l2 * w
        u = w - step * gradient
        mapping = (w - np.sign(u) * np.maximum(np.abs(u) - step * l1, 0.0)) / step
        value = np.mean(np.logaddexp(0, z) - y * z) + l1 * np.abs(w).sum() + l2 / 2 * w @ w
        return np.max(np.abs(mapping)), value

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        best = measured(GDLogisticRegression(tol=1e-10, max_iter=10_000, **kw).fit(X, y))[1]
        for tol, excess in [(1e-4, 1e-6), (1e-6, 1e-10)]:
            model = GDLogisticRegression(tol=tol, **kw).fit(X, y)
            mapping, value = measured(model)
            assert mapping <= tol
            recorded = model.history_["optimality"][-1]
            if solver == "admm":  # admm records the mapping itself; cd a bound on it
                np.testing.assert_allclose(recorded, mapping, rtol=1e-6)
            else:
                assert mapping <= recorded * (1 + 1e-6)
            assert value - best <= excess


def test_adamw_plateau_far_from_its_own_fixed_point_warns():
    # Unscaled breast cancer at the default alpha=1e-4: adam and adamw stop
    # on a plateau at the same poor model (objective 0.170, accuracy 0.93;
    # newton: 0.076, 0.97). Adam warned; AdamW, whose decoupled decay settles
    # elsewhere than the objective's minimum, was not checked at all. A decay
    # this small moves its fixed point a little, not to twice the objective.
    X, y = load_breast_cancer(return_X_y=True)
    for solver in ["adam", "adamw"]:
        with pytest.warns(ConvergenceWarning, match="above (its|the) minimum") as caught:
            GDLogisticRegression(solver=solver, random_state=0).fit(X, y)
        assert len(caught) == 1


def test_adamw_certified_gap_is_taken_against_its_fixed_point():
    # At AdamW's fixed point the data gradient balances the decay scaled by
    # the rule's per-coordinate step: a point there has no gap against that
    # objective, however large its decay makes the gap against the other one.
    from sklearn_gd.solvers._first_order import certified_gap

    X, y = make_classification(n_samples=80, n_features=4, random_state=0)
    scale = np.array([1.0, 3.0, 0.5, 2.0, 1.0])  # any positive per-coordinate factors
    objective = Objective(
        Design(X, True), LogisticLoss(), y[:, None].astype(float), np.ones(80),
        ElasticNetPenalty(0.3, 0.0),
    )  # fmt: skip
    lam = objective.l2_gradient(np.ones(5))

    def scaled(theta):  # data + (alpha / 2) sum_j scale_j w_j^2
        value, grad = objective.smooth_value_and_gradient(theta)
        extra = 0.5 * np.sum((scale - 1) * lam * theta**2)
        return value + extra, grad + (scale - 1) * lam * theta

    theta = minimize(scaled, np.zeros(5), jac=True, method="BFGS", tol=1e-12).x
    assert certified_gap(objective, theta, l2_scale=scale)[0] < 1e-16
    assert certified_gap(objective, theta)[0] > 1e-3
