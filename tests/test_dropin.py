"""Drop-in behaviour next to scikit-learn: starting point, parameter spellings, targets.

Each test fails when its behaviour is missing. Small data throughout.
"""

import warnings

import numpy as np
import pytest
from scipy.special import logit
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler

import sklearn_gd._estimator as estimator_module
from sklearn_gd import GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier
from sklearn_gd.solvers import SOLVERS, solvers_with

FIRST_ORDER = solvers_with("uses_learning_rate")
PARTIAL = solvers_with("supports_partial_fit")


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y  # raw targets, mean 152


def _quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(*args, **kwargs)


# ------------------------------------------------------------- starting point
def _capture_theta0(monkeypatch):
    seen = []
    original = estimator_module.train

    def spy(solver, objective, theta0, *args, **kwargs):
        seen.append(objective.coef_matrix(np.array(theta0)).copy())
        return original(solver, objective, theta0, *args, **kwargs)

    monkeypatch.setattr(estimator_module, "train", spy)
    return seen


def _small_problem(n_classes):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 3))
    y = rng.integers(0, n_classes, 30) if n_classes else 40.0 + 3 * rng.standard_normal(30)
    w = rng.uniform(0.5, 2.0, 30)
    return X, y, w


@pytest.mark.parametrize("solver", list(SOLVERS))
def test_cold_start_intercept_is_optimal_for_zero_coefficients(solver, monkeypatch):
    seen = _capture_theta0(monkeypatch)
    X, y, w = _small_problem(None)
    _quiet_fit(GDLinearRegression(solver=solver, max_iter=2), X, y, sample_weight=w)
    np.testing.assert_allclose(seen[-1][:3], 0.0)
    np.testing.assert_allclose(seen[-1][3], [np.average(y, weights=w)])

    X, y, w = _small_problem(2)
    _quiet_fit(GDLogisticRegression(solver=solver, max_iter=2), X, y, sample_weight=w)
    np.testing.assert_allclose(seen[-1][3], [logit(np.average(y, weights=w))])

    X, y, w = _small_problem(3)
    prior = np.array([np.average(y == k, weights=w) for k in range(3)])
    _quiet_fit(GDLogisticRegression(solver=solver, max_iter=2), X, y, sample_weight=w)
    np.testing.assert_allclose(seen[-1][3], logit(prior))
    _quiet_fit(GDSoftmaxClassifier(solver=solver, max_iter=2), X, y, sample_weight=w)
    np.testing.assert_allclose(seen[-1][3], np.log(prior) - np.log(prior).mean())
    np.testing.assert_allclose(seen[-1][:3], 0.0)


@pytest.mark.parametrize("solver", PARTIAL)
def test_first_partial_fit_starts_at_the_optimal_intercept(solver, monkeypatch):
    seen = _capture_theta0(monkeypatch)
    X, y, w = _small_problem(None)
    est = GDLinearRegression(solver=solver).partial_fit(X, y, sample_weight=w)
    np.testing.assert_allclose(seen[0][3], [np.average(y, weights=w)])
    before = np.r_[est.coef_, est.intercept_]
    est.partial_fit(X, y)  # the second call continues from the first one's coefficients
    np.testing.assert_allclose(seen[1][:, 0], before)


@pytest.mark.parametrize("solver", FIRST_ORDER)
def test_first_order_solvers_fit_raw_diabetes_targets_at_default_settings(diabetes, solver):
    X, y = diabetes
    best = GDLinearRegression(solver="lbfgs").fit(X, y).score(X, y)
    est = _quiet_fit(GDLinearRegression(solver=solver, random_state=0), X, y)
    assert est.score(X, y) >= best - 0.02


@pytest.mark.parametrize("solver", PARTIAL)
def test_partial_fit_on_raw_diabetes_targets_gets_near_the_optimum(diabetes, solver):
    X, y = diabetes
    best = GDLinearRegression(solver="lbfgs").fit(X, y).score(X, y)
    est = GDLinearRegression(solver=solver, random_state=0)
    for _ in range(50):
        est.partial_fit(X, y)
    assert est.score(X, y) >= best - 0.02


