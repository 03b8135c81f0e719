"""Training control and diagnostics.

Schedules, early stopping, partial_fit, history, progress (verbose and
scikit-learn's callback API) and convergence reporting. Small data throughout;
every test needs its feature to pass.
"""

import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_gd import (
    SOLVERS,
    GDLinearRegression,
    GDLogisticRegression,
    GDSoftmaxClassifier,
)
from sklearn_gd._training import validation_split
from sklearn_gd.schedules import (
    Adaptive,
    Constant,
    CosineAnnealing,
    ExponentialDecay,
    InverseScaling,
    LinearWarmup,
    StepDecay,
)

STATEFUL = [name for name, cls in SOLVERS.items() if cls.supports_partial_fit]
NOT_PARTIAL = [name for name in SOLVERS if name not in STATEFUL]
ITERATE_REPORTING = ["gd", "sgd", "momentum", "adam", "adamw", "adagrad", "rmsprop", "ista"]


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=120, n_features=4, noise=5.0, random_state=0)
    return StandardScaler().fit_transform(X), y / np.std(y)


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(
        n_samples=150, n_features=4, n_informative=3, n_redundant=0, random_state=0
    )
    return StandardScaler().fit_transform(X), y


def quiet_fit(est, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kwargs)


# ----------------------------------------------------------------- schedules
def test_schedule_objects_give_the_documented_rates():
    assert Constant().rate(7, 0.3) == 0.3
    assert InverseScaling(power_t=0.5).rate(3, 1.0) == pytest.approx(0.5)
    assert [StepDecay(step_size=2, gamma=0.5).rate(t, 1.0) for t in range(5)] == [
        1.0,
        1.0,
        0.5,
        0.5,
        0.25,
    ]
    assert ExponentialDecay(gamma=0.9).rate(2, 2.0) == pytest.approx(2 * 0.81)
    cosine = CosineAnnealing(T_max=4, eta_min=0.1)
    assert [cosine.rate(t, 1.1) for t in (0, 2, 4, 9)] == pytest.approx([1.1, 0.6, 0.1, 0.1])
    warm = LinearWarmup(StepDecay(step_size=1, gamma=0.5), warmup_steps=4, start_factor=0.2)
    assert [warm.rate(t, 1.0) for t in range(6)] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 0.5])
    assert Adaptive(factor=0.2, min_factor=0.01).on_plateau(1.0) == pytest.approx(0.2)
    assert Adaptive(factor=0.2, min_factor=0.01).on_plateau(0.04) is None
    assert Constant().on_plateau(1.0) is None
    assert LinearWarmup("adaptive").on_plateau(1.0) == pytest.approx(0.2)


@pytest.mark.parametrize(
    "schedule, factors",
    [
        ("constant", [1, 1, 1, 1, 1, 1]),
        (StepDecay(step_size=2, gamma=0.5), [1, 1, 0.5, 0.5, 0.25, 0.25]),
        (ExponentialDecay(gamma=0.5), [1, 0.5, 0.25, 0.125, 0.0625, 0.03125]),
        ("invscaling", [1, 2**-0.5, 3**-0.5, 0.5, 5**-0.5, 6**-0.5]),
        (LinearWarmup(warmup_steps=2, start_factor=0.5), [0.5, 0.75, 1, 1, 1, 1]),
    ],
)
@pytest.mark.parametrize("solver", ["gd", "momentum", "sgd", "adam"])
def test_estimator_follows_the_schedule(regression, schedule, factors, solver):
    X, y = regression
    est = GDLinearRegression(
        solver=solver, learning_rate=0.01, schedule=schedule, max_iter=6, tol=0.0, random_state=0
    )
    quiet_fit(est, X, y)
    np.testing.assert_allclose(est.history_["learning_rate"], 0.01 * np.array(factors))


