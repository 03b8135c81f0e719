"""LossCurveDisplay: loss curves drawn headless (Agg), checked on the plotted data."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_gd import DivergenceError, GDLinearRegression, GDLogisticRegression
from sklearn_gd.plotting import LossCurveDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(scope="module")
def fitted():
    X, y = make_classification(n_samples=120, n_features=4, random_state=0)
    X = StandardScaler().fit_transform(X)
    return [
        GDLogisticRegression(solver=solver, random_state=0, tol=1e-3).fit(X, y)
        for solver in ("gd", "lbfgs", "newton")
    ]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_from_estimator_plots_the_history_and_writes_a_png(fitted, tmp_path):
    est = fitted[0]
    display = LossCurveDisplay.from_estimator(est)
    (line,) = display.lines_
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, est.n_iter_ + 1))
    np.testing.assert_array_equal(line.get_ydata(), est.loss_curve_)
    assert line.get_label() == "gd"
    assert display.ax_.get_xlabel() == "iteration / epoch"
    assert display.figure_ is display.ax_.figure
    path = tmp_path / "loss.png"
    display.figure_.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_overlay_several_estimators_against_time_on_a_log_scale(fitted):
    display = LossCurveDisplay.from_estimator(fitted, x="time", log_scale=True)
    assert [line.get_label() for line in display.lines_] == ["gd", "lbfgs", "newton"]
    for line, est in zip(display.lines_, fitted, strict=True):
        np.testing.assert_array_equal(line.get_xdata(), est.history_["time"])
    assert display.ax_.get_yscale() == "log"
    assert display.ax_.get_xlabel() == "time (s)"
    # a later display drawn on the same axes adds its curve to them
    again = LossCurveDisplay.from_estimator(fitted[0], ax=display.ax_, labels=["gd again"])
    assert again.ax_ is display.ax_
    assert len(display.ax_.get_lines()) == 4
    labels = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert labels == ["gd", "lbfgs", "newton", "gd again"]


def test_suboptimality_and_other_history_entries(fitted):
    best = min(est.loss_curve_[-1] for est in fitted)
    display = LossCurveDisplay.from_estimator(fitted[0], optimum=best, log_scale=True)
    expected = np.asarray(fitted[0].loss_curve_) - best
    expected[expected <= 0] = np.nan
    np.testing.assert_array_equal(display.lines_[0].get_ydata(), expected)
    assert display.ax_.get_ylabel() == "objective - optimum"
    display = LossCurveDisplay.from_estimator(fitted[0], y="optimality")
    np.testing.assert_array_equal(display.lines_[0].get_ydata(), fitted[0].history_["optimality"])


def test_pipeline_and_plain_histories():
    X, y = make_classification(n_samples=60, n_features=4, random_state=1)
    pipe = make_pipeline(StandardScaler(), GDLogisticRegression(solver="gd", tol=1e-2)).fit(X, y)
    display = LossCurveDisplay.from_estimator(pipe)
    np.testing.assert_array_equal(display.lines_[0].get_ydata(), pipe[-1].loss_curve_)
    # the history carried by a DivergenceError can be drawn next to fitted curves
    with pytest.raises(DivergenceError) as info:
        GDLinearRegression(solver="gd", learning_rate=100.0).fit(X, y)
    display = LossCurveDisplay([info.value.history], labels=["too large"]).plot(log_scale=True)
    assert len(display.lines_[0].get_ydata()) == len(info.value.history["objective"])


def test_invalid_arguments(fitted):
    with pytest.raises(ValueError, match="x must be one of"):
        LossCurveDisplay.from_estimator(fitted[0], x="epoch")
    with pytest.raises(ValueError, match="validation_score"):
        LossCurveDisplay.from_estimator(fitted[0], y="validation_score")
    with pytest.raises(ValueError, match="labels"):
        LossCurveDisplay([{"objective": [1.0]}], labels=["a", "b"])


def test_package_imports_without_matplotlib():
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "import numpy as np\n"
        "from sklearn_gd import GDLinearRegression, LossCurveDisplay\n"
        "est = GDLinearRegression(solver='gd').fit(np.eye(3), [1.0, 2.0, 3.0])\n"
        "try:\n"
        "    LossCurveDisplay.from_estimator(est)\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert 'pip install "sklearn-gd[plot]"' in out.stdout


def test_from_estimator_tells_a_foreign_estimator_from_an_unfitted_one():
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import LinearRegression

    X, y = make_classification(n_samples=30, n_features=4, random_state=0)
    foreign = LinearRegression().fit(X, y)
    with pytest.raises(TypeError, match="sklearn-gd estimator") as info:
        LossCurveDisplay.from_estimator(foreign)
    message = str(info.value)
    assert "LinearRegression" in message and "GDLinearRegression" in message
    assert "not fitted" not in message
    with pytest.raises(TypeError, match="sklearn-gd estimator"):
        LossCurveDisplay.from_estimator(make_pipeline(StandardScaler(), foreign))
    with pytest.raises(NotFittedError, match="GDLogisticRegression.*not fitted.*call fit"):
        LossCurveDisplay.from_estimator(GDLogisticRegression())


def _history(seed):
    values = np.sort(np.random.default_rng(seed).random(5))[::-1]
    return {"objective": values, "time": np.arange(5.0)}


def test_every_curve_of_a_fourteen_model_plot_has_its_own_style():
    """Colours repeat after the colour cycle (10 by default); the line style then changes,
    so no two of 14 curves look alike, on one display or overlaid on its axes."""
    n_colors = len(plt.rcParams["axes.prop_cycle"].by_key()["color"])
    n = n_colors + 4
    labels = [f"model {i}" for i in range(n)]
    display = LossCurveDisplay([_history(i) for i in range(n)], labels=labels).plot()
    styles = [(line.get_color(), line.get_linestyle()) for line in display.lines_]
    assert len(set(styles)) == n
    more = LossCurveDisplay([_history(99)], labels=["o"]).plot(ax=display.ax_)
    styles.append((more.lines_[0].get_color(), more.lines_[0].get_linestyle()))
    assert len(set(styles)) == n + 1
    # a style the caller gives wins
    dashed = LossCurveDisplay([_history(0), _history(1)]).plot(linestyle="--", color="k")
    assert {(line.get_color(), line.get_linestyle()) for line in dashed.lines_} == {("k", "--")}
