"""Each solver's own behaviour (``sklearn_gd/solvers/<name>.py``).

The update rules of Adam / AdamW, AdaGrad / RMSProp and momentum against their
recurrences; FISTA, BFGS, trust region and Newton against what they are for;
the convergence warning of every solver. What the first-order loop shares is
in ``test_first_order.py``, what every estimator guarantees whatever its solver
in ``test_estimator.py``. Each test names one behaviour and asserts on numbers,
so that it fails when the behaviour is missing.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import (
    classification_data,
    estimator_data,
    fitted_objective,
    offset_regression,
    regression_data,
)
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

import sklearn_gd._objective as objective_module
from sklearn_gd import (
    BFGS,
    ISTA,
    SOLVERS,
    AdaGrad,
    Adam,
    AdamW,
    GDLinearRegression,
    GDLogisticRegression,
    GDSoftmaxClassifier,
    Momentum,
    Newton,
    RMSProp,
    TrustRegion,
)
from sklearn_gd._data import Design
from sklearn_gd._loss import SquaredLoss
from sklearn_gd._objective import Objective
from sklearn_gd._penalty import ElasticNetPenalty

ESTIMATORS = [GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier]
STOCHASTIC = [name for name, cls in SOLVERS.items() if cls.stochastic]


def quietly(fit, *args, **kwargs):
    """Call ``fit`` ignoring ConvergenceWarning (tests that stop runs early on purpose)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit(*args, **kwargs)