# ------------------------------------------------------------------- tol=None
@pytest.mark.parametrize("solver", STOCHASTIC := solvers_with("stochastic"))
def test_tol_none_runs_max_iter_epochs_without_plateau_stop_or_warning(solver):
    X, y, _ = _small_problem(None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = GDLinearRegression(
            solver=solver, tol=None, max_iter=30, batch_size=10, learning_rate=0.01
        )
        est.fit(X, y)
    assert est.n_iter_ == 30
    assert np.all(est.history_["learning_rate"] == est.history_["learning_rate"][0])


@pytest.mark.parametrize("solver", list(SOLVERS))
def test_tol_none_is_tol_zero_for_full_batch_runs(solver):
    X, y, _ = _small_problem(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        none = GDLogisticRegression(solver=solver, tol=None, max_iter=15, batch_size=30)
        zero = GDLogisticRegression(solver=solver, tol=0.0, max_iter=15, batch_size=30)
        none.fit(X, y)
        zero.fit(X, y)
    np.testing.assert_allclose(none.coef_, zero.coef_)


# ----------------------------------------------------- nested solver params
def test_string_solver_takes_nested_parameters():
    est = GDLogisticRegression(solver="adam").set_params(solver__beta_1=0.5)
    assert est.get_params()["solver__beta_1"] == 0.5
    assert est.solver.name == "adam"
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV

    X, y, _ = _small_problem(2)
    search = GridSearchCV(
        GDLogisticRegression(solver="adam", max_iter=5),
        {"solver__beta_1": [0.5, 0.8]},
        cv=2,
        error_score="raise",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    assert search.best_estimator_.solver.beta_1 in (0.5, 0.8)
    assert clone(est).solver.beta_1 == 0.5
    with pytest.raises(ValueError, match="beta_1"):
        GDLogisticRegression(solver="sgd").set_params(solver__beta_1=0.5)


# ------------------------------------------------------------------- targets
def test_numeric_string_targets_fit_as_numbers_and_letters_fail_clearly():
    X, y, _ = _small_problem(None)
    a = GDLinearRegression().fit(X, y.astype(str))
    b = GDLinearRegression().fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6)
    with pytest.raises(ValueError, match="could not convert string to float"):
        GDLinearRegression().fit(X, np.array(list("abc") * 10))


@pytest.mark.parametrize("solver", list(SOLVERS))
def test_two_dimensional_targets_fit_one_model_per_column(solver):
    X, y, w = _small_problem(None)
    Y = np.column_stack([y, -2 * y + X[:, 0]])
    est = _quiet_fit(GDLinearRegression(solver=solver, tol=1e-8), X, Y, sample_weight=w)
    assert est.coef_.shape == (2, 3) and est.intercept_.shape == (2,)
    for k in range(2):
        one = _quiet_fit(GDLinearRegression(solver=solver, tol=1e-8), X, Y[:, k], sample_weight=w)
        np.testing.assert_allclose(est.coef_[k], one.coef_, rtol=1e-3, atol=1e-3)
    assert est.predict(X).shape == (30, 2)
    column = _quiet_fit(GDLinearRegression(solver=solver), X, Y[:, :1])
    assert column.coef_.shape == (1, 3) and column.intercept_.shape == (1,)
    assert column.predict(X).shape == (30, 1)


# -------------------------------------------------------- a chosen start point
def test_coef_init_and_intercept_init_set_the_starting_point(monkeypatch):
    seen = _capture_theta0(monkeypatch)
    X, y, _ = _small_problem(None)
    GDLinearRegression(solver="gd", max_iter=1).fit(
        X, y, coef_init=np.array([1.0, 2.0, 3.0]), intercept_init=4.0
    )
    np.testing.assert_allclose(seen[-1][:, 0], [1, 2, 3, 4])
    X, y, _ = _small_problem(3)
    _quiet_fit(GDSoftmaxClassifier(solver="lbfgs", max_iter=1), X, y, coef_init=np.ones((3, 3)))
    np.testing.assert_allclose(seen[-1][:3], 1.0)
    with pytest.raises(ValueError, match="coef_init"):
        GDLinearRegression().fit(X, y, coef_init=np.ones(5))
