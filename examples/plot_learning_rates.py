r"""
===============================================
Learning rate too small, about right, too large
===============================================

Gradient descent (``solver="gd"``) fitting a line :math:`\hat y = w x + b` to
noisy points around :math:`y = 2x + 1`, with three learning rates, and the path
of its iterates drawn on the loss surface :math:`F(w, b)`.

:class:`~sklearn_gd.GDLinearRegression` minimises half the mean squared error,
:math:`F(w, b) = \frac{1}{n} \sum_i \frac12 (w x_i + b - y_i)^2`, a quadratic
whose Hessian is constant. With :math:`L` its largest eigenvalue (the
Lipschitz constant of the gradient), gradient descent with a constant step
:math:`\eta`

* decreases :math:`F` at every iteration for :math:`\eta \le 1 / L`, the step
  ``learning_rate="auto"`` takes;
* still converges, zigzagging across the valley, for
  :math:`1 / L < \eta < 2 / L`;
* diverges for :math:`\eta > 2 / L`: along the steepest direction every step
  overshoots the valley's floor by more than it started from.

A loop minimising the full mean squared error (without the half) with step
:math:`\eta'` takes the same steps as sklearn-gd with
``learning_rate`` :math:`= 2 \eta'`; see :ref:`half_mse`.
"""

# %%
# The data and the loss surface
# -----------------------------
# Thirty points with :math:`x` between 0 and 4 and Gaussian noise of standard
# deviation 0.5 around the line. Because of the noise the least-squares line
# is not exactly :math:`w = 2, b = 1`; :func:`numpy.polyfit` gives it in closed
# form.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.callback import ScoringMonitor
from sklearn.exceptions import ConvergenceWarning

from sklearn_gd import DivergenceError, GDLinearRegression, LossCurveDisplay

rng = np.random.default_rng(0)
x = rng.uniform(0, 4, size=30)
y = 2 * x + 1 + rng.normal(scale=0.5, size=x.size)
X = x.reshape(-1, 1)
w_opt, b_opt = np.polyfit(x, y, deg=1)
print(f"least-squares line: w = {w_opt:.4f}, b = {b_opt:.4f}")

hessian = np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])
L = np.linalg.eigvalsh(hessian).max()
print(f"L = {L:.4f}: 1/L = {1 / L:.4f}, 2/L = {2 / L:.4f}")

# %%
# A step of 0.01 in a loop on the mean squared error, common in tutorials, is
# ``learning_rate=0.02`` here (:ref:`half_mse`); on these data that is in the
# "too small" range.
print(f"learning_rate=0.02 is {0.02 * L:.2f} / L")

# %%
# Recording the iterates
# ----------------------
# scikit-learn's :class:`~sklearn.callback.ScoringMonitor` (a fit callback,
# ``set_callbacks``, scikit-learn >= 1.9) calls its ``scoring`` on a copy of
# the estimator holding the coefficients of each iteration; a "score" that
# returns ``coef_`` and ``intercept_`` records the path. A run that diverges
# raises :class:`~sklearn_gd.DivergenceError` during the iteration at which it
# is detected: the monitor has seen the iterates before it, and the error
# carries the history of the objective.


def coefficients(model, X, y, **metadata):
    """(w, b) of the model at the end of an iteration, logged as two scores."""
    return {"w": model.coef_[0], "b": model.intercept_}


def path(monitor):
    """The iterates the monitor logged, after the starting point w = b = 0."""
    rows = [row for row in monitor.get_logs().data if row["task_name"] == "iteration"]
    return np.array([(0.0, 0.0)] + [(row["w"], row["b"]) for row in rows])


