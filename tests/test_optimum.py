"""Every solver lands on the optimum of the objective of the user guide ("The objective").

References are computed here, independently of ``sklearn_gd``: the normal
equation / ridge closed form for least squares, a tight SciPy L-BFGS-B (polished
by Newton steps) for the classifiers, and scikit-learn's own estimators.

Deterministic solvers must match the reference coefficients to 1e-6 (relative,
norm-wise). Stochastic solvers must close at least 99.9% of the objective gap
from zero coefficients: ``F(0) - F(fit) >= 0.999 * (F(0) - F(opt))``, with
their default batch size: on the small property-test data (n <= 60) that is one
batch per epoch, and on n = 1000 it is five mini-batches of 200.

The stochastic tests ignore ConvergenceWarning: whether those solvers stop
cleanly with default settings is tested on its own in ``test_solvers.py``
(``test_stochastic_solvers_converge_with_default_settings_on_small_data``);
here only the objective they reach matters.
"""

import re
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
    objective,
    reference_minimum,
    regression_data,
    sample_weights,
)
from hypothesis import given
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression

from sklearn_gd import SOLVERS, GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier

DETERMINISTIC = [name for name, cls in SOLVERS.items() if not cls.stochastic]
STOCHASTIC = [name for name, cls in SOLVERS.items() if cls.stochastic]
GAP_SHARE = 0.999

#: Settings of the deterministic solvers: tight tolerance, enough iterations.
TIGHT = dict(tol=1e-10, max_iter=100_000)
#: Settings of the stochastic solvers (max_iter in epochs).
STOCHASTIC_SETTINGS = dict(tol=1e-8, max_iter=3000)


def test_solver_lists_are_not_empty():
    assert set(DETERMINISTIC) >= {"gd", "momentum", "lbfgs", "newton", "ista"}
    assert set(STOCHASTIC) >= {"sgd", "adam", "adamw"}


def fit_strictly(est, X, y, sample_weight=None):
    """Fit, turning a ConvergenceWarning into an error (deterministic solvers)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return est.fit(X, y, sample_weight=sample_weight)


def assert_gap_closed(f_zero, f_fit, f_opt, est):
    """``F(0) - F(fit) >= 0.999 (F(0) - F(opt))``."""
    assert f_zero - f_fit >= GAP_SHARE * (f_zero - f_opt), (
        f"{est.solver} left {(f_fit - f_opt) / (f_zero - f_opt):.2e} of the gap "
        f"F(0) - F(opt) = {f_zero - f_opt:.3e} after {est.n_iter_} epochs"
    )


# ---------------------------------------------------------------- regression
def least_squares_solution(X, y, sample_weight, alpha, fit_intercept):
    """Normal equation (alpha=0, via lstsq) or ridge closed form on the weighted centred data."""
    n, d = X.shape
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    S = s.sum()
    x_mean = s @ X / S if fit_intercept else np.zeros(d)
    y_mean = s @ y / S if fit_intercept else 0.0
    Xc, yc = X - x_mean, y - y_mean
    if alpha == 0:
        root = np.sqrt(s)
        w = np.linalg.lstsq(root[:, None] * Xc, root * yc, rcond=None)[0]
    else:
        gram = Xc.T @ (s[:, None] * Xc) / S + alpha * np.eye(d)
        w = np.linalg.solve(gram, Xc.T @ (s * yc) / S)
    return w, y_mean - x_mean @ w


regression_cases = dict(
    seed=st.integers(0, 2**16),
    n=st.integers(20, 60),
    d=st.integers(1, 6),
    alpha=st.sampled_from([0.0, 0.01, 0.3, 2.0]),
    weighted=st.booleans(),
    fit_intercept=st.booleans(),
)


@pytest.mark.parametrize("solver", DETERMINISTIC)
@given(**regression_cases)
def test_linear_regression_deterministic_solver_matches_closed_form(
    solver, seed, n, d, alpha, weighted, fit_intercept
):
    X, y, rng = regression_data(seed, n, d)
    sw = sample_weights(rng, n, weighted)
    est = GDLinearRegression(solver=solver, alpha=alpha, fit_intercept=fit_intercept, **TIGHT)
    fit_strictly(est, X, y, sw)
    w, b = least_squares_solution(X, y, sw, alpha, fit_intercept)
    assert_rel_close(np.r_[est.coef_, est.intercept_], np.r_[w, b], 1e-6, solver)
    if not fit_intercept:
        assert est.intercept_ == 0.0


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@given(**regression_cases)
def test_linear_regression_stochastic_solver_closes_the_gap(
    solver, seed, n, d, alpha, weighted, fit_intercept
):
    if solver == "adamw":
        alpha = 0.0  # by design adamw does not minimise the objective for alpha > 0
    X, y, rng = regression_data(seed, n, d)
    sw = sample_weights(rng, n, weighted)
    est = GDLinearRegression(
        solver=solver,
        alpha=alpha,
        fit_intercept=fit_intercept,
        random_state=seed,
        **STOCHASTIC_SETTINGS,
    ).fit(X, y, sample_weight=sw)
    w, b = least_squares_solution(X, y, sw, alpha, fit_intercept)
    Y = y[:, None]
    f_zero = objective("squared", X, Y, np.zeros((d, 1)), np.zeros(1), sw, alpha)
    f_opt = objective("squared", X, Y, w[:, None], np.array([b]), sw, alpha)
    f_fit = fitted_objective(est, X, y, sw)
    assert_gap_closed(f_zero, f_fit, f_opt, est)


# --------------------------------------------------------------- classifiers
CLASSIFIERS = {
    "binary": (GDLogisticRegression, 2),
    "ovr": (GDLogisticRegression, 3),
    "softmax": (GDSoftmaxClassifier, 3),
}

classification_cases = dict(
    seed=st.integers(0, 2**16),
    n=st.integers(30, 60),
    d=st.integers(1, 6),
    alpha=st.sampled_from([0.0, 0.001, 0.05, 0.5]),
    weighted=st.booleans(),
    fit_intercept=st.booleans(),
)


def identifiable(kind, W, b):
    """Softmax is invariant to adding a vector to every class: centre over classes."""
    if kind == "multinomial":
        return W - W.mean(axis=1, keepdims=True), b - b.mean()
    return W, b


def flat(kind, W, b, fit_intercept):
    W, b = identifiable(kind, W, b)
    return np.r_[W.ravel(), b] if fit_intercept else W.ravel()


def sklearn_solution(model, X, y, sample_weight, alpha, fit_intercept):
    """scikit-learn's LogisticRegression(C=1/(alpha*S)); one binary fit per class for OvR."""
    S = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
    C = np.inf if alpha == 0 else 1.0 / (alpha * S)

    def fit(target):
        return LogisticRegression(
            C=C, tol=1e-12, max_iter=10_000, fit_intercept=fit_intercept, solver="newton-cholesky"
        ).fit(X, target, sample_weight=sample_weight)

    if model == "ovr":
        fits = [fit((y == c).astype(int)) for c in np.unique(y)]
        W = np.column_stack([f.coef_[0] for f in fits])
        b = np.array([f.intercept_[0] for f in fits])
    else:
        f = fit(y)
        W, b = f.coef_.T, f.intercept_
    return W, (b if fit_intercept else np.zeros(W.shape[1]))


