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
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_weighted_enet_matches_scikit_learn(solver, l1_ratio):
    """test_coordinate_descent.py::test_enet_sample_weight_consistency: scikit-learn
    rescales the weights to sum to n, which is the objective's division by S."""
    X, y = regression(seed=10, n=40, d=5)
    weights = 3 * np.random.default_rng(10).random(len(y))
    ref = ElasticNet(alpha=0.1, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000)
    ref.fit(X, y, sample_weight=weights)
    ours = regressor(solver, alpha=0.1, l1_ratio=l1_ratio).fit(X, y, sample_weight=weights)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-7)


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


# ------------------------------------------------- SGDClassifier / SGDRegressor
# scikit-learn's test_sgd.py, run over every solver of the registry: the toy
# problems there are small enough for all of them, and the stochastic solvers
# (whose results depend on random_state) get the tests about shuffling,
# averaging and partial_fit besides.
ALL_SOLVERS = list(SOLVERS)
STOCHASTIC = [name for name, cls in SOLVERS.items() if cls.stochastic]
PARTIAL_FIT = [name for name, cls in SOLVERS.items() if cls.supports_partial_fit]
ANY_L1 = [name for name, cls in SOLVERS.items() if cls.supports_l1]

# test_sgd.py's toy data: two separable blobs, three points to predict.
TOY_X = np.array([[-2.0, -1], [-1, -1], [-1, -2], [1, 1], [1, 2], [2, 1]])
TOY_Y = np.array([1, 1, 1, 2, 2, 2])
TOY_T = np.array([[-1.0, -1], [2, 2], [3, 2]])
TOY_TRUE = np.array([1, 2, 2])
# ... and its three-class version.
TOY_X3 = np.array(
    [[-1.0, 1], [-0.75, 0.5], [-1.5, 1.5], [1, 1], [0.75, 0.5], [1.5, 1.5]]
    + [[-1, -1], [0, -0.5], [1, -1]]
)
TOY_Y3 = np.array([1, 1, 1, 2, 2, 2, 3, 3, 3])
TOY_T3 = np.array([[-1.5, 0.5], [1, 2], [0, -2]])
TOY_TRUE3 = np.array([1, 2, 3])


@pytest.mark.parametrize("solver", ALL_SOLVERS)
@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
def test_sgd_toy_classification(solver, container):
    """test_sgd.py::test_sgd_clf: the toy blobs are told apart, dense and sparse."""
    clf = GDLogisticRegression(solver=solver, alpha=0.01, random_state=0)
    clf.fit(container(TOY_X), TOY_Y)
    np.testing.assert_array_equal(clf.predict(container(TOY_T)), TOY_TRUE)


@pytest.mark.parametrize("solver", ALL_SOLVERS)
@pytest.mark.parametrize("Estimator", [GDLogisticRegression, GDSoftmaxClassifier])
def test_sgd_toy_multiclass(solver, Estimator):
    """test_sgd.py::test_sgd_multiclass: three classes, coefficients of shape (3, 2)."""
    clf = Estimator(solver=solver, alpha=0.01, random_state=0).fit(TOY_X3, TOY_Y3)
    assert clf.coef_.shape == (3, 2)
    assert clf.intercept_.shape == (3,)
    assert clf.decision_function([[0.0, 0.0]]).shape == (1, 3)
    np.testing.assert_array_equal(clf.predict(TOY_T3), TOY_TRUE3)


@pytest.mark.parametrize("solver", ALL_SOLVERS)
@pytest.mark.parametrize("Estimator", [GDLogisticRegression, GDSoftmaxClassifier])
def test_sgd_proba(solver, Estimator):
    """test_sgd.py::test_sgd_proba: probabilities sum to one and rank like predict."""
    X, y = (TOY_X, TOY_Y) if Estimator is GDLogisticRegression else (TOY_X3, TOY_Y3)
    clf = Estimator(solver=solver, alpha=0.01, random_state=0).fit(X, y)
    points = np.array([[3.0, 2.0], [-1.0, -1.0], [0.2, -0.4], [0.0, 0.0]])
    proba = clf.predict_proba(points)
    assert proba.shape == (len(points), len(clf.classes_))
    assert np.all((proba >= 0.0) & (proba <= 1.0))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(points))
    # predict_log_proba is computed stably (log-softmax), log(proba) to rounding.
    np.testing.assert_allclose(clf.predict_log_proba(points), np.log(proba), rtol=1e-10)