def test_cosine_schedule_spans_max_iter_by_default(regression):
    X, y = regression
    est = quiet_fit(
        GDLinearRegression(solver="gd", learning_rate=0.1, schedule="cosine", max_iter=5, tol=0),
        X,
        y,
    )
    expected = 0.1 * 0.5 * (1 + np.cos(np.pi * np.arange(5) / 5))
    np.testing.assert_allclose(est.history_["learning_rate"], expected)


def test_callable_schedule_gives_the_learning_rate(regression):
    X, y = regression
    est = GDLinearRegression(solver="sgd", schedule=lambda t: 0.05 / (t + 1), max_iter=4, tol=0)
    quiet_fit(est, X, y)
    np.testing.assert_allclose(est.history_["learning_rate"], [0.05, 0.025, 0.05 / 3, 0.0125])


def test_default_adaptive_schedule_divides_by_five_on_plateaus(regression):
    X, y = regression
    est = quiet_fit(GDLinearRegression(solver="sgd", batch_size=16, random_state=0), X, y)
    rates = est.history_["learning_rate"]
    ratios = np.unique(np.round(rates / rates[0], 12))
    assert len(ratios) >= 2  # the rate was reduced at least once
    np.testing.assert_allclose(np.sort(ratios)[::-1], 0.2 ** np.arange(len(ratios)))
    gd = quiet_fit(GDLinearRegression(solver="gd"), X, y)
    assert np.all(gd.history_["learning_rate"] == gd.history_["learning_rate"][0])


@pytest.mark.parametrize("patience", [2, 7])
def test_n_iter_no_change_sets_the_plateau_length(regression, patience):
    X, y = regression
    # tol so large that no epoch after the first counts as an improvement.
    est = GDLinearRegression(
        solver="sgd", schedule="constant", tol=1e6, n_iter_no_change=patience, batch_size=20
    )
    est.fit(X, y)
    assert est.n_iter_ == patience + 1