# %%
# Three learning rates
# --------------------
# A tenth of :math:`1/L`, :math:`1/L` itself, and 1.05 times the limit
# :math:`2/L`, each for at most 500 iterations.
rates = {
    "too small (0.1 / L)": 0.1 / L,
    "about right (1 / L)": 1 / L,
    "too large (2.1 / L)": 2.1 / L,
}
paths, histories, fitted = {}, {}, {}
for label, rate in rates.items():
    monitor = ScoringMonitor(scoring=coefficients)
    model = GDLinearRegression(
        solver="gd", learning_rate=rate, schedule="constant", max_iter=500, tol=1e-6
    ).set_callbacks(monitor)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(X, y, coef_init=[0.0], intercept_init=0.0)  # from w = b = 0
        histories[label] = model.history_
        w, b = fitted[label] = model.coef_[0], model.intercept_
        outcome = f"after {model.n_iter_} iterations w = {w:.4f}, b = {b:.4f}, " + (
            "stopped at max_iter (ConvergenceWarning)" if caught else "converged"
        )
    except DivergenceError as error:
        histories[label] = error.history
        outcome = f"DivergenceError: {error}"
    paths[label] = path(monitor)
    print(f"learning_rate={rate:.4f}, {label}:\n    {outcome}")

# %%
# The paths on the loss surface
# -----------------------------
# The surface is a valley, steep across and flat along; the ellipses are
# level sets of :math:`F`. The small step takes tens of iterations to come
# down the steep wall, and has covered only part of the floor after 500. The
# step :math:`1/L` lands near the floor at once and then follows it. The step
# above :math:`2/L` overshoots the floor by more at every iteration, bouncing
# between the walls ever higher until sklearn-gd stops the run: the last
# point drawn is the last iterate before the error.
colors = ["C0", "C1", "C2"]
f_opt = np.mean(0.5 * (w_opt * x + b_opt - y) ** 2)


def loss_surface(w_range, b_range):
    """F(w, b) on a grid, for the contour plots."""
    ws, bs = np.meshgrid(np.linspace(*w_range, 300), np.linspace(*b_range, 300))
    return ws, bs, np.mean(0.5 * (ws[..., None] * x + bs[..., None] - y) ** 2, axis=-1)


fig, axes = plt.subplots(1, 3, figsize=(15, 4.8))
for ax, (label, path), color in zip(axes, paths.items(), colors, strict=True):
    # the window holds the whole path, and at least w in [-1, 5], b in [-3, 4]
    w_range = (min(-1.0, path[:, 0].min() - 0.5), max(5.0, path[:, 0].max() + 0.5))
    b_range = (min(-3.0, path[:, 1].min() - 0.5), max(4.0, path[:, 1].max() + 0.5))
    ws, bs, F = loss_surface(w_range, b_range)
    levels = f_opt + np.logspace(-2, np.log10(F.max() - f_opt), 15)
    ax.contour(ws, bs, F, levels=levels, cmap="viridis", linewidths=0.7)
    ax.plot(*path.T, ".-", color=color, lw=1, ms=5, label=f"{len(path) - 1} iterations")
    ax.plot(w_opt, b_opt, "k*", ms=12, label="least squares")
    ax.plot(0, 0, "ko", ms=5, label="start")
    ax.set_title(f"{label}: learning_rate={rates[label]:.3f}")
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    ax.legend(loc="lower right", fontsize=8)
fig.tight_layout()

# %%
# The objective per iteration
# ---------------------------
# ``history_`` for the two runs that finished, ``DivergenceError.history`` for
# the one that did not, minus the optimal objective (which is not zero: the
# noise leaves residuals). After a fast first drop (the steep direction), the
# gap of the two converging runs falls by a constant factor per iteration
# (linear convergence), ten times faster per iteration with the ten times
# larger step; the gap of the large step grows by a constant factor.
display = LossCurveDisplay(list(histories.values()), labels=list(histories)).plot(
    log_scale=True, optimum=f_opt
)
display.ax_.set_title("Gradient descent on y = 2x + 1 + noise")

# %%
# The data and the fitted lines
# -----------------------------
# The two runs that finished; the one that diverged left no fitted model.
fig, ax = plt.subplots(figsize=(6, 4))
ax.scatter(x, y, s=15, color="k", label="data")
grid = np.linspace(0, 4, 2)
for label, color in zip(rates, colors, strict=True):
    if label in fitted:
        w, b = fitted[label]
        ax.plot(grid, w * grid + b, color=color, label=f"{label}: w={w:.3f}, b={b:.3f}")
ax.plot(grid, 2 * grid + 1, "k:", label="y = 2x + 1")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend(fontsize=8)
plt.show()