@pytest.mark.parametrize("solver", DETERMINISTIC)
@given(model=st.sampled_from(list(CLASSIFIERS)), **classification_cases)
def test_classifier_deterministic_solver_reaches_optimum(
    solver, model, seed, n, d, alpha, weighted, fit_intercept
):
    cls, n_classes = CLASSIFIERS[model]
    X, y, rng = classification_data(seed, n, d, n_classes)
    sw = sample_weights(rng, n, weighted, zeros=False)
    est = cls(solver=solver, alpha=alpha, fit_intercept=fit_intercept, **TIGHT)
    fit_strictly(est, X, y, sw)
    kind, Y = encode_targets(est, y)
    assert Y.shape[1] == (1 if model == "binary" else n_classes)

    W_ref, b_ref, f_ref = reference_minimum(kind, X, Y, sw, alpha, fit_intercept)
    W_fit, b_fit = fitted_params(est)
    fitted = flat(kind, W_fit, b_fit, fit_intercept)
    assert_rel_close(fitted, flat(kind, W_ref, b_ref, fit_intercept), 1e-6, "vs SciPy")

    W_sk, b_sk = sklearn_solution(model, X, y, sw, alpha, fit_intercept)
    assert_rel_close(fitted, flat(kind, W_sk, b_sk, fit_intercept), 1e-6, "vs scikit-learn")
    assert fitted_objective(est, X, y, sw) <= f_ref + 1e-12 * max(1.0, abs(f_ref))


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@given(model=st.sampled_from(list(CLASSIFIERS)), **classification_cases)
def test_classifier_stochastic_solver_closes_the_gap(
    solver, model, seed, n, d, alpha, weighted, fit_intercept
):
    if solver == "adamw":
        alpha = 0.0  # overlapping classes: the unpenalised optimum exists
    cls, n_classes = CLASSIFIERS[model]
    X, y, rng = classification_data(seed, n, d, n_classes)
    sw = sample_weights(rng, n, weighted, zeros=False)
    est = cls(
        solver=solver,
        alpha=alpha,
        fit_intercept=fit_intercept,
        random_state=seed,
        **STOCHASTIC_SETTINGS,
    ).fit(X, y, sample_weight=sw)
    kind, Y = encode_targets(est, y)
    W_ref, b_ref, f_opt = reference_minimum(kind, X, Y, sw, alpha, fit_intercept)
    f_zero = objective(kind, X, Y, 0 * W_ref, 0 * b_ref, sw, alpha)
    assert_gap_closed(f_zero, fitted_objective(est, X, y, sw), f_opt, est)