def test_schedule_parameters_are_searchable(regression):
    X, y = regression
    est = GDLinearRegression(
        solver="gd", learning_rate=0.05, schedule=ExponentialDecay(), max_iter=30, tol=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(est, {"schedule__gamma": [0.3, 1.0]}, cv=2).fit(X, y)
    assert search.best_params_ == {"schedule__gamma": 1.0}
    assert est.schedule.gamma == 0.95  # the search never wrote into the parameter


def test_invalid_schedules_are_refused(regression):
    X, y = regression
    with pytest.raises(ValueError, match="schedule"):
        GDLinearRegression(solver="gd", schedule="sometimes").fit(X, y)
    with pytest.raises(ValueError, match="gamma"):
        GDLinearRegression(solver="gd", schedule=StepDecay(gamma=2.0)).fit(X, y)
    with pytest.raises(ValueError, match="learning rate must be"):
        GDLinearRegression(solver="gd", schedule=lambda t: -1.0).fit(X, y)


# ------------------------------------------------------------ early stopping
def test_early_stopping_restores_the_best_validation_coefficients(regression):
    X, y = regression
    est = GDLinearRegression(
        solver="sgd",
        learning_rate=0.5,
        schedule="constant",
        batch_size=8,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=4,
        max_iter=200,
        random_state=3,
    ).fit(X, y)
    scores = est.validation_scores_
    assert scores.shape == (est.n_iter_,)
    assert est.best_validation_score_ == scores.max()
    assert np.argmax(scores) != len(scores) - 1  # the last iterate is not the best
    _, X_val, _, y_val = train_test_split(
        X, y, test_size=0.25, random_state=np.random.RandomState(3)
    )
    assert est.score(X_val, y_val) == pytest.approx(est.best_validation_score_, abs=1e-12)
    # stopped by patience, well before max_iter
    assert est.n_iter_ < 200
    np.testing.assert_array_equal(est.history_["validation_score"], scores)


@pytest.mark.parametrize("solver", ITERATE_REPORTING)
def test_early_stopping_works_for_every_iterate_reporting_solver(classification, solver):
    X, y = classification
    kwargs = dict(early_stopping=True, n_iter_no_change=3, random_state=0, max_iter=300)
    first = quiet_fit(GDLogisticRegression(solver=solver, **kwargs), X, y)
    second = quiet_fit(GDLogisticRegression(solver=solver, **kwargs), X, y)
    assert first.validation_scores_.shape == (first.n_iter_,)
    np.testing.assert_array_equal(first.validation_scores_, second.validation_scores_)
    assert 0.5 < first.best_validation_score_ <= 1.0


def test_no_validation_scores_without_early_stopping(regression):
    X, y = regression
    est = GDLinearRegression(solver="gd").fit(X, y)
    assert est.validation_scores_ is None and est.best_validation_score_ is None


def test_early_stopping_split_is_stratified_and_reproducible():
    y = np.array([0] * 45 + [1] * 15)
    X = np.arange(60.0).reshape(-1, 1)
    Y, sw = y[:, None].astype(float), np.ones(60)
    train, val = validation_split(X, y, Y, sw, fraction=0.2, stratify=True, random_state=0)
    assert np.bincount(val[1]).tolist() == [9, 3]
    assert np.bincount(train[1]).tolist() == [36, 12]
    again = validation_split(X, y, Y, sw, fraction=0.2, stratify=True, random_state=0)
    np.testing.assert_array_equal(val[0], again[1][0])


def test_early_stopping_needs_an_iterate_reporting_solver(regression):
    from sklearn_gd.solvers import LBFGS

    class Opaque(LBFGS):
        """A solver that does not report its iterates."""

        reports_iterates = False

    X, y = regression
    with pytest.raises(ValueError, match=r"early_stopping.*gd, sgd, momentum, adam, adamw"):
        GDLinearRegression(solver=Opaque(), early_stopping=True).fit(X, y)


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_early_stopping_with_second_order_solvers_restores_the_best(solver):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 30))
    y = (X[:, 0] + 2.0 * rng.normal(size=200) > 0).astype(int)
    est = GDLogisticRegression(
        solver=solver, alpha=0.0, early_stopping=True, n_iter_no_change=2, tol=1e-12
    )
    est.fit(X, y)
    scores = np.asarray(est.validation_scores_)
    assert len(scores) == est.n_iter_ >= 3
    assert est.best_validation_score_ == scores.max()
    # it stopped on the validation score, before the optimiser's own criterion
    full = quiet_fit(GDLogisticRegression(solver=solver, alpha=0.0, tol=1e-12), X, y)
    assert est.n_iter_ < full.n_iter_


# --------------------------------------------------------------- partial_fit
@pytest.mark.parametrize("solver", STATEFUL)
def test_partial_fit_keeps_the_optimizer_state(regression, solver):
    X, y = regression
    params = dict(solver=solver, schedule="constant", batch_size=len(X), tol=0.0)
    streamed = GDLinearRegression(**params)
    for _ in range(4):
        streamed.partial_fit(X, y)
    batch = quiet_fit(GDLinearRegression(max_iter=4, **params), X, y)
    np.testing.assert_allclose(streamed.coef_, batch.coef_, rtol=1e-12)
    np.testing.assert_allclose(streamed.intercept_, batch.intercept_, rtol=1e-12)
    assert streamed.n_iter_ == 4 and len(streamed.loss_curve_) == 4
    np.testing.assert_allclose(streamed.loss_curve_, batch.loss_curve_)


@pytest.mark.parametrize("Estimator", [GDLogisticRegression, GDSoftmaxClassifier])
def test_partial_fit_streams_blocks_like_dask_incremental(Estimator):
    X, y = make_classification(
        n_samples=600, n_features=5, n_classes=3, n_informative=3, random_state=1
    )
    clf = Estimator(solver="adam", learning_rate=0.05, batch_size=20, random_state=0)
    for _ in range(3):
        for start in range(0, 600, 100):  # blocks, as dask_ml.wrappers.Incremental feeds them
            clf.partial_fit(X[start : start + 100], y[start : start + 100], classes=[0, 1, 2])
    assert clf.n_iter_ == 18 and clf.history_["objective"].shape == (18,)
    assert clf._solver_state.rule[0] == 18 * 5  # Adam's step count: 5 batches per block
    assert clf.score(X, y) > 0.7
    assert np.all(np.diff(clf.history_["time"]) >= 0)


