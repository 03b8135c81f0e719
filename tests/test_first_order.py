"""The first-order training loop (``sklearn_gd/solvers/_first_order.py``) and its run state.

What ``fit`` restarts and what ``partial_fit`` resumes, the plateau rule, how often a
block is read, the batch size, the learning rate ``"auto"``, and divergence: a
learning rate far too large is detected within a few iterations and reported as a
``DivergenceError`` naming it and a smaller one, a merely too large one never
returns, silently, a model worse than zero coefficients, and mini-batch noise is
not mistaken for divergence. Small data throughout; each test fails when its
behaviour is missing.
"""

import contextlib
import io
import re
import warnings

import numpy as np
import pytest
from conftest import (
    estimator_data,
    few_examples,
    fitted_objective,
    fitted_params,
    regression_data,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

import sklearn_gd._objective as objective_module
from sklearn_gd import (
    SOLVERS,
    DivergenceError,
    GDLinearRegression,
    GDLogisticRegression,
    GDSoftmaxClassifier,
)
from sklearn_gd._data import Design
from sklearn_gd._loss import LogisticLoss
from sklearn_gd._objective import Objective
from sklearn_gd._penalty import ElasticNetPenalty
from sklearn_gd.solvers import solvers_with
from sklearn_gd.solvers._batch_buffers import BatchBuffers

#: Divergence tests stop runs early on purpose: not converging is not the point there.
QUIET = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
STOCHASTIC = solvers_with("stochastic")
PARTIAL = solvers_with("supports_partial_fit")
FEW = few_examples(4)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _objective_gap(est, X, y, reference):
    """``F(est) - F(reference)``, ``reference`` fitted tightly."""
    return fitted_objective(est, X, y) - fitted_objective(reference, X, y)


def _quietly(fit, *args, **kwargs):
    """Call ``fit`` ignoring ConvergenceWarning (runs stopped early on purpose)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit(*args, **kwargs)


def _fit(est, X, y, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        est.fit(X, y, **kwargs)
    return [w for w in caught if issubclass(w.category, ConvergenceWarning)]


# ------------------------------------------------------------------ warm start
@pytest.mark.parametrize("solver", ["sgd", "adam", "adamw"])
def test_warm_refit_on_new_targets_moves_as_far_as_a_cold_fit(cancer, solver):
    X, y = cancer
    warm = GDLogisticRegression(solver=solver, warm_start=True, random_state=0)
    _fit(warm, X, y)
    _fit(warm, X, 1 - y)  # the previous run's plateaus must not shrink this one's rate
    cold = GDLogisticRegression(solver=solver, random_state=0)
    _fit(cold, X, 1 - y)
    assert warm.score(X, 1 - y) >= cold.score(X, 1 - y) - 0.02
    assert warm.n_iter_ < 1000


def test_warm_regularisation_path_ends_as_near_the_optimum_as_cold_fits(cancer):
    X, y = cancer
    warm = GDLogisticRegression(solver="sgd", warm_start=True, random_state=0)
    for alpha in [1e-1, 1e-2, 1e-3]:
        warm.set_params(alpha=alpha)
        _fit(warm, X, y)
        cold = GDLogisticRegression(solver="sgd", alpha=alpha, random_state=0)
        _fit(cold, X, y)
        exact = GDLogisticRegression(solver="newton", alpha=alpha, tol=1e-10).fit(X, y)
        warm_gap = _objective_gap(warm, X, y, exact)
        cold_gap = _objective_gap(cold, X, y, exact)
        assert warm_gap <= 2 * cold_gap + 1e-4


def test_warm_start_restarts_the_schedule_and_partial_fit_resumes_it(cancer):
    X, y = cancer
    # A fixed eta0: "auto" is estimated where each fit starts (nearer after a warm start).
    params = dict(
        solver="adam", schedule="exponential", batch_size=len(X), tol=0.0, learning_rate=0.01
    )
    warm = GDLogisticRegression(max_iter=3, warm_start=True, **params)
    _fit(warm, X, y)
    _fit(warm, X, y)
    first_three = GDLogisticRegression(max_iter=3, **params)
    _fit(first_three, X, y)
    np.testing.assert_allclose(
        warm.history_["learning_rate"], first_three.history_["learning_rate"]
    )
    streamed = GDLogisticRegression(**params)
    for _ in range(6):
        streamed.partial_fit(X, y, classes=[0, 1])
    straight = GDLogisticRegression(max_iter=6, **params)
    _fit(straight, X, y)
    np.testing.assert_allclose(streamed.coef_, straight.coef_, rtol=1e-12)
    np.testing.assert_allclose(
        streamed.history_["learning_rate"], straight.history_["learning_rate"]
    )


# ----------------------------------------------------------- mini-batch noise
@pytest.mark.parametrize("solver", ["sgd", "momentum"])
def test_noisy_short_run_near_its_start_warns_instead_of_diverging(solver):
    # Strong regularisation: zero coefficients are nearly optimal, so three
    # single-sample epochs end a little above the start, by mini-batch noise.
    X, y = make_classification(n_samples=400, n_features=5, random_state=1)
    est = GDLogisticRegression(
        solver=solver, alpha=1 / (1e-3 * len(y)), batch_size=1, max_iter=3, random_state=1
    )
    caught = _fit(est, X, y)
    assert len(caught) == 1  # not a DivergenceError
    start = GDLogisticRegression(alpha=est.alpha, max_iter=1)
    start.coef_, start.intercept_ = np.zeros_like(est.coef_), np.zeros_like(est.intercept_)
    start.classes_ = est.classes_
    assert fitted_objective(est, X, y) <= fitted_objective(start, X, y)


@pytest.mark.parametrize("buffered", [False, True])
def test_an_epoch_splits_its_rows_into_batches_of_equal_size(buffered):
    # 215 rows in batches of at most 200: 108 and 107, not 200 and a noisy 15.
    X, y = make_classification(n_samples=215, n_features=4, random_state=0)
    objective = Objective(
        Design(X, fit_intercept=True),
        LogisticLoss(),
        y[:, None].astype(float),
        np.ones(len(y)),
        ElasticNetPenalty(0.0, 0.0),
    )
    source = BatchBuffers.for_run(objective, 200) if buffered else objective
    parts = list(source.batches(200, np.random.RandomState(0)))
    assert sorted(part.n_samples for part, _ in parts) == [107, 108]
    assert sum(share for _, share in parts) == pytest.approx(1.0)


@pytest.mark.parametrize("solver", ["adam", "adagrad"])
def test_a_small_remainder_batch_does_not_hold_the_run_back(solver):
    # With batches of 200 and 15 rows the small one's noisy steps set the
    # plateau: these runs stopped 2.5 % and 1 % of the gap above the optimum
    # (now 0.03 % and 0.2 %; sgd: 0.8 % then, 0.5 % now).
    X, y = make_classification(215, 6, n_informative=4, flip_y=0.1, random_state=215)
    exact = GDLogisticRegression(solver="lbfgs", alpha=0.3, tol=1e-10).fit(X, y)
    est = GDLogisticRegression(solver=solver, alpha=0.3, random_state=0)
    assert not _fit(est, X, y)
    zero = GDLogisticRegression(solver="lbfgs", alpha=0.3, max_iter=1)
    _fit(zero, X, y)
    zero.coef_[:], zero.intercept_[:] = 0.0, 0.0
    gap = _objective_gap(est, X, y, exact) / _objective_gap(zero, X, y, exact)
    assert gap < 2.5e-3


# --------------------------------------------------------------- reads of X
@pytest.mark.parametrize("solver", PARTIAL)
def test_partial_fit_reads_its_block_once(solver, monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(2000, 5)), rng.normal(size=2000)
    rows = []
    original = Design.linear_predictor

    def counting(self, C):
        rows.append(self.n_samples)
        return original(self, C)

    est = GDLinearRegression(solver=solver, batch_size=100, learning_rate=0.01)
    est.partial_fit(X[:10], y[:10])  # the first call may estimate what it needs
    monkeypatch.setattr(Design, "linear_predictor", counting)
    est.partial_fit(X, y)
    assert sum(rows) == 2000


# ------------------------------------------------------------- plateau rule
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_one_batch_run_is_not_stopped_by_slow_progress(solver):
    # 150 rows: one batch per epoch, a deterministic run. Slow but steady
    # progress is not a plateau; cutting the rate on it stopped these runs
    # 7e-4 to 6e-3 of the initial gap above the optimum.
    from conftest import classification_data

    X, y = classification_data(1, 150, 4, 2)[:2]
    exact = GDLogisticRegression(solver="newton", tol=1e-10).fit(X, y)
    est = GDLogisticRegression(solver=solver, random_state=0)
    assert not _fit(est, X, y)
    zero = GDLogisticRegression(solver="newton", max_iter=1)
    _fit(zero, X, y)
    zero.coef_[:], zero.intercept_[:] = 0.0, 0.0
    gap = _objective_gap(est, X, y, exact) / _objective_gap(zero, X, y, exact)
    assert gap < 5e-4


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_more_patience_stops_later_and_lower(cancer, solver):
    # Standardised breast cancer at alpha=1e-4 is ill-conditioned: the mini-batch
    # rules stop on a plateau before the optimum. That stop must at least be
    # monotone in its patience (more epochs, a lower objective) and not far off.
    X, y = cancer
    exact = GDLogisticRegression(solver="lbfgs", tol=1e-10).fit(X, y)
    n_iter, values = [], []
    for patience in [2, 3, 10]:
        est = GDLogisticRegression(solver=solver, n_iter_no_change=patience, random_state=0)
        assert not _fit(est, X, y)
        n_iter.append(est.n_iter_)
        values.append(fitted_objective(est, X, y))
    assert n_iter == sorted(n_iter)
    assert values == sorted(values, reverse=True)
    assert values[0] < 1.5 * fitted_objective(exact, X, y)


# ----------------------------------------------------------------- batch size
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_sgd_auto_batch_size_is_min_200_n(solver, monkeypatch):
    sizes = []
    original = objective_module.Objective.smooth_value_and_gradient

    def recording(self, theta):
        sizes.append(self.n_samples)
        return original(self, theta)

    monkeypatch.setattr(objective_module.Objective, "smooth_value_and_gradient", recording)
    X, y, _ = regression_data(0, 500, 3)
    _quietly(GDLinearRegression(solver=solver, max_iter=3, random_state=0).fit, X, y)
    # 500 rows in batches of at most 200: 167 + 167 + 166 per epoch, three
    # epochs (and, for some rules, batches of 200 rows that estimate the step
    # size before the first epoch)
    assert set(sizes) - {200} == {166, 167}
    assert sizes.count(166) == 3 and sizes.count(167) == 6

    sizes.clear()
    _quietly(GDLinearRegression(solver=solver, max_iter=3, random_state=0).fit, X[:150], y[:150])
    assert set(sizes) == {150}  # min(200, 150): one batch, the whole data

    sizes.clear()
    _quietly(
        GDLinearRegression(solver=solver, max_iter=3, batch_size=64, random_state=0).fit,
        X[:150],
        y[:150],
    )
    assert set(sizes) - {64} == {50}  # 150 rows in batches of at most 64: three of 50
    assert sizes.count(50) == 9


# ------------------------------------------------------------------ divergence
#: Rules run by this loop, and ista (which backtracks from the rate it is given).
FIRST_ORDER = ["gd", "sgd", "momentum", "adam", "adamw", "ista"]
ESTIMATORS = (GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier)
DIVERGENCE_CASES = [
    pytest.param(cls, solver, id=f"{cls.__name__[2:]}-{solver}")
    for cls in ESTIMATORS
    for solver in FIRST_ORDER
]
#: Iterations (or epochs) within which a hopeless learning rate must be caught.
FEW_ITERATIONS = 5


def test_first_order_solvers_are_registered():
    assert set(FIRST_ORDER) <= set(SOLVERS)


def divergence_data(cls, n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    if cls is GDLinearRegression:
        return X, X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_normal(n)
    return X, np.argmax(X @ rng.standard_normal((3, 3)) + rng.gumbel(size=(n, 3)), axis=1)


def learning_rates_named(message):
    """The numbers given as a learning rate in a message (``learning_rate=1e+30``, ...)."""
    pattern = r"learning[_ ]rate\D{0,12}?(\d[\d.]*(?:[eE][-+]?\d+)?)"
    return [float(v) for v in re.findall(pattern, message)]


def assert_unfitted(est, X):
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    with pytest.raises(NotFittedError):
        est.predict(X)


@QUIET
@pytest.mark.parametrize("cls, solver", DIVERGENCE_CASES)
@FEW
@given(exponent=st.integers(6, 300), batch_size=st.sampled_from(["auto", 5]))
@example(exponent=6, batch_size="auto")
@example(exponent=30, batch_size=5)
@example(exponent=300, batch_size="auto")
def test_huge_learning_rate_is_stopped_early_and_named(cls, solver, exponent, batch_size):
    """learning_rate from 1e6 to 1e300: a DivergenceError within a few iterations.

    The error (a ``ValueError``) names the solver, the iteration, the rate
    (first) and a tenth of it to try; it carries the rate and the history up
    to that iteration, one line of which ``verbose`` printed per iteration;
    the estimator is left unfitted. ISTA backtracks from the learning rate it
    is given, so for it recovering from the bad start and fitting well is a
    correct outcome too.
    """
    X, y = divergence_data(cls)
    learning_rate = 10.0**exponent
    est = cls(
        solver=solver,
        alpha=0.0,
        learning_rate=learning_rate,
        batch_size=batch_size,
        max_iter=200,
        random_state=0,
        verbose=1,
    )
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            est.fit(X, y)
    except DivergenceError as exc:
        assert isinstance(exc, ValueError)
        message = str(exc)
        found = re.search(rf"solver={solver!r} diverged at iteration (\d+)", message)
        assert found, message
        iteration = int(found.group(1))
        assert iteration <= FEW_ITERATIONS, message
        assert len(exc.history["objective"]) == iteration
        # a header, then one row per iteration (nothing before the first)
        rows = iteration + 1 if iteration else 0
        assert len(printed.getvalue().splitlines()) == rows, printed.getvalue()
        assert exc.learning_rate == learning_rate
        named = learning_rates_named(message)
        assert named[0] == pytest.approx(learning_rate, rel=1e-2), message  # the rate first
        assert f"learning_rate={learning_rate:.3g} is too large" in message, message
        assert f"try learning_rate={learning_rate / 10:.3g} or smaller" in message, message
        assert_unfitted(est, X)
        return
    assert solver == "ista", f"solver={solver!r} fitted with learning_rate={learning_rate:g}"
    zero = fitted_objective(
        est, X, y, None, np.zeros_like(est.coef_), np.zeros_like(est.intercept_)
    )
    assert np.all(np.isfinite(est.coef_))
    assert fitted_objective(est, X, y, None, est.coef_, est.intercept_) <= zero


@QUIET
@pytest.mark.parametrize("cls, solver", DIVERGENCE_CASES)
@FEW
@given(factor=st.sampled_from([5.0, 50.0, 500.0, 5000.0]), batch_size=st.sampled_from(["auto", 5]))
@example(factor=500.0, batch_size="auto")
def test_too_large_learning_rate_never_returns_a_silently_worse_model(
    cls, solver, factor, batch_size
):
    """``factor`` times the largest stable step: diverge loudly or fit no worse than zero.

    For the logistic and softmax losses the objective grows only linearly with
    the coefficients, so an oscillating run never "explodes"; it must still
    not be returned as if it were a fit.
    """
    X, y = divergence_data(cls)
    curvature = {GDLinearRegression: 1.0, GDLogisticRegression: 0.25, GDSoftmaxClassifier: 0.5}
    X1 = np.hstack([X, np.ones((X.shape[0], 1))])
    lipschitz = curvature[cls] * np.linalg.eigvalsh(X1.T @ X1 / X.shape[0])[-1]
    learning_rate = factor / lipschitz
    est = cls(
        solver=solver,
        alpha=0.0,
        learning_rate=learning_rate,
        batch_size=batch_size,
        max_iter=100,
        random_state=0,
    )
    try:
        est.fit(X, y)
    except DivergenceError as exc:
        named = learning_rates_named(str(exc))
        assert any(np.isclose(v, learning_rate, rtol=1e-2) for v in named), str(exc)
        assert_unfitted(est, X)
        return
    assert np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.intercept_))
    zero = fitted_objective(
        est, X, y, None, np.zeros_like(est.coef_), np.zeros_like(est.intercept_)
    )
    fitted = fitted_objective(est, X, y, None, est.coef_, est.intercept_)
    assert fitted <= zero, (
        f"learning_rate={learning_rate:.3g} ({factor:g} / L): returned a model with "
        f"objective {fitted:.6g}, worse than {zero:.6g} at zero coefficients, without an error"
    )


MINI_BATCH = [s for s, c in SOLVERS.items() if getattr(c, "uses_batch_size", False)]


@QUIET
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__[2:])
@pytest.mark.parametrize("solver", MINI_BATCH)
@pytest.mark.parametrize("batch_size", [1, 8])
@settings(FEW, max_examples=2)
@given(seed=st.integers(0, 2**16))
def test_auto_learning_rate_fits_benign_data_with_mini_batches(cls, solver, batch_size, seed):
    """``learning_rate="auto"`` on standard Gaussian data: no divergence, no worse than zero.

    The auto step exists so that users need not tune it; with mini-batches it
    must account for the batch noise (and for momentum's amplification).
    """
    X, y = divergence_data(cls, n=60, seed=seed)
    est = cls(solver=solver, alpha=0.0, batch_size=batch_size, max_iter=30, random_state=seed)
    est.fit(X, y)
    zero = fitted_objective(
        est, X, y, None, np.zeros_like(est.coef_), np.zeros_like(est.intercept_)
    )
    fitted = fitted_objective(est, X, y, None, est.coef_, est.intercept_)
    assert fitted <= zero, f"objective {fitted:.6g} after fit, {zero:.6g} at zero coefficients"


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_gd_auto_learning_rate_does_not_diverge(cls):
    X, y = estimator_data(cls, n=80, d=4)
    X = X * np.array([1e3, 1.0, 1e-2, 30.0])  # badly scaled features
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # ill-conditioned: slow
        est = cls(solver="gd", max_iter=300).fit(X, y)  # no DivergenceError
    curve = np.asarray(est.loss_curve_)
    assert np.all(np.isfinite(curve)) and np.all(np.isfinite(est.coef_))
    # a step of at most 1 / L never increases the objective
    assert np.all(np.diff(curve) <= 1e-12 * np.abs(curve[:-1]))
    assert curve[-1] < curve[0]
    if cls is GDLinearRegression:
        # the estimate is tight for squared loss: a step 3 times as long diverges
        lr = est.history_["learning_rate"][0]
        with pytest.raises(DivergenceError):
            cls(solver="gd", max_iter=300, learning_rate=3 * lr).fit(X, y)


ADAPTIVE = [s for s, c in SOLVERS.items() if getattr(c, "auto_learning_rate", None) is not None]


@pytest.mark.parametrize("solver", ADAPTIVE)
def test_adaptive_auto_rate_scales_with_the_farthest_coordinate(solver):
    # Centred orthonormal columns: the curvature is diagonal, so each
    # coordinate's Newton step is its exact distance to the minimiser, 40 for
    # each of the four, and that sets the rate. The Euclidean distance (the
    # lower bound ||g0|| / L used to be taken) is 80: twice what any
    # coordinate has to travel.
    rng = np.random.default_rng(0)
    A = rng.standard_normal((120, 4))
    Q = np.linalg.qr(A - A.mean(axis=0))[0]
    X = Q / Q.std(axis=0)
    y = X @ [40.0, -40.0, 40.0, 40.0] + 3.0
    est = GDLinearRegression(solver=solver, alpha=0.0, max_iter=1, random_state=0)
    _quietly(est.fit, X, y)
    exact = np.linalg.lstsq(np.c_[X, np.ones(120)], y, rcond=None)[0][:4]
    base = SOLVERS[solver].auto_learning_rate
    np.testing.assert_allclose(est.history_["learning_rate"][0], base * np.abs(exact).max())


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__[2:])
@pytest.mark.parametrize("solver", ADAPTIVE)
def test_adaptive_auto_rate_does_not_overshoot_badly_scaled_features(cls, solver):
    # The column scaled by 1e-2 is far from its optimum in its own units, the
    # one scaled by 1e3 near: a rate sized for the first moves the second (and
    # the predictions) a thousandfold too far. The scale-up is capped where a
    # step of that size on every coordinate could raise the objective by more
    # than its value at the start.
    X, y = estimator_data(cls, n=300, d=4)
    X = X * np.array([1e3, 1.0, 1e-2, 30.0])
    est = cls(solver=solver, random_state=0)
    _quietly(est.fit, X, y)  # no DivergenceError
    zero = fitted_objective(est, X, y, None, np.zeros_like(est.coef_), est.intercept_)
    assert fitted_objective(est, X, y) <= zero


def _age_and_income(n=300, seed=0):
    # Ordinary unscaled tabular data: an age around 40 and an income around 5e4.
    rng = np.random.default_rng(seed)
    age, income = rng.normal(40, 10, n), rng.lognormal(np.log(5e4), 0.5, n)
    z = -2 + 0.05 * (age - 40) + 3e-5 * (income - 5e4)
    return np.column_stack([age, income]), (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)


@pytest.mark.parametrize("solver", ADAPTIVE)
def test_adaptive_auto_rate_survives_unscaled_age_and_income(solver):
    # The income's coefficient needs steps of about 1e-5: Adam's 0.01 and
    # RMSProp's 0.005 diverged (the cap S only held back the scale-up above them).
    X, y = _age_and_income()
    est = GDLogisticRegression(solver=solver, random_state=0)
    _quietly(est.fit, X, y)  # no DivergenceError
    zero = fitted_objective(est, X, y, None, np.zeros_like(est.coef_), est.intercept_)
    assert fitted_objective(est, X, y) < zero
    assert est.history_["learning_rate"][0] < 1e-4


def test_divergence_on_badly_scaled_features_advises_scaling_them_first():
    X, y = _age_and_income()
    with pytest.raises(DivergenceError) as info:
        GDLogisticRegression(solver="adam", learning_rate=0.01).fit(X, y)
    message = str(info.value)
    assert "Scale the features (e.g. StandardScaler)" in message
    assert message.index("StandardScaler") < message.index("learning_rate=")
    # standardised features that diverge at a far too large rate: the rate's advice only
    with pytest.raises(DivergenceError) as info:
        GDLogisticRegression(solver="adam", learning_rate=1e3).fit(
            StandardScaler().fit_transform(X), y
        )
    assert "StandardScaler" not in str(info.value)


@pytest.fixture(scope="module")
def sparse_lasso_problem():
    import scipy.sparse as sp

    X, y = make_classification(
        n_samples=600, n_features=300, n_informative=10, n_redundant=5, random_state=0
    )
    X = sp.csr_matrix(X * (np.random.default_rng(0).random(X.shape) < 0.1))
    exact = GDLogisticRegression(solver="cd", alpha=0.01, l1_ratio=1.0, tol=1e-10).fit(X, y)
    return X, y, exact


@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_stochastic_l1_fit_is_about_as_sparse_as_the_optimum(
    sparse_lasso_problem, solver, average, monkeypatch
):
    # 39 of 300 coefficients are non-zero at the optimum; the mini-batch
    # iterates of sgd, adagrad and rmsprop kept 127-140 and their means (the
    # final phase's, average=True's) up to all 300: the full proximal steps at
    # the end zero what the full gradient says is zero.
    X, y, exact = sparse_lasso_problem
    params = dict(solver=solver, alpha=0.01, l1_ratio=1.0, random_state=0, average=average)
    est = _quietly(GDLogisticRegression(**params).fit, X, y)
    optimum = np.count_nonzero(exact.coef_)
    assert optimum == 39
    assert np.count_nonzero(est.coef_) <= 1.3 * optimum
    monkeypatch.setattr("sklearn_gd.solvers._first_order.FINISHING_STEPS", 0)
    unfinished = _quietly(GDLogisticRegression(**params).fit, X, y)
    assert fitted_objective(est, X, y) <= fitted_objective(unfinished, X, y)
    assert np.count_nonzero(unfinished.coef_) > np.count_nonzero(est.coef_)


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_plateau_stop_far_from_the_optimum_warns(solver):
    # One feature a ten-thousandth the scale of the others: its coefficient
    # has to travel ten thousand times as far, and the plateau rule sees the
    # crawl as a plateau about 30 times the optimal objective above it.
    X, y = estimator_data(GDLinearRegression, n=300, d=4)
    X = X * np.array([1.0, 1.0, 1e-4, 1.0])
    with pytest.warns(ConvergenceWarning, match="above its minimum") as caught:
        GDLinearRegression(solver=solver, random_state=0).fit(X, y)
    # the advice fits the cause: more slow progress, not less
    assert "lower tol" in str(caught[0].message) and "raise tol" not in str(caught[0].message)


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5])
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__[2:])
def test_certified_gap_is_a_lower_bound_on_the_distance_to_the_minimum(cls, l1_ratio):
    from conftest import encode_targets

    from sklearn_gd._loss import MultinomialLoss, SquaredLoss
    from sklearn_gd.solvers._first_order import certified_gap

    X, y = estimator_data(cls, n=60, d=4)
    X = X * np.array([1.0, 10.0, 0.1, 1.0])
    exact = cls(solver="ista", alpha=0.01, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000)
    _quietly(exact.fit, X, y)
    kind, Y = encode_targets(exact, y)
    loss = {"squared": SquaredLoss, "logistic": LogisticLoss, "multinomial": MultinomialLoss}
    objective = Objective(
        Design(X, True), loss[kind](), Y, np.ones(len(y)), ElasticNetPenalty(0.01, l1_ratio)
    )
    theta_star = np.vstack(fitted_params(exact)).ravel()
    best = objective.value(theta_star)
    rng = np.random.default_rng(0)
    for scale in [1e-3, 1e-1, 1.0]:
        theta = theta_star + scale * rng.standard_normal(theta_star.shape)
        bound, value = certified_gap(objective, theta)
        assert value == objective.value(theta)
        assert 0 < bound <= value - best


@pytest.mark.parametrize("solver", [s for s in ADAPTIVE if SOLVERS[s].auto_batch_scaling])
def test_adaptive_auto_rate_shrinks_with_the_batch_and_one_row_batches_descend(solver):
    # One-row batches are about 14 times as noisy as the default 200: at the
    # rate sized for those, the first epoch of adam and rmsprop ended above its
    # start on this problem. The square-root rule takes sqrt(1 / 200) of it.
    X, y = make_classification(
        n_samples=3000, n_features=100, n_informative=50, n_redundant=25, random_state=0
    )
    est = GDLogisticRegression(solver=solver, batch_size=1, max_iter=1, tol=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "ended above its starting objective"
        est.fit(X, y)
    zero = fitted_objective(est, X, y, None, np.zeros_like(est.coef_), est.intercept_)
    assert fitted_objective(est, X, y) < zero
    # the rate itself, from the same sampled batches with and without the rule
    rule = SOLVERS[solver]()
    objective = Objective(
        Design(X, True), LogisticLoss(), y[:, None].astype(float), np.ones(len(y)),
        ElasticNetPenalty(1e-4, 0.0),
    )  # fmt: skip
    theta = np.zeros(objective.n_coef)
    scaled = rule._learning_rate("auto", objective, 1, np.random.RandomState(0), theta)
    rule.auto_batch_scaling = False
    plain = rule._learning_rate("auto", objective, 1, np.random.RandomState(0), theta)
    np.testing.assert_allclose(scaled, plain * np.sqrt(1 / 200), rtol=1e-12)


def _tfidf_like(n, d, k, seed):
    """Sparse documents of Zipf-distributed words, each class favouring 300 of them."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfTransformer

    rng = np.random.default_rng(seed)
    base = 1.0 / np.arange(1, d + 1) ** 1.1
    topics = []
    for _ in range(k):
        boost = np.ones(d)
        boost[rng.choice(d, 300, replace=False)] = rng.uniform(1.0, 4.5, 300)
        topics.append(base * boost / np.sum(base * boost))
    y = rng.integers(0, k, n)
    counts = sp.lil_matrix((n, d))
    for i in range(n):
        words = rng.choice(d, rng.integers(30, 200), p=topics[y[i]])
        words, times = np.unique(words, return_counts=True)
        counts[i, words] = times
    return TfidfTransformer().fit_transform(counts.tocsr()), y


def test_a_run_held_back_by_its_noise_reduces_its_rate_while_its_means_still_fall():
    # Sparse tf-idf-like text, 60 batches per epoch: AdaGrad's epoch means
    # kept dipping below the best by more than tol (noise around a slow
    # drift), so the plateau rule waited 110 epochs for its first reduction
    # (143 in all, 4e-5 above the optimum), while the mean of the iterates of
    # the last five epochs was already far below the epochs' mean. That mean
    # is now probed every n_iter_no_change epochs: the first reduction comes
    # while the means still fall by more than tol (epoch 25; 58 in all, 3e-4
    # above the optimum).
    X, y = _tfidf_like(3000, 2000, 4, seed=1)
    exact = GDLogisticRegression(solver="lbfgs", tol=1e-8).fit(X, y)
    est = GDLogisticRegression(solver="adagrad", batch_size=50, random_state=0)
    _quietly(est.fit, X, y)
    rates, values = est.history_["learning_rate"], est.history_["objective"]
    first = int(np.argmax(rates < rates[0]))
    assert 0 < first and (values[first - 6] - values[first - 1]) / 5 > est.tol
    assert est.n_iter_ < 80
    assert _objective_gap(est, X, y, exact) < 5e-4