# test_sgd.py's weight toy: a point that the weights move across the boundary.
WEIGHT_X = np.array([[-1.0, -1.0], [-1.0, 0], [-0.8, -1.0], [1.0, 1.0], [1.0, 0.0]])
WEIGHT_Y = np.array([1, 1, 1, -1, -1])


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_sgd_sample_and_class_weights_move_the_boundary(solver):
    """test_sgd.py::test_sample_weights / test_class_weights, for the log loss.

    Small weights on class 1 move the boundary towards it (the decision value
    of a point between the classes falls), and ``class_weight={1: 0.001}`` is
    exactly the matching ``sample_weight``. (scikit-learn's toy assertion that
    the point changes sides holds for its default hinge loss, not for the log
    loss: ``SGDClassifier(loss="log_loss")`` keeps it on the same side too.)
    """
    if getattr(SOLVERS[solver], "_decoupled_decay", False):
        pytest.skip("adamw's decoupled decay settles elsewhere for alpha > 0 (README)")
    params = dict(solver=solver, alpha=0.1, fit_intercept=False, random_state=0)
    point = [[0.2, -1.0]]
    plain = GDLogisticRegression(**params).fit(WEIGHT_X, WEIGHT_Y)
    weights = np.where(WEIGHT_Y == 1, 0.001, 1.0)
    by_sample = GDLogisticRegression(**params).fit(WEIGHT_X, WEIGHT_Y, sample_weight=weights)
    by_class = GDLogisticRegression(**params, class_weight={1: 0.001}).fit(WEIGHT_X, WEIGHT_Y)
    np.testing.assert_array_equal(plain.predict(point), [1])
    assert by_sample.decision_function(point)[0] < plain.decision_function(point)[0] - 0.1
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-12)
    ref = LogisticRegression(C=1 / (0.1 * weights.sum()), fit_intercept=False, tol=1e-12)
    ref.fit(WEIGHT_X, WEIGHT_Y, sample_weight=weights)
    np.testing.assert_allclose(by_sample.coef_, ref.coef_, rtol=0.05)


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_sgd_equal_columns_get_equal_coefficients(solver):
    """test_sgd.py::test_sgd_reg: two identical features share their weight exactly."""
    tol = None if SOLVERS[solver].stochastic else 1e-10  # None: max_iter epochs
    reg = GDLinearRegression(
        solver=solver, alpha=0.1, fit_intercept=False, random_state=0, tol=tol
    )
    reg.fit([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], [0.0, 1.0, 2.0])
    # Exactly equal for the rules that treat coordinates alike; to rounding for the
    # factorisations and to tol for coordinate descent, which visits them in turn.
    np.testing.assert_allclose(reg.coef_[0], reg.coef_[1], rtol=1e-9)


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_sgd_least_squares_fit(solver):
    """test_sgd.py::test_sgd_least_squares_fit: a line on [-5, 5], with and without noise."""
    X = np.linspace(-5, 5, 100).reshape(-1, 1)
    params = dict(solver=solver, alpha=0.1, fit_intercept=False, random_state=0)
    y = 0.5 * X.ravel()
    assert GDLinearRegression(**params).fit(X, y).score(X, y) > 0.99
    y = 0.5 * X.ravel() + np.random.RandomState(0).randn(100)
    assert GDLinearRegression(**params).fit(X, y).score(X, y) > 0.5