# scikit-learn's test_sgd toy problems: two and three classes of three points each
TOY_X = np.array([[-2, -1], [-1, -1], [-1, -2], [1, 1], [1, 2], [2, 1]], dtype=float)
TOY_Y = np.array([1, 1, 1, 2, 2, 2])
TOY_X3 = np.array(
    [[-1, 1], [-0.75, 0.5], [-1.5, 1.5], [1, 1], [0.75, 0.5], [1.5, 1.5], [-1, -1], [0, -0.5],
     [1, -1]]
)  # fmt: skip
TOY_Y3 = np.array([1, 1, 1, 2, 2, 2, 3, 3, 3])


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("Estimator", [GDLogisticRegression, GDSoftmaxClassifier])
@pytest.mark.parametrize("solver", STATEFUL)
def test_partial_fit_on_small_blocks_predicts_the_toy_labels(solver, Estimator, sparse):
    # scikit-learn's test_partial_fit_binary: a block of one class, then the rest twice
    X = sp.csr_matrix(TOY_X) if sparse else TOY_X
    clf = Estimator(solver=solver, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.partial_fit(X[:2], TOY_Y[:2], classes=[1, 2])
        clf.partial_fit(X[2:], TOY_Y[2:])
        clf.partial_fit(X[2:], TOY_Y[2:])
    np.testing.assert_array_equal(clf.predict(X), TOY_Y)
    np.testing.assert_array_equal(clf.predict([[-1, -1], [2, 2], [3, 2]]), [1, 2, 2])
    # three classes: the first block holds only the first
    X3 = sp.csr_matrix(TOY_X3) if sparse else TOY_X3
    clf = Estimator(solver=solver, random_state=0)
    clf.partial_fit(X3[:3], TOY_Y3[:3], classes=[1, 2, 3])
    for _ in range(4):
        clf.partial_fit(X3[3:], TOY_Y3[3:])
    assert np.mean(clf.predict(X3) == TOY_Y3) >= 8 / 9  # SGDClassifier's: 6 / 9


def test_first_partial_fit_of_a_classifier_starts_at_even_odds():
    clf = GDLogisticRegression(solver="sgd", learning_rate=1e-12).partial_fit(
        TOY_X[:2], TOY_Y[:2], classes=[1, 2]
    )
    assert abs(clf.intercept_[0]) < 1e-11  # the block's own log-odds would be log(1e-8)


@pytest.mark.parametrize("solver", STATEFUL)
def test_partial_fit_on_six_row_blocks_keeps_its_rate(solver):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 5))
    y = (rng.random(600) < 1 / (1 + np.exp(-X @ rng.standard_normal(5)))).astype(int)
    best = GDLogisticRegression(solver="lbfgs", tol=1e-10).fit(X, y)
    clf = GDLogisticRegression(solver=solver, random_state=0)
    for _ in range(300):
        rows = rng.integers(0, 600, 6)
        clf.partial_fit(X[rows], y[rows], classes=[0, 1])
    # 1800 rows: the plateau rule saw 9 means of 200 rows, at most one reduction
    # (it saw every six-row call's objective before, and the rate fell to 5^-5)
    assert clf._solver_state.lr_scale >= 0.2
    start = np.log(2.0)
    gap = (_log_loss(clf, X, y) - _log_loss(best, X, y)) / (start - _log_loss(best, X, y))
    assert gap < 1.0  # below where it started


def _log_loss(clf, X, y):
    z = clf.decision_function(X)
    return np.mean(np.logaddexp(0, z) - y * z) + 0.5 * clf.alpha * np.sum(clf.coef_**2)


