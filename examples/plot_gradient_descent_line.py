r"""
============================================
Gradient descent on y = 2x + 1, step by step
============================================

The classic first example of gradient descent: four points :math:`x = 1, 2, 3, 4`
on the line :math:`y = 2x + 1`, and a line :math:`\hat y = w x + b` fitted by
least squares, starting from :math:`w = b = 0`.

:class:`~sklearn_gd.GDLinearRegression` with ``alpha=0`` minimises the mean of
half the squared errors,

.. math::

    F(w, b) = \frac{1}{n} \sum_{i=1}^{n} \frac{1}{2} (w x_i + b - y_i)^2 ,
    \qquad
    \frac{\partial F}{\partial w} = \frac{1}{n} \sum_i r_i x_i , \quad
    \frac{\partial F}{\partial b} = \frac{1}{n} \sum_i r_i ,

with residuals :math:`r_i = w x_i + b - y_i`, and ``solver="gd"`` repeats
:math:`(w, b) \leftarrow (w, b) - \eta \nabla F(w, b)` with the step
:math:`\eta = 1 / L` (``learning_rate="auto"``), :math:`L` the largest
eigenvalue of the Hessian of :math:`F`.
"""

# %%
# One fit
# -------
# Gradient descent lands on :math:`w = 2`, :math:`b = 1`; ``history_`` records
# the objective, the step size and the largest gradient entry of every iteration.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.callback import ScoringMonitor
from sklearn.exceptions import ConvergenceWarning

from sklearn_gd import GDLinearRegression, LossCurveDisplay, Momentum

X = np.array([[1.0], [2.0], [3.0], [4.0]])
y = 2 * X.ravel() + 1

reg = GDLinearRegression(solver="gd", tol=1e-8, max_iter=2000).fit(X, y)
eta = reg.history_["learning_rate"][0]
print(f"w = {reg.coef_[0]:.6f}, b = {reg.intercept_:.6f} after {reg.n_iter_} iterations")
print(f"step size 1/L = {eta:.4f}")

# %%
# The path of the iterates
# ------------------------
# scikit-learn's :class:`~sklearn.callback.ScoringMonitor` (a fit callback,
# ``set_callbacks``, scikit-learn >= 1.9) calls its ``scoring`` on a copy of
# the estimator holding each iteration's coefficients; a "score" that returns
# :math:`(w, b)` records the path. (:ref:`sphx_glr_auto_examples_plot_learning_rates.py`
# records it the same way.) ``tol=0`` runs all 300 iterations, so the fit ends
# with a :class:`~sklearn.exceptions.ConvergenceWarning`, silenced here.


def coefficients(model, X, y, **metadata):
    """(w, b) of the model at the end of an iteration, logged as two scores."""
    return {"w": model.coef_[0], "b": model.intercept_}


monitor = ScoringMonitor(scoring=coefficients)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    # From w = b = 0, as the NumPy loop below (a fit starts the intercept at
    # the mean of y unless told otherwise).
    GDLinearRegression(solver="gd", max_iter=300, tol=0).set_callbacks(monitor).fit(
        X, y, coef_init=[0.0], intercept_init=0.0
    )
iterations = [row for row in monitor.get_logs().data if row["task_name"] == "iteration"]
gd_path = np.array([(0.0, 0.0)] + [(row["w"], row["b"]) for row in iterations])

# %%
# The same iterations written out in NumPy give the same numbers: this is all
# ``solver="gd"`` does on this problem.
w = b = 0.0
for _ in range(300):
    residual = w * X.ravel() + b - y
    w, b = w - eta * np.mean(residual * X.ravel()), b - eta * np.mean(residual)
print(f"NumPy after 300 steps: w = {w:.6f}, b = {b:.6f}")
print(f"fit() after 300 steps: w = {gd_path[-1, 0]:.6f}, b = {gd_path[-1, 1]:.6f}")
assert np.allclose([w, b], gd_path[-1])

# %%
# The loss surface and the objective
# ----------------------------------
# The loss surface is a long, narrow valley: the Hessian
# :math:`\frac{1}{n}\sum_i (x_i, 1)^\top (x_i, 1)` has eigenvalues 8.35 and
# 0.15. The first step of gradient descent (along the steep direction) lands
# near the valley's floor, close to the optimum; the rest is a slow crawl
# along the floor (the inset), since the step that is safe across the valley,
# :math:`1/L`, is small along it.
#
# Right: the objective of every iteration of full fits, from ``history_``. The
# optimum is 0 (the line fits exactly), so the curves are the suboptimality;
# gradient descent's falls by a constant factor per iteration (linear
# convergence). Heavy-ball momentum (``momentum=0.8``) zigzags across the
# valley but builds up speed along it, and needs about a fifth of the
# iterations; Newton's method, which uses the curvature, solves this quadratic
# in one step.
momentum = GDLinearRegression(solver=Momentum(momentum=0.8), tol=1e-8).fit(X, y)
newton = GDLinearRegression(solver="newton", tol=1e-8).fit(X, y)
for name, model in [("gd", reg), ("momentum", momentum), ("newton", newton)]:
    print(f"{name:>8}: {model.n_iter_:3d} iteration(s) to tol=1e-8")

ws, bs = np.meshgrid(np.linspace(-0.5, 3.5, 300), np.linspace(-1.0, 2.5, 300))
F = np.mean(0.5 * (ws[..., None] * X.ravel() + bs[..., None] - y) ** 2, axis=-1)
levels = np.logspace(-3, 1.5, 16)

fig, (ax, ax_curve) = plt.subplots(1, 2, figsize=(12, 5))
inset = ax.inset_axes([0.57, 0.05, 0.4, 0.45])
for axes in (ax, inset):
    axes.contour(ws, bs, F, levels=levels, cmap="viridis", linewidths=0.8)
    axes.plot(*gd_path.T, ".-", color="C3", markersize=4, lw=1, label="gd (first 300 iterations)")
    axes.plot(2, 1, "k*", markersize=12, label="optimum w = 2, b = 1")
inset.set_xlim(1.85, 2.25)
inset.set_ylim(0.55, 1.15)
inset.set_xticks([])
inset.set_yticks([])
ax.indicate_inset_zoom(inset, edgecolor="0.4")
ax.set_xlabel("w")
ax.set_ylabel("b")
ax.set_title("Loss surface F(w, b) and the iterates from (0, 0)")
ax.legend(loc="upper left", fontsize=8)

LossCurveDisplay.from_estimator(
    [reg, momentum], labels=["gd", "momentum 0.8"], ax=ax_curve, log_scale=True
)
ax_curve.set_title("Objective of the full fits (log scale)")
fig.tight_layout()
plt.show()
