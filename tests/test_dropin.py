"""Drop-in behaviour next to scikit-learn: starting point, parameter spellings, targets.

Each test fails when its behaviour is missing. Small data throughout.
"""

import warnings

import numpy as np
import pytest
from scipy.special import logit
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
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
    assert column.coef_.shape == (3,) and column.intercept_.shape == (1,)  # as Ridge
    assert column.predict(X).shape == (30,)


# -------------------------------------------------------- a chosen start point
def test_coef_init_and_intercept_init_set_the_starting_point(monkeypatch):
    seen = _capture_theta0(monkeypatch)
    X, y, _ = _small_problem(None)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        GDLinearRegression(solver="gd", max_iter=1).fit(
            X, y, coef_init=np.array([1.0, 2.0, 3.0]), intercept_init=4.0
        )
    np.testing.assert_allclose(seen[-1][:, 0], [1, 2, 3, 4])
    X, y, _ = _small_problem(3)
    _quiet_fit(GDSoftmaxClassifier(solver="lbfgs", max_iter=1), X, y, coef_init=np.ones((3, 3)))
    np.testing.assert_allclose(seen[-1][:3], 1.0)
    with pytest.raises(ValueError, match="coef_init"):
        GDLinearRegression().fit(X, y, coef_init=np.ones(5))


# ---------------------------------------------------------- averaged iterates
def test_average_returns_the_mean_of_the_iterates_and_partial_fit_goes_on_from_the_last():
    X, y, _ = _small_problem(None)
    params = dict(solver="gd", tol=None, max_iter=5, schedule="constant")
    est = GDLinearRegression(average=True, **params).fit(X, y)
    eta = est.history_["learning_rate"][0]
    X1 = np.column_stack([X, np.ones(len(X))])
    theta = np.r_[np.zeros(3), y.mean()]
    iterates = []
    for _ in range(5):
        theta = theta + eta * X1.T @ (y - X1 @ theta) / len(y)
        iterates.append(theta)
    np.testing.assert_allclose(np.r_[est.coef_, est.intercept_], np.mean(iterates, axis=0))
    plain = GDLinearRegression(**params).fit(X, y)
    np.testing.assert_allclose(np.r_[plain.coef_, plain.intercept_], iterates[-1])

    first = GDLinearRegression(solver="sgd", average=True, batch_size=30, schedule="constant")
    first.partial_fit(X, y)
    first.partial_fit(X, y)
    eta = first.history_["learning_rate"][0]
    theta = np.r_[np.zeros(3), y.mean()]
    iterates = []
    for _ in range(2):
        theta = theta + eta * X1.T @ (y - X1 @ theta) / len(y)
        iterates.append(theta)
    np.testing.assert_allclose(np.r_[first.coef_, first.intercept_], np.mean(iterates, axis=0))


# ------------------------------------------------------- user's validation set
@pytest.mark.parametrize("solver", list(SOLVERS))
@pytest.mark.parametrize("n_classes", [None, 2, 3, "softmax"])
def test_validation_history_is_the_data_term_on_the_validation_set(solver, n_classes):
    from conftest import data_term, encode_targets, fitted_params

    cls = {None: GDLinearRegression, "softmax": GDSoftmaxClassifier}.get(
        n_classes, GDLogisticRegression
    )
    X, y, w = _small_problem(3 if n_classes == "softmax" else n_classes)
    X_val, y_val, w_val = X[:12] + 0.3, y[:12], w[:12]
    iterates = []

    est = cls(solver=solver, max_iter=4, alpha=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        original = estimator_module.combine

        def spy(callbacks):
            inner = original(callbacks)

            def callback(theta):
                iterates.append(est._coef_attributes(_objective[0].coef_matrix(theta), 3))
                return inner(theta)

            return callback

        _objective = []
        original_train = estimator_module.train

        def train(solver_, objective, *args, **kwargs):
            _objective.append(objective)
            return original_train(solver_, objective, *args, **kwargs)

        estimator_module.combine, estimator_module.train = spy, train
        try:
            est.fit(X, y, sample_weight=w, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
        finally:
            estimator_module.combine, estimator_module.train = original, original_train
    history = est.history_
    assert history["validation_loss"].shape == history["objective"].shape == (est.n_iter_,)
    kind, Y_val = encode_targets(est, y_val)
    expected, scores = [], []
    for attributes in iterates:
        model = estimator_module.fitted_copy(est, attributes)
        W, b = fitted_params(model)
        expected.append(data_term(kind, X_val, Y_val, W, b, w_val))
        scores.append(model.score(X_val, y_val, sample_weight=w_val))
    np.testing.assert_allclose(history["validation_loss"], expected, rtol=1e-10)
    np.testing.assert_allclose(history["validation_score"], scores, rtol=1e-10)


def test_early_stopping_watches_the_given_validation_set():
    X, y, _ = _small_problem(2)
    X_val, y_val = X[:10], 1 - y[:10]  # a validation set the model gets worse on
    est = GDLogisticRegression(solver="gd", early_stopping=True, n_iter_no_change=2, tol=0.0)
    _quiet_fit(est, X, y, X_val=X_val, y_val=y_val)
    assert est.n_iter_ < 10
    assert est.best_validation_score_ == pytest.approx(np.max(est.validation_scores_))


# ------------------------------------------------ per-update rates and batches
def test_per_update_schedule_and_batch_objective():
    from sklearn_gd.schedules import PerUpdate

    X, y, _ = _small_problem(None)
    est = GDLinearRegression(
        solver="sgd",
        batch_size=10,
        learning_rate=0.1,
        schedule=PerUpdate("invscaling"),
        tol=None,
        max_iter=2,
        record_batches=True,
        random_state=0,
    ).fit(X, y)
    # 3 updates per epoch: the last update of epoch 2 is update t=5.
    np.testing.assert_allclose(est.history_["learning_rate"], [0.1 / np.sqrt(3), 0.1 / np.sqrt(6)])
    batches = est.history_["batch_objective"]
    assert batches.shape == (6,)
    # An epoch's objective is the mean of its batches' objectives, but for the last
    # entry: that is the objective of the coefficients the fit returns.
    np.testing.assert_allclose(est.history_["objective"][0], batches[:3].mean())
    residual = y - est.predict(X)
    np.testing.assert_allclose(est.history_["objective"][-1], 0.5 * np.mean(residual**2))


def test_loss_curve_display_draws_training_and_validation_loss():
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_gd.plotting import LossCurveDisplay

    X, y, _ = _small_problem(2)
    est = _quiet_fit(GDLogisticRegression(solver="gd", max_iter=5), X, y, X_val=X, y_val=y)
    display = LossCurveDisplay.from_estimator(est, y=["objective", "validation_loss"])
    assert len(display.lines_) == 2
    np.testing.assert_allclose(display.lines_[1].get_ydata(), est.history_["validation_loss"])