def test_partial_fit_checks_classes_and_features(classification):
    X, y = classification
    clf = GDLogisticRegression(solver="sgd")
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :3], y)
    with pytest.raises(ValueError, match="not in the classes"):
        clf.partial_fit(X, y + 5)
    with pytest.raises(ValueError, match="balanced"):
        GDLogisticRegression(solver="sgd", class_weight="balanced").partial_fit(
            X, y, classes=[0, 1]
        )
    reg = GDLinearRegression(solver="momentum").partial_fit(X, y.astype(float))
    with pytest.raises(ValueError, match="features"):
        reg.partial_fit(X[:, :2], y.astype(float))


@pytest.mark.parametrize("solver", NOT_PARTIAL)
def test_partial_fit_is_absent_for_stateless_solvers(solver):
    est = GDLinearRegression(solver=solver)
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError) as info:
        est.partial_fit(np.zeros((3, 1)), np.zeros(3))
    assert "sgd, momentum, adam, adamw" in str(info.value.__cause__)


# ------------------------------------------------------------------ history
@pytest.mark.parametrize("solver", list(SOLVERS))
def test_history_is_consistent_with_n_iter(classification, solver):
    X, y = classification
    est = GDSoftmaxClassifier(solver=solver, max_iter=40, random_state=0)
    quiet_fit(est, X, y)
    history = est.history_
    assert set(history) == {"objective", "optimality", "learning_rate", "time"}
    for values in history.values():
        assert values.shape == (est.n_iter_,)
    assert est.loss_curve_ == history["objective"].tolist()
    assert np.all(np.diff(history["time"]) >= 0)
    assert np.all(history["optimality"] >= 0)
    # the solvers that take a learning rate record it; the others record NaN
    has_step = SOLVERS[solver].uses_learning_rate
    assert np.all(np.isfinite(history["learning_rate"])) == has_step


# ----------------------------------------------------------------- progress
@pytest.mark.parametrize("solver", ["gd", "sgd", "ista", "lbfgs"])
def test_verbose_prints_one_line_per_iteration(regression, solver, capsys):
    X, y = regression
    est = quiet_fit(GDLinearRegression(solver=solver, verbose=1, max_iter=50), X, y)
    header, *rows, summary = capsys.readouterr().out.strip().splitlines()
    assert len(rows) == est.n_iter_
    columns = r"(iteration|epoch) +objective +.+ +step +time \(s\)"
    assert re.fullmatch(rf"\[{solver}\] +{columns}", header)
    for i, row in enumerate(rows):
        count, objective, _, step, _ = row.split()[1:]
        assert int(count) == i + 1
        assert float(objective) == pytest.approx(est.history_["objective"][i], rel=1e-7)
        assert (step == "-") == (not SOLVERS[solver].uses_learning_rate)
    assert summary.startswith(f"[{solver}] ")
    quiet_fit(GDLinearRegression(solver=solver, verbose=0, max_iter=50), X, y)
    assert capsys.readouterr().out == ""


class RecordingCallback:
    """A FitCallback that records its hooks and can ask to stop."""

    def __init__(self, stop_after=None):
        self.stop_after = stop_after
        self.events = []

    def setup(self, estimator, context):
        self.events.append("setup")

    def teardown(self, estimator, context):
        self.events.append("teardown")

    def on_fit_task_begin(self, estimator, context):
        self.events.append(("begin", context.task_name))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("end", context.task_name, fitted_estimator))
        ends = sum(1 for e in self.events if e[0] == "end" and e[1] == "iteration")
        return self.stop_after is not None and ends >= self.stop_after


@pytest.mark.parametrize("solver", ITERATE_REPORTING)
def test_sklearn_callbacks_see_every_iteration(classification, solver):
    pytest.importorskip("sklearn.callback")
    X, y = classification
    callback = RecordingCallback()
    est = GDLogisticRegression(solver=solver, max_iter=30, random_state=0)
    quiet_fit(est.set_callbacks(callback), X, y)
    events = callback.events
    assert events[0] == "setup" and events[-1] == "teardown"
    assert events[1] == ("begin", "fit") and events[-2][:2] == ("end", "fit")
    ends = [e for e in events if e[0] == "end" and e[1] == "iteration"]
    assert len(ends) == est.n_iter_ + 1  # one per iteration, plus the empty last subtask
    # the fitted estimator of the last iteration predicts with the final coefficients
    np.testing.assert_allclose(ends[-2][2].coef_, est.coef_)
    assert not hasattr(est, "_callback_fit_ctx")


