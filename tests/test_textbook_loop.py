"""The half-MSE convention against a plain NumPy gradient-descent loop.

GDLinearRegression minimises half the mean squared error. A textbook loop on the
full mean squared error with step ``eta`` therefore takes the steps of
``solver="gd", learning_rate=2 * eta``, and the losses it prints are twice
``history_["objective"]`` (docs/user_guide/derivations.rst, "Half the mean
squared error").
"""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklearn_gd import GDLinearRegression


def textbook_loop(x, y, learning_rate, epochs):
    """Gradient descent on the mean squared error of ``y ~ w x + b``, as tutorials write it.

    Returns the (w, b) after every epoch and the loss printed at every epoch,
    computed from the predictions the epoch's gradient uses.
    """
    w = b = 0.0
    path, losses = [], []
    for _ in range(epochs):
        y_pred = w * x + b
        grad_w = -2 * np.mean(x * (y - y_pred))
        grad_b = -2 * np.mean(y - y_pred)
        w = w - learning_rate * grad_w
        b = b - learning_rate * grad_b
        path.append((w, b))
        losses.append(np.mean((y - y_pred) ** 2))
    return np.array(path), np.array(losses)


def noisy_line(n=25, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 4, size=n)
    return x, 2 * x + 1 + rng.normal(scale=0.5, size=n)


DATA = {
    "four points on y = 2x + 1": (np.array([1.0, 2.0, 3.0, 4.0]), np.array([3.0, 5.0, 7.0, 9.0])),
    "noisy y = 2x + 1": noisy_line(),
}


def fit_gd(x, y, learning_rate, max_iter):
    reg = GDLinearRegression(
        solver="gd", learning_rate=learning_rate, schedule="constant", max_iter=max_iter, tol=0
    )
    with pytest.warns(ConvergenceWarning, match="max_iter"):  # tol=0 runs every iteration
        # from w = b = 0, as the loop (a fit starts the intercept at mean(y) otherwise)
        return reg.fit(x.reshape(-1, 1), y, coef_init=[0.0], intercept_init=0.0)


@pytest.mark.parametrize("data", DATA.values(), ids=DATA.keys())
@pytest.mark.parametrize("epochs", [1, 7, 1000])
def test_loop_on_mse_with_step_eta_is_learning_rate_2_eta(data, epochs):
    x, y = data
    path, losses = textbook_loop(x, y, learning_rate=0.01, epochs=epochs)
    reg = fit_gd(x, y, learning_rate=0.02, max_iter=epochs)
    assert reg.n_iter_ == epochs
    np.testing.assert_allclose([reg.coef_[0], reg.intercept_], path[-1], rtol=1e-10, atol=1e-12)
    # the loop prints the mean squared error, twice our objective, at the same iterates
    np.testing.assert_allclose(losses, 2 * reg.history_["objective"], rtol=1e-10)


@pytest.mark.parametrize("data", DATA.values(), ids=DATA.keys())
def test_every_iterate_matches_the_loop(data):
    """The whole path, not only its end: a callback sees the iterate of every iteration."""
    pytest.importorskip("sklearn.callback")
    x, y = data

    class Recorder:
        def setup(self, estimator, context):
            self.path = []

        def teardown(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context):
            pass

        def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
            if context.task_name == "iteration" and fitted_estimator is not None:
                self.path.append((fitted_estimator.coef_[0], fitted_estimator.intercept_))

    path, _ = textbook_loop(x, y, learning_rate=0.01, epochs=50)
    recorder = Recorder()
    reg = GDLinearRegression(
        solver="gd", learning_rate=0.02, schedule="constant", max_iter=50, tol=0
    ).set_callbacks(recorder)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        reg.fit(x.reshape(-1, 1), y, coef_init=[0.0], intercept_init=0.0)  # from w = b = 0
    np.testing.assert_allclose(np.array(recorder.path), path, rtol=1e-10, atol=1e-12)


def test_the_four_points_reach_the_line_after_1000_epochs():
    """The loop's end result on y = 2x + 1: close to w = 2, b = 1, as it should be."""
    x, y = DATA["four points on y = 2x + 1"]
    reg = fit_gd(x, y, learning_rate=0.02, max_iter=1000)
    np.testing.assert_allclose([reg.coef_[0], reg.intercept_], [2.0, 1.0], atol=0.05)
    assert reg.history_["objective"][-1] < 1e-3
