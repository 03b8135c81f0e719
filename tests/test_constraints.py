"""Constraints on the weights, at the penalty, objective and solver level.

References are SciPy's: ``nnls`` and ``lsq_linear`` for least squares with
non-negativity or a box, and a tight ``minimize`` (SLSQP, or L-BFGS-B with
bounds) for the other sets and the logistic loss.
"""

import numpy as np
import pytest
from scipy.optimize import Bounds, lsq_linear, minimize, nnls
from sklearn.base import clone

from sklearn_gd import SOLVERS
from sklearn_gd._data import Design
from sklearn_gd._loss import LogisticLoss, SquaredLoss
from sklearn_gd._objective import Objective
from sklearn_gd._penalty import ElasticNetPenalty
from sklearn_gd.constraints import Box, L2Ball, NonNegative, Simplex
from sklearn_gd.solvers import resolve_solver, solvers_accepting

#: Solvers that honour every constraint (through the objective's prox), deterministic.
EVERY_CONSTRAINT = (Box(-1.0, 1.0), L2Ball(1.0), NonNegative(), Simplex())
PROJECTING = [
    name
    for name, cls in SOLVERS.items()
    if not cls.stochastic and all(name in solvers_accepting(c) for c in EVERY_CONSTRAINT)
]


def least_squares(seed=0, n=50, d=5, fit_intercept=True):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = X @ np.array([1.5, -2.0, 0.3, -0.1, 0.8])[:d] + 0.5 + 0.3 * rng.standard_normal(n)
    return X, y


def make_objective(X, y, constraint, alpha=0.0, l1_ratio=0.0, fit_intercept=True, loss=None):
    penalty = ElasticNetPenalty(alpha, l1_ratio, constraint=constraint)
    loss = SquaredLoss() if loss is None else loss
    return Objective(
        Design(X, fit_intercept), loss, np.asarray(y, float)[:, None], np.ones(len(y)), penalty
    )


def solve(solver, objective, tol=1e-10):
    result = resolve_solver(solver).minimize(
        objective, np.zeros(objective.n_coef), max_iter=100_000, tol=tol
    )
    assert result.converged, result.message
    return result.coef


# ------------------------------------------------------------------- the sets
def test_projections_land_in_their_sets_and_are_idempotent():
    W = np.random.default_rng(0).standard_normal((6, 3)) * 3
    for constraint in [Box(-0.5, 1.0), NonNegative(), L2Ball(2.0), Simplex()]:
        P = constraint.project(W)
        assert constraint.contains(P)
        np.testing.assert_allclose(constraint.project(P), P, atol=1e-12)
    np.testing.assert_allclose(Simplex().project(W).sum(axis=0), 1.0)
    np.testing.assert_allclose(np.linalg.norm(L2Ball(2.0).project(W), axis=0), 2.0)