def test_sklearn_callback_can_stop_the_fit(regression):
    pytest.importorskip("sklearn.callback")
    X, y = regression
    est = GDLinearRegression(solver="gd", max_iter=500, tol=0.0)
    est.set_callbacks(RecordingCallback(stop_after=3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ == 3


def test_scoring_monitor_logs_a_score_per_iteration(classification):
    callback = pytest.importorskip("sklearn.callback")
    X, y = classification
    monitor = callback.ScoringMonitor(scoring="accuracy")
    est = GDLogisticRegression(solver="momentum", max_iter=15).set_callbacks(monitor)
    quiet_fit(est, X, y)
    rows = [row for row in monitor.get_logs().data if len(row["task_id_path"]) == 2]
    assert len(rows) == est.n_iter_
    assert rows[-1]["accuracy"] == pytest.approx(est.score(X, y))


def test_progress_bar_runs_during_fit(regression):
    callback = pytest.importorskip("sklearn.callback")
    pytest.importorskip("rich")
    X, y = regression
    est = GDLinearRegression(solver="sgd", random_state=0, max_iter=20)
    quiet_fit(est.set_callbacks(callback.ProgressBar()), X, y)
    assert est.n_iter_ >= 1


def test_package_imports_and_fits_without_sklearn_callback_api():
    # Older scikit-learn has no CallbackSupportMixin: hide it before sklearn_gd imports it.
    code = (
        "import sklearn.callback, sklearn.model_selection, sklearn.preprocessing\n"
        "del sklearn.callback.CallbackSupportMixin\n"
        "import numpy as np\n"
        "from sklearn_gd import GDLinearRegression\n"
        "est = GDLinearRegression(solver='gd').fit(np.eye(3), [1.0, 2.0, 3.0])\n"
        "assert not hasattr(est, 'set_callbacks')\n"
        "print(est.n_iter_)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) >= 1


# ---------------------------------------------------- convergence reporting
@pytest.mark.parametrize("solver", list(SOLVERS))
def test_convergence_warning_names_solver_measure_tol_and_knobs(classification, solver):
    X, y = classification
    est = GDLogisticRegression(solver=solver, max_iter=1, tol=1e-12, random_state=0)
    with pytest.warns(ConvergenceWarning) as record:
        est.fit(X, y)
    message = str(record[0].message)
    assert f"solver={solver!r}" in message
    assert "tol=1e-12" in message
    assert re.search(r"(gradient|objective change).* is [\d.e+-]+", message)
    assert "max_iter" in message and "StandardScaler" in message


def _summary_measure(summary):
    """The optimality measure the closing line of a verbose fit names."""
    return re.search(r"final objective \S+, (.+?) = \S+ \(tol=", summary).group(1)


@pytest.mark.parametrize("solver", list(SOLVERS))
def test_verbose_column_is_named_for_the_measure_it_holds(solver, capsys):
    """The optimality column's title is the run's own measure, as the closing line names it:
    an objective change per epoch for mini-batch runs (300 rows: more than the default
    batch of 200), a gradient (mapping) norm otherwise."""
    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    quiet_fit(GDLogisticRegression(solver=solver, max_iter=30, random_state=0, verbose=1), X, y)
    header, *_, summary = capsys.readouterr().out.strip().splitlines()
    measure = _summary_measure(summary)
    assert f"  {measure}  " in header
    mini_batch = SOLVERS[solver].stochastic
    assert (measure == "objective change") == mini_batch
    assert header.split()[1] == ("epoch" if mini_batch else "iteration")


def test_verbose_early_stopping_shows_validation_score_and_why_it_stopped(capsys):
    X, y = make_classification(n_samples=300, n_features=5, random_state=0)
    est = GDLogisticRegression(
        solver="sgd", early_stopping=True, n_iter_no_change=3, random_state=0, verbose=1
    ).fit(X, y)
    header, *rows, summary = capsys.readouterr().out.strip().splitlines()
    assert "val. score" in header and "no improvement" in header
    assert len(rows) == est.n_iter_
    scores = [float(row.split()[-2]) for row in rows]
    np.testing.assert_allclose(scores, est.validation_scores_, atol=5e-5)
    assert rows[-1].split()[-1] == "3/3"
    best = int(np.argmax(est.validation_scores_)) + 1
    assert "early stopping: the validation score did not improve" in summary
    assert f"kept epoch {best} " in summary
    assert f"{est.n_iter_} epochs in " in summary
    assert f"final objective {est.history_['objective'][-1]:.8e}" in summary


def test_verbose_closing_line_of_a_run_cut_short_says_so(regression, capsys):
    X, y = regression
    quiet_fit(GDLinearRegression(solver="gd", max_iter=3, verbose=1), X, y)
    summary = capsys.readouterr().out.strip().splitlines()[-1]
    assert summary.startswith("[gd] did not converge (")
    assert "ConvergenceWarning" in summary and "3 iterations in " in summary


# ---------------------------------------------- scikit-learn's test_sgd, ported
STOCHASTIC = [name for name, cls in SOLVERS.items() if cls.stochastic]


def _iris_without_class_0(sparse):
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    X, y = X[y > 0], y[y > 0]
    return (sp.csr_matrix(X) if sparse else X), y


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_a_crawl_too_slow_to_finish_stops_before_max_iter(solver, early_stopping, sparse):
    # test_sgd's test_early_stopping: unscaled iris without class 0, tol=1e-3.
    # 100 rows are one batch, a deterministic run whose objective falls by a
    # tenth of tol per epoch, ever more slowly: at that pace it needs many
    # times the epochs max_iter leaves to finish, so it stops early and says why.
    X, y = _iris_without_class_0(sparse)
    est = GDLogisticRegression(
        solver=solver, tol=1e-3, early_stopping=early_stopping, random_state=0
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        est.fit(X, y)
    assert est.n_iter_ < 900
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    if not early_stopping:
        assert len(messages) == 1 and "times what max_iter=1000 leaves" in messages[0]


@pytest.mark.parametrize("solver", STOCHASTIC)
def test_more_patience_never_stops_sooner(solver):
    # test_sgd's test_n_iter_no_change on the regressor: unscaled iris, its
    # 150 rows one batch. AdaGrad's and RMSProp's runs went on to max_iter
    # (or nearly) whatever n_iter_no_change was, and not in its order.
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    n_iter = []
    for patience in [2, 3, 10]:
        est = GDLinearRegression(solver=solver, n_iter_no_change=patience, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            n_iter.append(est.fit(X, y).n_iter_)
    assert n_iter == sorted(n_iter)
    assert n_iter[-1] < 1000


@pytest.mark.parametrize("average", [True, False])
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_last_recorded_objective_is_that_of_the_returned_coefficients(solver, average):
    # With average=True the fit returns the mean of the iterates, without it
    # possibly the mean of the last phase's; loss_curve_[-1] was the last
    # epoch's mean objective over the moving iterates (averaged sgd on
    # standardised breast cancer: 0.0554, the returned coefficients' 0.0621).
    from conftest import fitted_objective

    X, y = make_classification(n_samples=400, n_features=6, random_state=0)
    X = StandardScaler().fit_transform(X)
    est = GDLogisticRegression(solver=solver, average=average, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    returned = fitted_objective(est, X, y)
    np.testing.assert_allclose(est.loss_curve_[-1], returned, rtol=1e-10)
    np.testing.assert_allclose(est.history_["objective"][-1], returned, rtol=1e-10)