@pytest.mark.parametrize(
    "solver, l1_ratio", [(s, 0.0) for s in ALL_SOLVERS] + [(s, 1.0) for s in ANY_L1]
)
def test_sgd_large_regularization_gives_zero_coefficients(solver, l1_ratio):
    """test_sgd.py::test_large_regularization: alpha = 1e5 leaves (almost) nothing."""
    alpha = 1e5
    clf = GDLogisticRegression(solver=solver, alpha=alpha, l1_ratio=l1_ratio, random_state=0)
    clf.fit(TOY_X, TOY_Y)
    if l1_ratio:
        np.testing.assert_array_equal(clf.coef_, 0.0)
        return
    # The L2 optimum is w* = X'(y - p) / (n alpha), about 7e-6 here; a stop within
    # tol of the objective's minimum is within sqrt(2 tol / alpha) of w* (strong
    # convexity), and adamw's decay keeps |w| below 1 / alpha.
    optimum = GDLogisticRegression(solver="lbfgs", alpha=alpha, tol=1e-12).fit(TOY_X, TOY_Y)
    bound = 1 / alpha if solver == "adamw" else np.sqrt(2 * clf.tol / alpha)
    np.testing.assert_allclose(clf.coef_, optimum.coef_, rtol=0, atol=bound)


@pytest.mark.parametrize("solver", ANY_L1)
def test_sgd_l1_ratio_limits_are_l1_and_l2(solver):
    """test_sgd.py::test_l1_ratio: l1_ratio near 1 is the lasso fit, near 0 the ridge fit."""
    X, y = make_classification(
        n_samples=200, n_features=10, n_informative=5, random_state=1234
    )
    X = StandardScaler().fit_transform(X)
    params = dict(solver=solver, alpha=0.01, random_state=42, max_iter=20, tol=None)
    near_l1 = GDLogisticRegression(l1_ratio=1 - 1e-10, **params).fit(X, y)
    l1 = GDLogisticRegression(l1_ratio=1.0, **params).fit(X, y)
    np.testing.assert_allclose(near_l1.coef_, l1.coef_, atol=1e-8)
    near_l2 = GDLogisticRegression(l1_ratio=1e-10, **params).fit(X, y)
    l2 = GDLogisticRegression(l1_ratio=0.0, **params).fit(X, y)
    np.testing.assert_allclose(near_l2.coef_, l2.coef_, atol=1e-8)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_sgd_elastic_net_converges_to_the_coordinate_descent_fit(solver):
    """test_sgd.py::test_elasticnet_convergence: two decimals of ElasticNet's coefficients.

    adamw applies the L2 part as decoupled decay, so it is held to the lasso only.
    """
    rng = np.random.RandomState(0)
    X = rng.randn(500, 5)
    y = X @ rng.randn(5)
    l1_ratios = [1.0] if solver == "adamw" else [0.5, 0.8, 1.0]
    for alpha in [0.01, 0.001]:
        for l1_ratio in l1_ratios:
            ref = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=False).fit(X, y)
            ours = GDLinearRegression(
                solver=solver, alpha=alpha, l1_ratio=l1_ratio, fit_intercept=False,
                random_state=0,
            ).fit(X, y)
            np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1.5e-2)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_sgd_random_state_decides_the_shuffle(solver):
    """test_sgd.py::test_sgd_random_state: same seed, same fit; another seed, another fit."""
    X, y = classification(seed=4, n=300)
    params = dict(solver=solver, batch_size=20, max_iter=3, tol=None)
    first = GDLogisticRegression(random_state=7, **params).fit(X, y)
    again = GDLogisticRegression(random_state=7, **params).fit(X, y)
    other = GDLogisticRegression(random_state=8, **params).fit(X, y)
    np.testing.assert_array_equal(first.coef_, again.coef_)
    assert not np.allclose(first.coef_, other.coef_, rtol=1e-6, atol=0.0)