MODELS = {"regression": (GDLinearRegression, 0), **CLASSIFIERS}


@pytest.mark.parametrize("solver", STOCHASTIC)
@pytest.mark.parametrize("model", list(MODELS))
def test_stochastic_solver_closes_the_gap_with_default_mini_batches(model, solver):
    """n=1000 > 200: the default batch size makes every epoch 5 mini-batches."""
    cls, n_classes = MODELS[model]
    seed = sorted(MODELS).index(model) + 10 * STOCHASTIC.index(solver)
    n, d = 1000, 1 + seed % 6
    alpha = 0.0 if solver == "adamw" else 0.01
    if n_classes:
        X, y, rng = classification_data(seed, n, d, n_classes)
    else:
        X, y, rng = regression_data(seed, n, d)
    sw = sample_weights(rng, n, True, zeros=False)
    est = cls(solver=solver, alpha=alpha, random_state=seed, **STOCHASTIC_SETTINGS)
    est.fit(X, y, sample_weight=sw)
    kind, Y = encode_targets(est, y)
    W_ref, b_ref, f_opt = reference_minimum(kind, X, Y, sw, alpha, True)
    f_zero = objective(kind, X, Y, 0 * W_ref, 0 * b_ref, sw, alpha)
    assert_gap_closed(f_zero, fitted_objective(est, X, y, sw), f_opt, est)


# ----------------------------------------------------------------------- L1
@pytest.mark.parametrize("solver", ["ista", "admm"])
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(20, 60),
    d=st.integers(1, 6),
    alpha=st.floats(0.005, 1.0),
)
def test_l1_solvers_match_sklearn_lasso_and_elastic_net(solver, seed, n, d, alpha):
    X, y, _ = regression_data(seed, n, d)
    for l1_ratio, ref in [
        (1.0, Lasso(alpha=alpha, tol=1e-14, max_iter=1_000_000)),
        (0.5, ElasticNet(alpha=alpha, l1_ratio=0.5, tol=1e-14, max_iter=1_000_000)),
    ]:
        ref.fit(X, y)
        est = GDLinearRegression(solver=solver, alpha=alpha, l1_ratio=l1_ratio, **TIGHT)
        fit_strictly(est, X, y)
        assert_rel_close(
            np.r_[est.coef_, est.intercept_], np.r_[ref.coef_, ref.intercept_], 1e-6, str(ref)
        )
        # exact zeros where the reference has them (soft-thresholding, not shrinkage)
        np.testing.assert_array_equal(est.coef_ == 0, ref.coef_ == 0)


SMOOTH_ONLY = [name for name, cls in SOLVERS.items() if not cls.supports_l1]


def test_smooth_only_list_is_not_empty():
    assert set(SMOOTH_ONLY) >= {"lbfgs", "newton"}


@pytest.mark.parametrize("solver", SMOOTH_ONLY)
@pytest.mark.parametrize("cls", [GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier])
def test_smooth_only_solvers_refuse_l1_naming_those_that_can(solver, cls):
    X, y, _ = classification_data(0, 40, 3, 3)
    with pytest.raises(ValueError, match="l1_ratio") as excinfo:
        cls(solver=solver, alpha=0.1, l1_ratio=0.5).fit(X, y)
    message = str(excinfo.value)
    assert re.search(rf"'{solver}'", message), message  # names itself
    named = {name for name in SOLVERS if re.search(rf"\b{name}\b", message)}
    assert named >= {"ista", "gd", "sgd", "momentum", "adam", "adamw"}, message
    # alpha=0 makes the L1 part vanish: then they accept l1_ratio>0
    cls(solver=solver, alpha=0.0, l1_ratio=0.5, tol=1e-8).fit(X, y)


