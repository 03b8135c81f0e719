"""The first-order training loop (``sklearn_gd/solvers/_first_order.py``) and its run state.

What ``fit`` restarts and what ``partial_fit`` resumes, the plateau rule, divergence
detection under mini-batch noise, how often a block is read, and the same loop on
dask chunks. Small data throughout; each test fails when its behaviour is missing.
"""

import warnings

import numpy as np
import pytest
from conftest import fitted_objective
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_gd import GDLinearRegression, GDLogisticRegression
from sklearn_gd._data import Design
from sklearn_gd._loss import LogisticLoss
from sklearn_gd._objective import Objective
from sklearn_gd._penalty import ElasticNetPenalty
from sklearn_gd.solvers import solvers_with
from sklearn_gd.solvers._batch_buffers import BatchBuffers

STOCHASTIC = solvers_with("stochastic")
PARTIAL = solvers_with("supports_partial_fit")


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _objective_gap(est, X, y, reference):
    """``F(est) - F(reference)``, ``reference`` fitted tightly."""
    return fitted_objective(est, X, y) - fitted_objective(reference, X, y)


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
    params = dict(solver="adam", schedule="exponential", batch_size=len(X), tol=0.0)
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
#: Known open defect, reported rather than hidden: AdaGrad's own 1/sqrt(t) decay
#: leaves it 5.4e-4 of the gap above the optimum here (the bound is 5e-4).
_ADAGRAD_SLOW = pytest.mark.xfail(strict=True, reason="AdaGrad's rate decays by itself")


@pytest.mark.parametrize(
    "solver",
    [pytest.param(s, marks=_ADAGRAD_SLOW) if s == "adagrad" else s for s in STOCHASTIC],
)
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
    # monotone in its patience and not far off: Adam used to stop after 21,
    # 921 and 433 epochs for patience 2, 3 and 10, at 10x the optimal objective
    # with patience 2.
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