@pytest.mark.parametrize("solver", PARTIAL_FIT)
def test_sgd_partial_fit_equals_fit(solver):
    """test_sgd.py::test_partial_fit_equal_fit: k calls of partial_fit are k epochs of fit."""
    X, y = classification(seed=6, n=300)
    params = dict(solver=solver, random_state=0, tol=None, batch_size=50)
    fitted = GDLogisticRegression(max_iter=3, **params).fit(X, y)
    streamed = GDLogisticRegression(**params)
    for _ in range(3):
        streamed.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_allclose(streamed.coef_, fitted.coef_, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(streamed.intercept_, fitted.intercept_, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_sgd_tol_decides_the_epochs(solver):
    """test_sgd.py::test_tol_parameter: tol=None runs max_iter epochs without a warning;
    a larger tol stops no later; a run cut short by max_iter warns."""
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    params = dict(solver=solver, random_state=0)
    params["alpha"] = 0.01
    untold = GDSoftmaxClassifier(tol=None, max_iter=30, **params).fit(X, y)
    assert untold.n_iter_ == 30
    tight = GDSoftmaxClassifier(tol=1e-4, max_iter=1000, **params).fit(X, y)
    loose = GDSoftmaxClassifier(tol=1e-1, max_iter=1000, **params).fit(X, y)
    assert loose.n_iter_ <= tight.n_iter_ < 1000
    short = GDSoftmaxClassifier(tol=1e-3, max_iter=3, **params)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        short.fit(X, y)
    assert short.n_iter_ == 3


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_sgd_float32_and_float64_fits_agree(solver):
    """test_sgd.py::test_sgd_numerical_consistency: float32 data give the float64 fit."""
    X, y = classification(seed=7, n=200)
    params = dict(solver=solver, random_state=0, max_iter=5, tol=None)
    fit64 = GDLogisticRegression(**params).fit(X, y)
    fit32 = GDLogisticRegression(**params).fit(X.astype(np.float32), y)
    assert fit32.coef_.dtype == np.float32
    np.testing.assert_allclose(fit32.coef_, fit64.coef_, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("solver", ALL_SOLVERS)
def test_sgd_warm_start_is_fit_from_the_previous_coefficients(solver):
    """test_sgd.py::test_warm_start: warm_start equals coef_init/intercept_init."""
    X, y = classification(seed=8, n=120)
    params = dict(solver=solver, alpha=0.01, random_state=0)
    first = GDLogisticRegression(**params).fit(X, y)
    warm = clone_fitted(first, warm_start=True)
    warm.fit(X[::-1], y[::-1])
    explicit = GDLogisticRegression(**params).fit(
        X[::-1], y[::-1], coef_init=first.coef_, intercept_init=first.intercept_
    )
    np.testing.assert_allclose(warm.coef_, explicit.coef_, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(warm.intercept_, explicit.intercept_, rtol=1e-12, atol=1e-14)


def clone_fitted(estimator, **params):
    """A deep copy of a fitted estimator with ``params`` set (clone would drop coef_)."""
    import copy

    return copy.deepcopy(estimator).set_params(**params)


@pytest.mark.parametrize("solver", sorted(n for n, c in SOLVERS.items() if c.stochastic))
def test_balanced_class_weight_is_the_explicit_weighting(solver):
    # test_sgd's test_balanced_weight: on imbalanced data (90 % of one class)
    # class_weight="balanced" is the weighting n_samples / (n_classes * count)
    # given explicitly, and lands near the weighted optimum.
    from conftest import fitted_objective

    X, y = make_classification(600, 5, n_informative=3, weights=[0.9], random_state=0)
    counts = np.bincount(y)
    weights = {c: len(y) / (2 * counts[c]) for c in (0, 1)}
    sample_weight = np.array([weights[c] for c in y])
    balanced = GDLogisticRegression(solver=solver, class_weight="balanced", random_state=0)
    explicit = GDLogisticRegression(solver=solver, class_weight=weights, random_state=0)
    balanced.fit(X, y)
    explicit.fit(X, y)
    np.testing.assert_allclose(balanced.coef_, explicit.coef_, rtol=1e-12, atol=0)
    exact = GDLogisticRegression(solver="lbfgs", tol=1e-10, class_weight="balanced").fit(X, y)
    gap = fitted_objective(balanced, X, y, sample_weight) - fitted_objective(
        exact, X, y, sample_weight
    )
    assert 0 <= gap < 1e-3