@pytest.mark.parametrize("model", list(CLASSIFIERS))
def test_admm_matches_ista_on_l1_classifiers(model):
    """The inexact (Newton) x-update still lands on the L1 optimum, exact zeros included."""
    cls, n_classes = CLASSIFIERS[model]
    X, y, _ = classification_data(4, 80, 6, n_classes)
    kw = dict(alpha=0.05, l1_ratio=0.8, **TIGHT)
    ista = fit_strictly(cls(solver="ista", **kw), X, y)
    admm = fit_strictly(cls(solver="admm", **kw), X, y)
    assert_rel_close(
        np.r_[admm.coef_.ravel(), admm.intercept_],
        np.r_[ista.coef_.ravel(), ista.intercept_],
        1e-6,
        "admm vs ista",
    )
    np.testing.assert_array_equal(admm.coef_ == 0, ista.coef_ == 0)
    assert np.sum(admm.coef_ == 0) >= 1


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_admm_on_wide_data_solves_on_the_rows_and_matches_ista(l1_ratio, monkeypatch):
    """30 samples, 200 features: the exact x-update never forms the 201 x 201 Hessian
    (nor any feature Gram matrix), yet lands on ista's optimum with its zeros."""
    from sklearn_gd._data import Design
    from sklearn_gd._objective import Objective

    rng = np.random.default_rng(5)
    X = rng.standard_normal((30, 200)) * rng.uniform(0.5, 3.0, 200)
    y = X[:, :5] @ rng.standard_normal(5) + 0.1 * rng.standard_normal(30) + 3.0
    sw = rng.uniform(0.2, 2.0, 30)
    kw = dict(alpha=0.1, l1_ratio=l1_ratio, **TIGHT)
    ista = fit_strictly(GDLinearRegression(solver="ista", **kw), X, y, sw)

    def refuse(*args, **kwargs):
        raise AssertionError("a feature-side Gram or Hessian was formed")

    for owner, name in [(Objective, "hessian"), (Design, "weighted_grams")]:
        monkeypatch.setattr(owner, name, refuse)
    admm = fit_strictly(GDLinearRegression(solver="admm", **kw), X, y, sw)
    assert_rel_close(
        np.r_[admm.coef_, admm.intercept_], np.r_[ista.coef_, ista.intercept_], 1e-6, "admm"
    )
    np.testing.assert_array_equal(admm.coef_ == 0, ista.coef_ == 0)
    assert np.sum(admm.coef_ == 0) >= 100


# ------------------------------------------------------------ float32 / sparse
def _datasets():
    X, y_reg, _ = regression_data(3, 60, 5)
    Xc, y_cls, _ = classification_data(3, 60, 5, 3)
    return {
        GDLinearRegression: (X, y_reg),
        GDLogisticRegression: (Xc, y_cls),
        GDSoftmaxClassifier: (Xc, y_cls),
    }


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
@pytest.mark.parametrize("cls", [GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier])
def test_float32_stays_float32_and_matches_float64(cls, solver):
    X, y = _datasets()[cls]
    est64 = cls(solver=solver, alpha=0.01, tol=1e-10, max_iter=10_000).fit(X, y)
    X32 = X.astype(np.float32)
    y32 = y.astype(np.float32) if cls is GDLinearRegression else y
    est32 = cls(solver=solver, alpha=0.01, tol=1e-6, max_iter=10_000)
    fit_strictly(est32, X32, y32)
    assert est32.coef_.dtype == np.float32
    assert np.asarray(est32.intercept_).dtype == np.float32
    if cls is GDLinearRegression:
        assert est32.predict(X32).dtype == np.float32
    else:
        assert est32.decision_function(X32).dtype == np.float32
        assert est32.predict_proba(X32).dtype == np.float32
        np.testing.assert_allclose(est32.predict_proba(X32).sum(axis=1), 1.0, rtol=1e-5)
    kind = "multinomial" if cls is GDSoftmaxClassifier else "other"
    W32, b32 = fitted_params(est32)
    W64, b64 = fitted_params(est64)
    assert_rel_close(flat(kind, W32, b32, True), flat(kind, W64, b64, True), 1e-4, "float32")


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("solver", DETERMINISTIC)
@pytest.mark.parametrize("cls", [GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier])
def test_sparse_input_gives_the_dense_model(cls, solver, fmt):
    X, y = _datasets()[cls]
    rng = np.random.default_rng(1)
    X = np.where(rng.random(X.shape) < 0.5, 0.0, X)  # half the entries are zero
    sw = rng.uniform(0.5, 2.0, size=X.shape[0])
    params = dict(solver=solver, alpha=0.01, tol=1e-12, max_iter=100_000)
    dense = fit_strictly(cls(**params), X, y, sw)
    sparse = fit_strictly(cls(**params), sp.csr_matrix(X).asformat(fmt), y, sw)
    W_d, b_d = fitted_params(dense)
    W_s, b_s = fitted_params(sparse)
    assert_rel_close(np.r_[W_s.ravel(), b_s], np.r_[W_d.ravel(), b_d], 1e-8, f"{fmt} vs dense")
    Xs = sp.csr_matrix(X).asformat(fmt)
    if cls is GDLinearRegression:
        np.testing.assert_allclose(sparse.predict(Xs), dense.predict(X), rtol=1e-8, atol=1e-10)
    else:
        np.testing.assert_allclose(
            sparse.predict_proba(Xs), dense.predict_proba(X), rtol=1e-8, atol=1e-12
        )