@pytest.mark.parametrize(
    "constraint", [Box([-0.5, 0, -1, 0.2], [0.5, 1, 1, 2]), NonNegative(), L2Ball(1.5), Simplex()]
)
@pytest.mark.parametrize("threshold", [0.0, 0.3])
def test_prox_of_l1_plus_indicator_is_the_exact_minimiser(constraint, threshold):
    """argmin_x 1/2 |x - w|^2 + t |x|_1 + indicator(x), by a tight SLSQP solve."""
    w = np.array([1.2, -0.7, 0.4, 2.5])
    prox = constraint.prox_l1(w[:, None], threshold)[:, 0]
    cons = []
    bounds = None
    if isinstance(constraint, Box):
        lo, hi = constraint.bounds(4)
        bounds = Bounds(lo, hi)
    if isinstance(constraint, L2Ball):
        cons = [{"type": "ineq", "fun": lambda x: constraint.radius**2 - x @ x}]
    if isinstance(constraint, Simplex):
        bounds = Bounds(np.zeros(4), np.full(4, np.inf))
        cons = [{"type": "eq", "fun": lambda x: x.sum() - 1.0}]

    # |x|_1 as x+ - x- (smooth), so that SLSQP solves it exactly
    def f(v):
        x = v[:4] - v[4:]
        return 0.5 * np.sum((x - w) ** 2) + threshold * v.sum()

    def lift(c):
        return {"type": c["type"], "fun": lambda v: c["fun"](v[:4] - v[4:])}

    lifted_bounds = Bounds(np.zeros(8), np.full(8, np.inf))
    lifted_cons = [lift(c) for c in cons]
    if bounds is not None:
        lifted_cons.append({"type": "ineq", "fun": lambda v: v[:4] - v[4:] - bounds.lb})
        lifted_cons.append({"type": "ineq", "fun": lambda v: bounds.ub - (v[:4] - v[4:])})
        lifted_cons = [c for c in lifted_cons if np.all(np.isfinite(c["fun"](np.zeros(8))))]
    v0 = np.r_[np.maximum(prox, 0), np.maximum(-prox, 0)] + 0.1
    ref = minimize(
        f,
        v0,
        method="SLSQP",
        bounds=lifted_bounds,
        constraints=lifted_cons,
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    x = ref.x[:4] - ref.x[4:]
    assert f(np.r_[np.maximum(prox, 0), np.maximum(-prox, 0)]) <= ref.fun + 1e-9
    np.testing.assert_allclose(prox, x, atol=1e-6)


def test_box_prox_is_the_clipped_soft_threshold():
    w = np.array([[2.0], [-2.0], [0.1], [0.9]])
    box = Box(-1.0, [1.0, 1.0, 1.0, 0.5])
    expected = np.clip(np.sign(w) * np.maximum(np.abs(w) - 0.3, 0), -1.0, [[1.0], [1], [1], [0.5]])
    np.testing.assert_array_equal(box.prox_l1(w, 0.3), expected)
    np.testing.assert_array_equal(NonNegative().prox_l1(w, 0.3), np.maximum(w - 0.3, 0))


def test_constraints_are_parameter_objects():
    box = Box(lower=0.0, upper=[1.0, 2.0])
    assert box.get_params() == {"lower": 0.0, "upper": [1.0, 2.0]}
    assert clone(box).upper == [1.0, 2.0]
    assert L2Ball(3.0).set_params(radius=2.0).radius == 2.0
    assert NonNegative().get_params() == {} and repr(Simplex()) == "Simplex()"
    with pytest.raises(ValueError, match="lower <= upper"):
        Box(1.0, 0.0).project(np.zeros((2, 1)))
    with pytest.raises(ValueError, match="one per feature \\(3\\)"):
        Box(0.0, [1.0, 2.0]).project(np.zeros((3, 1)))


# ------------------------------------------------------- penalty / objective
def test_a_constraint_makes_the_objective_non_smooth_and_prox_projects_weights_only():
    X, y = least_squares()
    obj = make_objective(X, y, NonNegative())
    assert not obj.is_smooth and make_objective(X, y, None).is_smooth
    theta = np.array([1.0, -2.0, 3.0, -4.0, 5.0, -6.0])  # last entry: the intercept
    np.testing.assert_array_equal(obj.prox(theta, 0.1), [1.0, 0, 3.0, 0, 5.0, -6.0])


# ------------------------------------------------------------------ solvers
@pytest.mark.parametrize("solver", PROJECTING + ["lbfgs"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_non_negative_least_squares_matches_scipy(solver, fit_intercept):
    X, y = least_squares(fit_intercept=fit_intercept)
    coef = solve(solver, make_objective(X, y, NonNegative(), fit_intercept=fit_intercept))
    n, d = X.shape
    if fit_intercept:
        A = np.column_stack([X, np.ones(n)])
        lower = np.r_[np.zeros(d), -np.inf]
        ref = lsq_linear(A, y, bounds=(lower, np.inf), tol=1e-15).x
    else:
        ref = nnls(X, y)[0]
    assert np.sum(ref[:d] <= 1e-12) >= 1  # an active constraint...
    np.testing.assert_array_equal(coef[:d] == 0, ref[:d] <= 1e-12)  # ...held exactly
    np.testing.assert_allclose(coef, ref, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("solver", PROJECTING + ["lbfgs"])
def test_box_least_squares_matches_lsq_linear(solver):
    X, y = least_squares(1)
    lower, upper = np.array([-1.0, -1.0, 0.5, -0.05, 0.0]), np.array([1.0, 1.0, 1.0, 0.05, 0.5])
    coef = solve(solver, make_objective(X, y, Box(lower, upper)))
    A = np.column_stack([X, np.ones(len(y))])
    ref = lsq_linear(A, y, bounds=(np.r_[lower, -np.inf], np.r_[upper, np.inf]), tol=1e-15).x
    np.testing.assert_allclose(coef, ref, rtol=1e-6, atol=1e-8)


def reference_constrained(X, y, constraint, loss="squared", alpha=0.0):
    """Tight SLSQP on the same objective (intercept free)."""
    n, d = X.shape

    def f(v):
        z = X @ v[:d] + v[d]
        if loss == "squared":
            data = 0.5 * np.mean((y - z) ** 2)
        else:
            data = np.mean(np.logaddexp(0, z) - y * z)
        return data + 0.5 * alpha * v[:d] @ v[:d]

    cons, bounds = [], None
    if isinstance(constraint, L2Ball):
        cons = [{"type": "ineq", "fun": lambda v: constraint.radius**2 - v[:d] @ v[:d]}]
    if isinstance(constraint, Simplex):
        cons = [{"type": "eq", "fun": lambda v: v[:d].sum() - 1.0}]
        bounds = Bounds(np.r_[np.zeros(d), -np.inf], np.full(d + 1, np.inf))
    if isinstance(constraint, Box):
        lo, hi = constraint.bounds(d)
        bounds = Bounds(np.r_[lo, -np.inf], np.r_[hi, np.inf])
    v0 = np.r_[np.full(d, 1.0 / d), 0.0]
    ref = minimize(
        f,
        v0,
        method="SLSQP",
        bounds=bounds,
        constraints=cons,
        options={"ftol": 1e-15, "maxiter": 2000},
    )
    return ref.x


@pytest.mark.parametrize("solver", PROJECTING)
@pytest.mark.parametrize("constraint", [L2Ball(1.0), Simplex()], ids=repr)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_projected_solvers_match_slsqp(solver, constraint, loss):
    X, y = least_squares(2)
    if loss == "logistic":
        y = (y > np.median(y)).astype(float)
    obj = make_objective(
        X, y, constraint, alpha=0.01, loss=SquaredLoss() if loss == "squared" else LogisticLoss()
    )
    coef = solve(solver, obj, tol=1e-9)
    ref = reference_constrained(X, y, constraint, loss, alpha=0.01)
    assert constraint.contains(coef[:-1, None], atol=1e-9)
    np.testing.assert_allclose(coef, ref, rtol=1e-5, atol=1e-6)


def test_solvers_that_cannot_keep_a_constraint_refuse_it_naming_those_that_can():
    X, y = least_squares()
    for constraint in [NonNegative(), L2Ball(1.0)]:
        obj = make_objective(X, y, constraint)
        able = solvers_accepting(constraint)
        assert set(able) >= {"gd", "ista", "admm"}
        assert ("lbfgs" in able) == isinstance(constraint, Box)
        for name in SOLVERS:
            if name in able:
                continue
            with pytest.raises(ValueError, match="cannot keep the weights") as excinfo:
                resolve_solver(name).minimize(obj, np.zeros(obj.n_coef), max_iter=5, tol=1e-4)
            message = str(excinfo.value)
            assert f"'{name}'" in message and all(a in message for a in able), message
    assert {"newton", "bfgs", "trust-region"} & set(SOLVERS) <= set(SOLVERS) - set(
        solvers_accepting(NonNegative())
    )


# ------------------------------------------------------------ the estimators
@pytest.mark.parametrize("solver", solvers_accepting(NonNegative()))
def test_estimator_positive_is_non_negative_least_squares(solver):
    from scipy.optimize import nnls

    from sklearn_gd import GDLinearRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = X @ np.array([1.0, -2.0, 0.5, -1.0]) + 0.1 * rng.normal(size=60)
    params = dict(fit_intercept=False, tol=1e-9, max_iter=20000, random_state=0)
    if SOLVERS[solver].stochastic:
        params.update(tol=1e-6, max_iter=3000)  # adam, adamw: no finer at a constant rate
    est = GDLinearRegression(solver=solver, positive=True, **params).fit(X, y)
    rtol = 1e-2 if SOLVERS[solver].stochastic else 1e-6
    np.testing.assert_allclose(est.coef_, nnls(X, y)[0], rtol=rtol, atol=rtol)
    assert np.all(est.coef_ >= 0)


def test_estimator_constraint_parameter_is_checked_and_searchable():
    from sklearn.model_selection import GridSearchCV

    from sklearn_gd import GDLinearRegression

    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([2.0, -1.0, 0.5])
    with pytest.raises(ValueError, match="positive=True and constraint="):
        GDLinearRegression(positive=True, constraint=L2Ball(1.0)).fit(X, y)
    with pytest.raises(ValueError, match="cannot keep the weights"):
        GDLinearRegression(solver="newton", positive=True).fit(X, y)
    est = GDLinearRegression(solver="ista", constraint=L2Ball(1.0), tol=1e-8)
    search = GridSearchCV(est, {"constraint__radius": [0.5, 1.0]}, cv=2).fit(X, y)
    assert np.linalg.norm(search.best_estimator_.coef_) <= 1.0 + 1e-9
    assert est.constraint.radius == 1.0  # fit did not write into the parameter
