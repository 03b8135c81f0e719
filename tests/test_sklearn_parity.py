"""scikit-learn's own linear-model tests, ported to the sklearn-gd estimators.

Each test restates a behaviour that scikit-learn's test suite pins down for
``Ridge``, ``LinearRegression``, ``Lasso`` / ``ElasticNet`` or
``LogisticRegression`` (the scikit-learn test it comes from is named in its
docstring), under the objective mapping of the user guide:
``GDLinearRegression(alpha=a)`` is ``Ridge(alpha=a * S)``, with ``l1_ratio=1``
it is ``Lasso(alpha=a)``, and ``GDLogisticRegression(alpha=a)`` is
``LogisticRegression(C=1 / (a * S))``. Every deterministic solver of the
registry that applies runs each test, to tight tolerances; the data are small.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import offset_regression
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

from sklearn_gd import SOLVERS, GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier

#: A fit that warns has not reached its tol: that fails the test.
pytestmark = pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")

DETERMINISTIC = sorted(name for name, cls in SOLVERS.items() if not cls.stochastic)
#: Solvers that finish in float64 where float32's values stop resolving a decrease;
#: the others stop at float32's precision limit with a warning.
REFINING = [name for name in DETERMINISTIC if SOLVERS[name].refines_precision]
SMOOTH_ONLY = sorted(name for name in DETERMINISTIC if not SOLVERS[name].supports_l1)
WITH_L1 = sorted(name for name in DETERMINISTIC if SOLVERS[name].supports_l1)
#: Iterations enough for the first-order solvers on the small, scaled data below.
MAX_ITER = 50_000
TOL = 1e-9


def regression(seed=0, n=40, d=5, noise=0.5):
    """Standardised features, centred-ish targets (no large offsets to travel)."""
    X, y = make_regression(n_samples=n, n_features=d, noise=noise, random_state=seed)
    X = StandardScaler().fit_transform(X)
    return X, y / np.std(y)


def classification(seed=0, n=60, d=4, n_classes=2):
    X, y = make_classification(
        n_samples=n,
        n_features=d,
        n_informative=d,
        n_redundant=0,
        n_classes=n_classes,
        flip_y=0.2,
        class_sep=0.5,
        random_state=seed,
    )
    return StandardScaler().fit_transform(X), y


def only_rounding_warned(fit, *args):
    """Run ``fit``: the solver reaches tol, only the float32 rounding of its coefficients may not.

    Here that rounding alone carries a gradient of 1e-8 to 2e-8, about tol:
    the fit may say so, and may warn of nothing else.
    """
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", ConvergenceWarning)
        fit(*args)
    messages = [str(w.message) for w in record if issubclass(w.category, ConvergenceWarning)]
    return all("coefficients kept in float32" in message for message in messages)


def regressor(solver, **params):
    return GDLinearRegression(solver=solver, tol=TOL, max_iter=MAX_ITER, **params)


# ---------------------------------------------------------------- Ridge
@pytest.mark.parametrize("solver", DETERMINISTIC)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridge_matches_scikit_learn(solver, fit_intercept):
    """test_ridge.py::test_ridge_regression (dense): Ridge(alpha=a * n)."""
    X, y = regression()
    a = 0.1
    ours = regressor(solver, alpha=a, fit_intercept=fit_intercept).fit(X, y)
    ref = Ridge(alpha=a * len(y), fit_intercept=fit_intercept, solver="svd").fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("solver", DETERMINISTIC)
def test_ridge_sample_weights_are_repeated_rows(solver):
    """test_ridge.py::test_ridge_sample_weights: weighted Ridge(alpha=a * S)."""
    X, y = regression(seed=1)
    rng = np.random.default_rng(0)
    weights = rng.integers(0, 4, size=len(y)).astype(float)
    a = 0.05
    ours = regressor(solver, alpha=a).fit(X, y, sample_weight=weights)
    repeated = regressor(solver, alpha=a).fit(
        np.repeat(X, weights.astype(int), axis=0), np.repeat(y, weights.astype(int))
    )
    ref = Ridge(alpha=a * weights.sum(), solver="svd").fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(repeated.coef_, ours.coef_, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("solver", DETERMINISTIC)
def test_ridge_sparse_and_dense_agree_with_intercept(solver):
    """test_ridge.py::test_ridge_fit_intercept_sparse: CSR and CSC give the dense fit."""
    X, y = regression(seed=2, n=30, d=6)
    X[np.abs(X) < 0.7] = 0.0
    dense = regressor(solver, alpha=0.02).fit(X, y)
    for container in (sp.csr_matrix, sp.csc_matrix):
        sparse = regressor(solver, alpha=0.02).fit(container(X), y)
        np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-7, atol=1e-8)
        np.testing.assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("solver", REFINING)
def test_ridge_float32_matches_float64(solver):
    """test_ridge.py::test_dtype_match: float32 in, float32 out, close to float64."""
    X, y = regression(seed=3)
    fit64 = regressor(solver, alpha=0.1).fit(X, y)
    fit32 = GDLinearRegression(solver=solver, alpha=0.1, tol=1e-8, max_iter=MAX_ITER)
    assert only_rounding_warned(fit32.fit, X.astype(np.float32), y.astype(np.float32))
    assert fit32.coef_.dtype == np.float32
    assert np.asarray(fit32.intercept_).dtype == np.float32
    np.testing.assert_allclose(fit32.coef_, fit64.coef_, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("solver", SMOOTH_ONLY)
@pytest.mark.parametrize("n_features", [20, 40])
@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
def test_ridge_float32_reaches_tol_like_float64(solver, n_features, container):
    """test_ridge.py::test_dtype_match, 20 and 40 features, targets offset by 50, dense and CSR.

    float32 data reach the default tol without a warning, like float64 data:
    the objective is alpha-strongly convex, so a gradient below tol puts the
    coefficients within sqrt(n_coef) tol / alpha of Ridge's (plus float32's
    rounding of the coefficients themselves).
    """
    X, y = make_regression(100, n_features, noise=5.0, bias=50.0, random_state=n_features)
    X = StandardScaler().fit_transform(X)
    tol = 1e-4
    for alpha in (0.1, 1.0):
        ref = Ridge(alpha=alpha * len(y)).fit(X, y)
        bound = np.sqrt(n_features + 1) * tol / alpha
        for dtype in (np.float64, np.float32):
            ours = GDLinearRegression(solver=solver, alpha=alpha, tol=tol)
            ours.fit(container(X.astype(dtype)), y.astype(dtype))
            atol = bound + np.finfo(dtype).eps * np.max(np.abs(ref.coef_))
            np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=0, atol=atol)
            np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=0, atol=atol)


@pytest.mark.parametrize(
    "solver, seed, n_samples, dtype, proportion_nonzero",
    [
        (solver, *case)
        for solver in DETERMINISTIC
        for case in [
            (0, 20, "float32", 0.1),
            (1, 20, "float32", 0.1),
            (0, 40, "float32", 1.0),
            (2, 40, "float32", 1.0),
            (0, 20, "float64", 0.2),
        ]
        # Solvers without a float64 finish (the first-order loop, cd) stop at
        # float32's precision limit on these targets in the hundreds, and say so.
        if case[2] == "float64" or SOLVERS[solver].refines_precision
    ],
)
def test_ridge_solver_consistency(solver, seed, n_samples, dtype, proportion_nonzero):
    """test_ridge.py::test_solver_consistency: float32 and float64 fits match SVD's to 1e-3.

    float32 data with targets in the hundreds, where the objective's values
    stop resolving a decrease long before ``tol``: the solvers reach it in
    float64. The float32 coefficients kept (those rounded: coefficients in the
    hundreds, an intercept in the thousands) carry a gradient of 2e-6 to 3e-4,
    above tol=1e-6, and the fit says so; the float64 one warns of nothing.
    """
    noise = 50.0 if proportion_nonzero > 0.9 else 500.0
    X, y = offset_regression(seed, n_samples, proportion_nonzero, noise)
    ref = Ridge(alpha=1.0, solver="svd").fit(X, y)
    ours = GDLinearRegression(solver=solver, alpha=1.0 / n_samples, tol=1e-6, max_iter=MAX_ITER)
    if dtype == "float32":
        with pytest.warns(ConvergenceWarning, match="coefficients kept in float32"):
            ours.fit(X.astype(dtype), y.astype(dtype))
    else:
        ours.fit(X.astype(dtype), y.astype(dtype))
    assert ours.coef_.dtype == dtype
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-3, atol=1e-3)


# ---------------------------------------------------------- LinearRegression
@pytest.mark.parametrize("solver", DETERMINISTIC)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_linear_regression_sample_weights(solver, fit_intercept):
    """test_base.py::test_linear_regression_sample_weights."""
    X, y = regression(seed=4, n=20, d=3)
    weights = 1.0 + np.random.default_rng(4).random(len(y))
    ours = regressor(solver, fit_intercept=fit_intercept).fit(X, y, sample_weight=weights)
    ref = LinearRegression(fit_intercept=fit_intercept).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("solver", DETERMINISTIC)
def test_unpenalised_wide_least_squares_is_minimum_norm(solver):
    """_glm/tests/test_glm.py::test_glm_regression_unpenalized (n < d): the minimum norm."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((8, 12))
    y = rng.standard_normal(8)
    ours = regressor(solver, fit_intercept=False).fit(X, y)
    minimum_norm = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(ours.coef_, minimum_norm, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("solver", DETERMINISTIC)
@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_hstacked_and_vstacked_x(solver, alpha):
    """_glm/tests/test_glm.py::test_glm_regression_hstacked_X / _vstacked_X.

    [X, X] with 2 alpha gives [w / 2, w / 2] (unpenalised: the minimum-norm
    solution); [X; X] with [y; y] gives w (the objective is a weighted mean).
    """
    X, y = regression(seed=9, n=25, d=3)
    base = regressor(solver, alpha=alpha).fit(X, y)
    hstacked = regressor(solver, alpha=2 * alpha).fit(np.hstack([X, X]), y)
    np.testing.assert_allclose(hstacked.coef_, np.tile(base.coef_ / 2, 2), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(hstacked.intercept_, base.intercept_, rtol=1e-6, atol=1e-7)
    vstacked = regressor(solver, alpha=alpha).fit(np.vstack([X, X]), np.concatenate([y, y]))
    np.testing.assert_allclose(vstacked.coef_, base.coef_, rtol=1e-7, atol=1e-8)


# ------------------------------------------------------------ Lasso / ElasticNet
@pytest.mark.parametrize("solver", WITH_L1)
def test_sparse_enet_equals_dense(solver):
    """test_sparse_coordinate_descent.py::test_sparse_enet_not_as_toy_dataset."""
    X, y = regression(seed=8, n=30, d=8)
    X[np.abs(X) < 0.8] = 0.0
    params = dict(alpha=0.05, l1_ratio=0.7)
    dense = regressor(solver, **params).fit(X, y)
    sparse = regressor(solver, **params).fit(sp.csc_matrix(X), y)
    np.testing.assert_array_equal(sparse.coef_ == 0.0, dense.coef_ == 0.0)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-7, atol=1e-8)
    ref = ElasticNet(tol=1e-12, max_iter=100_000, **params).fit(sp.csc_matrix(X), y)
    np.testing.assert_allclose(sparse.coef_, ref.coef_, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("solver", WITH_L1)
def test_lasso_zero_data_gives_zero_coefficients(solver):
    """test_coordinate_descent.py::test_lasso_zero."""
    X = np.zeros((3, 1))
    y = np.zeros(3)
    ours = regressor(solver, alpha=0.1, l1_ratio=1.0).fit(X, y)
    np.testing.assert_array_equal(ours.coef_, [0.0])
    assert ours.intercept_ == 0.0


@pytest.mark.parametrize("solver", WITH_L1)
def test_lasso_toy(solver):
    """test_coordinate_descent.py::test_lasso_toy: exact coefficients on a line."""
    X = np.array([[-1.0], [0.0], [1.0]])
    y = np.array([-1.0, 0.0, 1.0])
    for alpha, expected in [(1e-8, 1.0), (0.1, 0.85), (0.5, 0.25), (1.0, 0.0)]:
        ours = regressor(solver, alpha=alpha, l1_ratio=1.0).fit(X, y)
        np.testing.assert_allclose(ours.coef_, [expected], atol=1e-7)
        np.testing.assert_allclose(
            ours.predict([[2.0], [3.0]]), [2 * expected, 3 * expected], atol=1e-6
        )


@pytest.mark.parametrize("solver", WITH_L1)
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_lasso_and_enet_match_coordinate_descent(solver, l1_ratio):
    """test_coordinate_descent.py::test_enet_toy / test_lasso_path: same zeros, same values."""
    X, y = regression(seed=6, n=30, d=8)
    y = y - y.mean()
    alpha = 0.1
    ref_cls = Lasso if l1_ratio == 1.0 else ElasticNet
    params = {} if l1_ratio == 1.0 else {"l1_ratio": l1_ratio}
    ref = ref_cls(alpha=alpha, tol=1e-12, max_iter=100_000, **params).fit(X, y)
    ours = regressor(solver, alpha=alpha, l1_ratio=l1_ratio).fit(X, y)
    assert np.any(ref.coef_ == 0.0)
    np.testing.assert_array_equal(ours.coef_ == 0.0, ref.coef_ == 0.0)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-7)


@pytest.mark.parametrize("solver", WITH_L1)
def test_lasso_duality_gap_is_closed(solver):
    """test_coordinate_descent.py::test_lasso_dual_gap: the duality gap at our solution."""
    X, y = regression(seed=7, n=30, d=6)
    y = y - y.mean()
    alpha = 0.05
    ours = regressor(solver, alpha=alpha, l1_ratio=1.0, fit_intercept=False).fit(X, y)
    n = len(y)
    r = y - X @ ours.coef_
    primal = r @ r / (2 * n) + alpha * np.abs(ours.coef_).sum()
    theta = r / max(1.0, np.max(np.abs(X.T @ r)) / (n * alpha))
    dual = (y @ y - (y - theta) @ (y - theta)) / (2 * n)
    assert 0.0 <= primal - dual <= 1e-8


# ------------------------------------------------------------ LogisticRegression
@pytest.mark.parametrize("solver", DETERMINISTIC)
def test_logistic_matches_scikit_learn(solver):
    """test_logistic.py::test_logistic_regression_solvers: C = 1 / (alpha * n)."""
    X, y = classification()
    alpha = 0.01
    ours = GDLogisticRegression(solver=solver, alpha=alpha, tol=TOL, max_iter=MAX_ITER).fit(X, y)
    ref = LogisticRegression(C=1 / (alpha * len(y)), tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("solver", DETERMINISTIC)
def test_logistic_sample_weight_and_class_weight(solver):
    """test_logistic.py::test_logistic_regression_sample_weights.

    Weights 2 on every sample equal no weights (the objective divides by S);
    integer weights equal repeated rows; class_weight equals the matching
    sample_weight.
    """
    X, y = classification(seed=1)
    params = dict(solver=solver, alpha=0.01, tol=TOL, max_iter=MAX_ITER)
    plain = GDLogisticRegression(**params).fit(X, y)
    doubled = GDLogisticRegression(**params).fit(X, y, sample_weight=np.full(len(y), 2.0))
    np.testing.assert_allclose(doubled.coef_, plain.coef_, rtol=1e-7, atol=1e-8)
    weights = np.where(y == 1, 3.0, 1.0)
    by_sample = GDLogisticRegression(**params).fit(X, y, sample_weight=weights)
    by_class = GDLogisticRegression(**params, class_weight={0: 1.0, 1: 3.0}).fit(X, y)
    repeated = GDLogisticRegression(**params).fit(
        np.repeat(X, weights.astype(int), axis=0), np.repeat(y, weights.astype(int))
    )
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(repeated.coef_, by_sample.coef_, rtol=1e-7, atol=1e-8)
    ref = LogisticRegression(C=1 / (0.01 * weights.sum()), tol=1e-12, max_iter=10_000)
    ref.fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(by_sample.coef_, ref.coef_, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("solver", DETERMINISTIC)
def test_multinomial_matches_scikit_learn(solver):
    """test_logistic.py::test_multinomial_logistic_regression_string_inputs / solvers (iris)."""
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    alpha = 0.01
    ours = GDSoftmaxClassifier(solver=solver, alpha=alpha, tol=TOL, max_iter=MAX_ITER).fit(X, y)
    ref = LogisticRegression(C=1 / (alpha * len(y)), tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("solver", DETERMINISTIC)
def test_multinomial_string_labels(solver):
    """test_logistic.py::test_multinomial_logistic_regression_string_inputs."""
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    class_names = np.array(["setosa", "versicolor", "virginica"])
    names = class_names[y]
    params = dict(solver=solver, alpha=0.01, tol=1e-7, max_iter=MAX_ITER)
    by_name = GDSoftmaxClassifier(**params).fit(X, names)
    by_int = GDSoftmaxClassifier(**params).fit(X, y)
    assert list(by_name.classes_) == ["setosa", "versicolor", "virginica"]
    np.testing.assert_array_equal(by_name.predict(X), class_names[by_int.predict(X)])
    np.testing.assert_allclose(by_name.coef_, by_int.coef_)


@pytest.mark.parametrize("solver", DETERMINISTIC)
def test_multinomial_on_two_classes_is_binary_logistic(solver):
    """test_logistic.py::test_multinomial_binary_probabilities.

    With two classes the softmax model is symmetric (its columns are -w/2 and
    w/2 at the optimum), so its penalty alpha |W|^2 / 2 is alpha |w|^2 / 4:
    GDSoftmaxClassifier(alpha) is the binary GDLogisticRegression(alpha / 2).
    """
    X, y = classification(seed=2)
    params = dict(solver=solver, tol=TOL, max_iter=MAX_ITER)
    softmax = GDSoftmaxClassifier(alpha=0.02, **params).fit(X, y)
    binary = GDLogisticRegression(alpha=0.01, **params).fit(X, y)
    np.testing.assert_allclose(softmax.coef_[1] - softmax.coef_[0], binary.coef_[0], rtol=1e-6)
    np.testing.assert_allclose(softmax.coef_.sum(axis=0), 0.0, atol=1e-8)
    np.testing.assert_allclose(softmax.predict_proba(X), binary.predict_proba(X), atol=1e-8)


@pytest.mark.parametrize("solver", DETERMINISTIC)
def test_logistic_sparse_equals_dense(solver):
    """test_logistic.py::test_logistic_regression_solvers (sparse): CSR gives the dense fit."""
    X, y = classification(seed=5)
    X[np.abs(X) < 0.5] = 0.0
    params = dict(solver=solver, alpha=0.01, tol=TOL, max_iter=MAX_ITER)
    dense = GDLogisticRegression(**params).fit(X, y)
    sparse = GDLogisticRegression(**params).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("solver", REFINING)
def test_logistic_float32_matches_float64(solver):
    """test_logistic.py::test_dtype_match."""
    X, y = classification(seed=3)
    fit64 = GDLogisticRegression(solver=solver, tol=TOL, max_iter=MAX_ITER).fit(X, y)
    # float32 data still reach a gradient of 1e-8: the solvers finish in float64.
    fit32 = GDLogisticRegression(solver=solver, tol=1e-8, max_iter=MAX_ITER)
    assert only_rounding_warned(fit32.fit, X.astype(np.float32), y)
    assert fit32.coef_.dtype == np.float32
    np.testing.assert_allclose(fit32.coef_, fit64.coef_, rtol=1e-5, atol=1e-6)