def squared_objective(alpha, fit_intercept=True, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((20, 3))
    y = rng.standard_normal((20, 1))
    penalty = ElasticNetPenalty(alpha, 0.0)
    return Objective(Design(X, fit_intercept), SquaredLoss(), y, np.ones(20), penalty)


# ---------------------------------------------------------------- Adam / AdamW
def adam_steps(solver, objective, theta, data_gradients):
    """Run ``update`` on gradients ``g_t + (L2 gradient at theta)``, return the total step.

    ``theta`` is held fixed so that only the rule's treatment of the gradient
    and of the L2 term differs between calls.
    """
    state = solver.init_state(theta)
    total = np.zeros_like(theta)
    for g in data_gradients:
        grad = g + objective.l2_gradient(theta)  # what the loop passes: the smooth gradient
        step, _, state = solver.update(grad, state, theta, 0.01, objective)
        total += step
    return total


def test_adamw_decay_is_decoupled_from_gradient():
    rng = np.random.default_rng(0)
    penalised, unpenalised = squared_objective(alpha=0.5), squared_objective(alpha=0.0)
    theta = rng.uniform(1, 2, size=penalised.n_coef) * rng.choice([-1, 1], penalised.n_coef)
    gradients = rng.uniform(0.5, 1.5, size=(3, theta.size)) * rng.choice([-1, 1], (3, theta.size))
    decay = 3 * 0.01 * penalised.l2_gradient(theta)  # 3 steps of lr * l2 * w
    assert np.all(decay[:-1] != 0) and decay[-1] == 0  # the intercept is not decayed

    effects = {}
    for solver in [AdamW(), Adam()]:
        for c in [1.0, 1000.0]:
            with_l2 = adam_steps(solver, penalised, theta, c * gradients)
            without = adam_steps(solver, unpenalised, theta, c * gradients)
            effects[solver.name, c] = with_l2 - without
    # AdamW: the decay's part of the step is lr * l2 * w, whatever the gradient's scale.
    np.testing.assert_allclose(effects["adamw", 1.0], decay, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(effects["adamw", 1000.0], decay, rtol=1e-12, atol=1e-15)
    # Adam: the L2 term goes through the normalisation, so its effect depends on
    # the scale of the data gradient (it all but vanishes next to a large one).
    assert np.abs(effects["adam", 1000.0]).max() < 1e-2 * np.abs(decay).max()
    assert np.abs(effects["adam", 1.0] - effects["adam", 1000.0]).max() > 0.1 * np.abs(decay).max()


def test_adamw_step_is_scale_free_adam_step_plus_decay():
    rng = np.random.default_rng(1)
    obj = squared_objective(alpha=0.5)
    theta = rng.standard_normal(obj.n_coef)
    g = rng.uniform(0.5, 1.5, size=theta.size) * rng.choice([-1, 1], theta.size)
    for c in [1.0, 1000.0]:
        step, prox_step, _ = AdamW().update(
            c * g + obj.l2_gradient(theta), AdamW().init_state(theta), theta, 0.01, obj
        )
        # first step: m_hat / sqrt(v_hat) = sign(g); plus lr * l2 * w
        expected = 0.01 * (np.sign(g) + obj.l2_gradient(theta))
        np.testing.assert_allclose(step, expected, rtol=1e-6)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_adamw_equals_adam_at_alpha_zero(cls):
    X, y = estimator_data(cls, n=300)
    params = dict(alpha=0.0, batch_size=32, max_iter=30, random_state=0)
    adam = quietly(cls(solver="adam", **params).fit, X, y)
    adamw = quietly(cls(solver="adamw", **params).fit, X, y)
    np.testing.assert_allclose(adamw.coef_, adam.coef_, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(adamw.intercept_, adam.intercept_, rtol=1e-12, atol=1e-15)
    assert adam.n_iter_ == adamw.n_iter_
    # ... and they differ once alpha > 0: the decay is decoupled
    params["alpha"] = 0.1
    adam = quietly(cls(solver="adam", **params).fit, X, y)
    adamw = quietly(cls(solver="adamw", **params).fit, X, y)
    assert np.abs(adam.coef_ - adamw.coef_).max() > 1e-3


def test_adamw_settles_off_the_objective_minimum_for_positive_alpha():
    """By design: decoupled decay is not the L2 penalty's gradient."""
    X, y, _ = regression_data(0, 200, 4)
    X = X * np.array([0.1, 1.0, 3.0, 10.0])  # uneven gradient scales
    ridge = GDLinearRegression(solver="newton", alpha=1.0, tol=1e-10).fit(X, y)
    adamw = quietly(
        GDLinearRegression(solver="adamw", alpha=1.0, tol=1e-9, max_iter=3000, random_state=0).fit,
        X,
        y,
    )
    gap = fitted_objective(adamw, X, y) - fitted_objective(ridge, X, y)
    assert gap > 1e-3 * fitted_objective(ridge, X, y)


# ----------------------------------------------------------- AdaGrad / RMSProp
def squared_sums_reference(gradients, lr, epsilon, rho=None):
    """Steps of AdaGrad (rho None) or RMSProp written out from their recurrences.

    Both start at ``s_0 = 0`` (the survey's formula, PyTorch's and Keras's RMSProp).
    """
    s = np.zeros_like(gradients[0])
    steps, scales = [], []
    for g in gradients:
        s = s + g * g if rho is None else rho * s + (1 - rho) * g * g
        scales.append(lr / (np.sqrt(s) + epsilon))
        steps.append(scales[-1] * g)
    return steps, scales


@pytest.mark.parametrize(
    "solver, rho", [(AdaGrad(epsilon=1e-3), None), (RMSProp(rho=0.7, epsilon=1e-3), 0.7)]
)
def test_adagrad_and_rmsprop_updates_follow_their_recurrences(solver, rho):
    rng = np.random.default_rng(0)
    obj = squared_objective(alpha=0.0)
    theta = rng.standard_normal(obj.n_coef)
    # gradients of changing scale: a sum and a moving average weigh them differently
    gradients = rng.standard_normal((4, obj.n_coef)) * np.array([[1.0], [10.0], [0.1], [3.0]])
    gradients[:, 0] = 0.0  # a coordinate that never moves: epsilon alone keeps it finite
    steps, scales = squared_sums_reference(gradients, 0.05, 1e-3, rho)
    state = solver.init_state(theta)
    for t, g in enumerate(gradients):
        step, prox_step, state = solver.update(g, state, theta, 0.05, obj)
        np.testing.assert_allclose(step, steps[t], rtol=1e-12, err_msg=f"step {t + 1}")
        np.testing.assert_allclose(prox_step, scales[t], rtol=1e-12, err_msg=f"step {t + 1}")
    assert prox_step[0] == 0.05 / 1e-3


@pytest.mark.parametrize("solver", [AdaGrad(), RMSProp(rho=0.9)])
def test_first_step_is_the_rate_for_adagrad_and_the_rate_over_root_one_minus_rho_for_rmsprop(
    solver,
):
    """From ``s_0 = 0`` the first step is ``eta sign(g) / sqrt(c)`` (up to epsilon), with
    ``c`` the weight of ``g^2`` in ``s_1``: 1 for AdaGrad, ``1 - rho`` for RMSProp."""
    obj = squared_objective(alpha=0.0)
    theta = np.zeros(obj.n_coef)
    g = np.array([3.0, -1e-3, 20.0, -0.5])
    step, _, _ = solver.update(g, solver.init_state(theta), theta, 0.01, obj)
    weight = 1.0 if solver.name == "adagrad" else 1.0 - solver.rho
    np.testing.assert_allclose(step, 0.01 * np.sign(g) / np.sqrt(weight), rtol=1e-4)


def test_adagrad_rate_shrinks_by_itself_rmsprop_rate_does_not():
    """Under gradients of constant size, AdaGrad's step falls like 1/sqrt(t); RMSProp's settles."""
    obj = squared_objective(alpha=0.0)
    theta = np.zeros(obj.n_coef)
    g = np.full(obj.n_coef, 2.0)
    sizes = {}
    for solver in [AdaGrad(), RMSProp(rho=0.9)]:
        state = solver.init_state(theta)
        sizes[solver.name] = []
        for _ in range(400):
            step, _, state = solver.update(g, state, theta, 0.1, obj)
            sizes[solver.name].append(step[0])
    np.testing.assert_allclose(sizes["adagrad"][99], 0.1 / np.sqrt(100), rtol=1e-6)
    np.testing.assert_allclose(sizes["adagrad"][399], 0.1 / np.sqrt(400), rtol=1e-6)
    np.testing.assert_allclose(sizes["rmsprop"][99], 0.1, rtol=1e-4)  # s -> g^2
    np.testing.assert_allclose(sizes["rmsprop"][399], 0.1, rtol=1e-6)


def test_adagrad_l1_prox_uses_the_per_coordinate_step():
    """Soft-thresholding by eta / (sqrt(s) + eps) * l1, coordinate by coordinate."""
    X, y, _ = regression_data(2, 40, 3)
    X = X * np.array([0.1, 1.0, 10.0])
    kw = dict(alpha=0.3, l1_ratio=1.0, learning_rate=0.05, tol=0.0, random_state=0)
    zero = dict(coef_init=np.zeros(3), intercept_init=0.0)  # the reference starts at zero
    one = quietly(GDLinearRegression(solver="adagrad", max_iter=1, **kw).fit, X, y, **zero)
    X1 = np.column_stack([X, np.ones(40)])
    g = X1.T @ (X1 @ np.zeros(4) - y) / 40  # the full-batch gradient at zero (n <= 200)
    scale = 0.05 / (np.abs(g) + 1e-8)
    u = -scale * g
    expected = np.sign(u[:3]) * np.maximum(np.abs(u[:3]) - scale[:3] * 0.3, 0.0)
    np.testing.assert_allclose(one.coef_, expected, rtol=1e-10)
    np.testing.assert_allclose(one.intercept_, u[3], rtol=1e-10)  # never thresholded


# ------------------------------------------------------------------- momentum
def momentum_reference(X, y, lr, beta, nesterov, n_steps):
    """PyTorch's SGD(momentum, nesterov) on the half mean squared error (with intercept)."""
    n, d = X.shape
    X1 = np.column_stack([X, np.ones(n)])
    theta = np.zeros(d + 1)
    velocity = None
    for _ in range(n_steps):
        g = X1.T @ (X1 @ theta - y) / n
        velocity = g.copy() if velocity is None else beta * velocity + g
        theta = theta - lr * (g + beta * velocity if nesterov else velocity)
    return theta


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_updates_follow_pytorch_recurrences(nesterov):
    X, y, _ = regression_data(0, 40, 3)
    for n_steps in [1, 2, 5]:
        est = quietly(
            GDLinearRegression(
                solver=Momentum(momentum=0.9, nesterov=nesterov),
                learning_rate=0.05,
                max_iter=n_steps,
                tol=0.0,
            ).fit,
            X,
            y,
            coef_init=np.zeros(X.shape[1]),  # the reference starts at zero
            intercept_init=0.0,
        )
        expected = momentum_reference(X, y, 0.05, 0.9, nesterov, n_steps)
        np.testing.assert_allclose(
            np.r_[est.coef_, est.intercept_], expected, rtol=1e-10, err_msg=f"{n_steps} steps"
        )


def test_momentum_nesterov_differs_from_heavy_ball():
    X, y, _ = regression_data(1, 60, 4)
    kw = dict(learning_rate=0.05, tol=0.0)
    trajectories = {}
    for nesterov in [False, True]:
        solver = Momentum(momentum=0.9, nesterov=nesterov)
        trajectories[nesterov] = [
            quietly(GDLinearRegression(solver=solver, max_iter=k, **kw).fit, X, y) for k in (2, 10)
        ]
    for heavy, nest in zip(trajectories[False], trajectories[True], strict=True):
        assert np.abs(heavy.coef_ - nest.coef_).max() > 1e-3
    # Nesterov's look-ahead damps the heavy ball's overshoot on this quadratic:
    ref = GDLinearRegression(solver="newton").fit(X, y)
    nesterov_10, heavy_10 = trajectories[True][1], trajectories[False][1]
    assert fitted_objective(nesterov_10, X, y) < fitted_objective(heavy_10, X, y)
    # and both land on the same optimum
    for nesterov in [False, True]:
        est = GDLinearRegression(solver=Momentum(nesterov=nesterov), tol=1e-10).fit(X, y)
        np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-7)


# ----------------------------------------------------------------------- ista
def test_ista_fista_fewer_iterations_than_plain_ista():
    rng = np.random.default_rng(0)
    n, d = 100, 8
    base = rng.standard_normal((n, d))
    X = base + 1.5 * base[:, [0]]  # correlated, unevenly scaled columns:
    X *= np.geomspace(0.3, 2, d)  # condition number about 25
    y = X @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)
    kw = dict(alpha=0.05, l1_ratio=1.0, tol=1e-8, max_iter=200_000)
    fista = GDLinearRegression(solver=ISTA(fista=True), **kw).fit(X, y)
    plain = GDLinearRegression(solver=ISTA(fista=False), **kw).fit(X, y)
    assert fista.n_iter_ * 4 < plain.n_iter_, (fista.n_iter_, plain.n_iter_)
    np.testing.assert_allclose(fista.coef_, plain.coef_, rtol=1e-5, atol=1e-7)
    assert np.sum(fista.coef_ == 0) >= 1  # a lasso solution with exact zeros


# ----------------------------------------------------------------------- admm
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l2", [0.0, 0.3])
@pytest.mark.parametrize("storage", ["float64", "float32", "csr"])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_admm_row_side_solves_the_ridge_system_of_the_hessian(
    fit_intercept, l2, storage, n_outputs
):
    """Wide data: (H + rho I)^-1 (rho v - g0) by the matrix inversion lemma on the rows,
    intercept unpenalised, sample weights in H, for several rho from one decomposition."""
    from sklearn_gd.solvers._ridge import RowSide, ridge_factor

    rng = np.random.default_rng(1)
    X = rng.standard_normal((12, 40)) * rng.uniform(0.1, 5.0, 40)
    if storage == "float32":
        X = X.astype(np.float32)
    elif storage == "csr":
        X[rng.random(X.shape) < 0.7] = 0.0
        X = sp.csr_matrix(X)
    Y = rng.standard_normal((12, n_outputs)) + 4.0
    weights = rng.uniform(0.1, 3.0, 12)
    objective = Objective(
        Design(X, fit_intercept), SquaredLoss(), Y, weights, ElasticNetPenalty(l2, 0.0)
    )
    factor = ridge_factor(objective, max_size=100)
    assert isinstance(factor, RowSide)
    # the solve is in float64 whatever X's dtype (on the objective's targets): so
    # is the reference
    exact = Objective(
        Design(X.astype(np.float64), fit_intercept),
        SquaredLoss(),
        np.asarray(objective.Y, dtype=np.float64),
        weights,
        ElasticNetPenalty(l2, 0.0),
    )
    H = exact.hessian(np.zeros(exact.n_coef))
    g0 = exact.smooth_value_and_gradient(np.zeros(exact.n_coef))[1]
    for rho in [1e-3, 1.0, 50.0, 1.0]:
        v = rng.standard_normal(objective.n_coef)
        expected = np.linalg.solve(H + rho * np.eye(objective.n_coef), rho * v - g0)
        error = np.linalg.norm(factor.solve(objective, v, rho) - expected)
        assert error <= 1e-9 * np.linalg.norm(expected), rho


def test_admm_factor_side_follows_the_shape():
    """The smaller matrix is decomposed; none beyond the size limit."""
    from sklearn_gd.solvers._ridge import CoefficientSide, RowSide, ridge_factor

    tall = squared_objective(0.1)  # 20 samples, 4 coefficients
    penalty = ElasticNetPenalty(0.1, 0.0)
    wide = Objective(
        Design(np.ones((3, 10)), True), SquaredLoss(), np.ones((3, 1)), [1.0] * 3, penalty
    )
    assert isinstance(ridge_factor(tall, max_size=100), CoefficientSide)
    assert isinstance(ridge_factor(wide, max_size=100), RowSide)
    assert ridge_factor(tall, max_size=3) is None
    assert ridge_factor(wide, max_size=2) is None


def wide_least_squares(seed=0):
    """12 samples, 24 features in [0, 1): the sample-weight consistency data of
    scikit-learn's ridge tests, underdetermined for ordinary least squares."""
    rng = np.random.RandomState(seed)
    return rng.rand(12, 24), rng.rand(12), rng.uniform(0.01, 2.0, 12)


@pytest.mark.parametrize(
    "case", ["weights", "weights times pi", "zero weights", "csr, two outputs"]
)
def test_admm_least_squares_on_wide_data_converges_to_a_tight_tol(case):
    """Without an L1 term the primal residual is zero: residual balancing halved rho
    at every iteration, and the row-side solve, rho v - g0 over rho, amplified its
    rounding by 1/rho until the fit raised DivergenceError (iteration 55). A convex
    quadratic must converge: to a minimiser of the weighted least squares."""
    X, y, weights = wide_least_squares()
    Y = y
    if case == "weights times pi":
        weights = np.pi * weights
    elif case == "zero weights":
        weights[-5:] = 0.0
        y[-5:] *= 1000
    elif case == "csr, two outputs":
        X = sp.csr_matrix(np.where(X < 0.3, 0.0, X))
        Y, weights = np.c_[y, 2 * y + 1], None
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = GDLinearRegression(solver="admm", alpha=0.0, tol=1e-12, max_iter=2000)
        model.fit(X, Y, sample_weight=weights)
    # an interpolating minimiser: every weighted residual vanishes
    residual = model.predict(X) - Y
    if weights is not None:
        residual = residual[weights > 0]
    assert np.max(np.abs(residual)) < 1e-9


def test_admm_rho_stays_within_its_range_of_the_start_without_an_l1_term():
    """Without an L1 term the primal residual is zero and residual balancing asks to
    halve rho at every iteration: it stops at RHO_RANGE below its start (0.1 L)."""
    from sklearn_gd.solvers import admm

    X, y, _ = wide_least_squares()
    model = GDLinearRegression(solver="admm", alpha=0.0, tol=None, max_iter=300).fit(X, y)
    objective = Objective(
        Design(X, True), SquaredLoss(), y[:, None], np.ones(12), ElasticNetPenalty(0.0, 0.0)
    )
    start = 0.1 * objective.lipschitz()
    assert model._solver_state["rho"] == pytest.approx(start / admm.RHO_RANGE, rel=0.5)


@pytest.mark.parametrize("Estimator", [GDLinearRegression, GDLogisticRegression])
def test_admm_warm_start_at_the_optimum_stays_there(Estimator):
    """A warm start takes the coefficients, not the duals: with u = 0 the first
    iteration from a minimiser moved it by about grad / rho (the optimality went from
    5e-10 to 2e-3). Started with the duals that make the start a fixed point, it
    stays within a few times its optimality and refits to a tighter tol from there."""
    if Estimator is GDLinearRegression:
        X, y, _ = regression_data(3, 120, 8)
    else:
        X, y, _ = classification_data(3, 120, 8, 2)
    kw = dict(solver="admm", alpha=1e-2, l1_ratio=0.5, max_iter=5000)
    model = Estimator(tol=1e-8, **kw).fit(X, y)
    start = model.history_["optimality"][-1]
    cold = Estimator(tol=start / 2, **kw).fit(X, y)
    model.set_params(warm_start=True, tol=start / 2).fit(X, y)
    assert model.history_["optimality"][0] <= 3 * start
    assert model.n_iter_ < cold.n_iter_


# ---------------------------------------------------- bfgs and trust region
def large_quadratic(seed=0, n=4000, d=12):
    """Squared loss with badly scaled, correlated columns, large enough for the preconditioner."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((n, d))
    X = (base + 2.0 * base[:, [0]]) * np.geomspace(0.05, 20, d)
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    return X, y


def test_bfgs_starting_from_the_inverse_curvature_needs_fewer_iterations():
    X, y = large_quadratic()
    kw = dict(alpha=1e-3, tol=1e-8, max_iter=10_000)
    plain = GDLinearRegression(solver=BFGS(precondition=False), **kw).fit(X, y)
    started = GDLinearRegression(solver=BFGS(precondition=True), **kw).fit(X, y)
    # on a quadratic the curvature at the start is the exact Hessian
    assert started.n_iter_ <= 3 < 3 * started.n_iter_ < plain.n_iter_, (
        started.n_iter_,
        plain.n_iter_,
    )
    np.testing.assert_allclose(started.coef_, plain.coef_, rtol=1e-6)


@pytest.mark.parametrize("solver", [BFGS(), TrustRegion()])
def test_bfgs_and_trust_region_meet_a_tight_tol_past_the_precision_of_the_value(solver):
    """Near the minimum SciPy's value-based tests stop first; the gradient still decides."""
    X, y, _ = classification_data(0, 30, 4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = GDLogisticRegression(solver=solver, alpha=0.001, fit_intercept=False, tol=1e-11)
        est.fit(X, y)
    assert est.history_["optimality"][-1] <= 1e-11


def test_trust_region_forms_the_curvature_once_per_point(monkeypatch):
    calls = {"operators": 0, "products": 0}
    original = objective_module.Objective.hessian_operator

    def counting(self, theta):
        calls["operators"] += 1
        apply = original(self, theta)

        def product(v):
            calls["products"] += 1
            return apply(v)

        return product

    monkeypatch.setattr(objective_module.Objective, "hessian_operator", counting)
    X, y, _ = classification_data(1, 80, 6, 3)
    est = GDSoftmaxClassifier(solver=TrustRegion(), alpha=1e-3, tol=1e-8).fit(X, y)
    assert calls["products"] > 2 * calls["operators"]  # several CG products per point
    assert calls["operators"] <= est.n_iter_ + 1  # one operator per point visited


def test_trust_region_matches_newton_on_softmax():
    X, y, _ = classification_data(2, 120, 5, 4)
    kw = dict(alpha=1e-3, tol=1e-10, max_iter=1000)
    newton = GDSoftmaxClassifier(solver="newton", **kw).fit(X, y)
    trust = GDSoftmaxClassifier(solver="trust-region", **kw).fit(X, y)
    np.testing.assert_allclose(trust.coef_, newton.coef_, rtol=1e-7, atol=1e-9)


# --------------------------------------------------------------- convergence
@pytest.mark.parametrize("solver", list(SOLVERS))
def test_max_iter_reached_warns_convergence_warning(solver):
    X, y, _ = classification_data(0, 100, 4, 3)
    est = GDLogisticRegression(solver=solver, max_iter=1, tol=1e-12, random_state=0)
    with pytest.warns(ConvergenceWarning, match=rf"solver='{solver}'") as record:
        est.fit(X, y)
    assert any("max_iter=1" in str(w.message) for w in record)
    assert est.n_iter_ == 1


@pytest.mark.parametrize("solver", list(SOLVERS))
def test_a_fit_stopped_at_max_iter_reports_max_iter_iterations(solver):
    """n_iter_ counts the iterations run, whatever a solver does between them.

    float32 data with targets in the hundreds: the objective's values stop
    resolving a decrease within three iterations, and the solvers that then go
    on in float64 differences restart there; that restart is no iteration.
    """
    X, y = offset_regression(2, 20, 0.1, 500.0)
    est = GDLinearRegression(solver=solver, alpha=1e-2, tol=1e-13, max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        est.fit(X.astype(np.float32), y.astype(np.float32))
    assert est.n_iter_ == 3
    assert len(est.history_["objective"]) == 3


def test_ista_counts_the_iterations_after_its_float64_finish():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X[:100]).astype(np.float32)
    est = GDLogisticRegression(solver="ista", alpha=1e-3, l1_ratio=0.5, tol=1e-12, max_iter=1000)
    with pytest.warns(ConvergenceWarning, match="reached the iteration cap"):
        est.fit(X, y[:100])
    assert est.n_iter_ == 1000


@pytest.mark.parametrize("solver", list(SOLVERS))
def test_minimize_refuses_an_unknown_setting_naming_it(solver):
    objective = squared_objective(0.1)
    with pytest.raises(TypeError, match="tolerance"):
        SOLVERS[solver]().minimize(
            objective, np.zeros(objective.n_coef), max_iter=2, tol=1e-4, tolerance=1e-6
        )


@pytest.mark.parametrize(
    "solver, setting, value",
    [(name, "schedule", "cosine") for name, cls in SOLVERS.items() if not cls.uses_schedule]
    + [(name, "learning_rate", 0.1) for name, cls in SOLVERS.items() if not cls.uses_learning_rate],
)
def test_minimize_refuses_a_setting_that_does_not_apply(solver, setting, value):
    objective = squared_objective(0.1)
    with pytest.raises(TypeError, match=setting):
        SOLVERS[solver]().minimize(
            objective, np.zeros(objective.n_coef), max_iter=2, tol=1e-4, **{setting: value}
        )


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_stochastic_solvers_converge_with_default_settings_on_small_data(cls, solver):
    """n <= 200: the default batch is the whole data set; the run must still converge.

    A well-conditioned 50 x 5 problem with default tol and max_iter is the easy
    case; a ConvergenceWarning here would greet every user of small data.
    """
    X, y = estimator_data(cls, seed=0, n=50, d=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = cls(solver=solver, random_state=0).fit(X, y)
    assert est.n_iter_ < est.max_iter


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_newton_cg_matches_cholesky(cls, monkeypatch):
    X, y = estimator_data(cls, seed=2, n=80, d=5)
    kw = dict(alpha=0.01, tol=1e-10)
    cholesky = cls(solver=Newton(inner_solver="cholesky"), **kw).fit(X, y)

    def no_hessian(self, theta):
        raise AssertionError("inner_solver='cg' formed the dense Hessian")

    monkeypatch.setattr(objective_module.Objective, "hessian", no_hessian)
    cg = cls(solver=Newton(inner_solver="cg"), **kw).fit(X, y)
    np.testing.assert_allclose(cg.coef_, cholesky.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(cg.intercept_, cholesky.intercept_, rtol=1e-8, atol=1e-10)
    with pytest.raises(AssertionError, match="dense Hessian"):
        cls(solver=Newton(inner_solver="cholesky"), **kw).fit(X, y)
