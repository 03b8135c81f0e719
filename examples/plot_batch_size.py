r"""
=================================
Batch, mini-batch and online SGD
=================================

Stochastic gradient descent (``solver="sgd"``) estimates the gradient of the
objective from ``batch_size`` rows at a time instead of all :math:`n`:

* ``batch_size=n``: **batch** learning, the exact gradient, one update per
  pass over the data (epoch); this is plain gradient descent;
* ``batch_size=32``: **mini-batch** learning, :math:`n / 32` updates per epoch;
* ``batch_size=1``: **online** learning, one update per row, :math:`n` per
  epoch.

A batch gradient :math:`g_B = \frac{1}{|B|} \sum_{i \in B} \nabla \ell_i` is an
unbiased estimate of the full gradient whose variance falls as :math:`1 / |B|`.
Smaller batches take more, cheaper, noisier steps per epoch. This example runs
the three on one logistic-regression problem, with the same constant learning
rate, and compares the objective against epochs and against seconds, and how
noisy each is across random shuffles.
"""

# %%
# The problem and its optimum
# ---------------------------
# 1,000 rows and 10 standardised features, an L2 penalty ``alpha=1e-3`` so
# that the optimum is unique; ``lbfgs`` finds the optimal objective
# :math:`F^*` to compare against.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.callback import ScoringMonitor
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from sklearn_gd import GDLogisticRegression

X, y = make_classification(
    n_samples=1000, n_features=10, n_informative=6, flip_y=0.05, random_state=0
)
X = StandardScaler().fit_transform(X)
n = X.shape[0]
alpha = 1e-3


def objective(model):
    """The objective on all the data: mean cross-entropy plus alpha / 2 * ||w||^2."""
    return log_loss(y, model.predict_proba(X)) + alpha / 2 * np.sum(model.coef_**2)


best = GDLogisticRegression(solver="lbfgs", alpha=alpha, tol=1e-10).fit(X, y)
f_star = objective(best)
print(f"optimal objective F* = {f_star:.6f}")

# %%
# Recording the objective after every epoch
# -----------------------------------------
# ``history_["objective"]`` of a mini-batch run is the mean of the batch
# objectives seen during each epoch, while the coefficients move: a noisy,
# lagging estimate. To see the objective of the coefficients themselves,
# scikit-learn's :class:`~sklearn.callback.ScoringMonitor` (a fit callback,
# ``set_callbacks``, scikit-learn >= 1.9) evaluates it on all the data at the
# end of every epoch, on a copy of the estimator holding that epoch's
# coefficients. The time it takes is not counted in ``history_["time"]``.


def full_objective(model, X, y, **metadata):
    """The objective of the model on all the data, logged as a score."""
    return {"objective": objective(model)}


# %%
# Three batch sizes, one learning rate
# ------------------------------------
# ``schedule="constant"`` keeps the step fixed, so each run shows its noise
# rather than a step that shrinks it away. Which step is safe depends on the
# curvature a step meets: :math:`L`, the largest curvature of the objective on
# all the data, for the batch run; the curvature of a single row's loss,
# :math:`L_i = (\lVert x_i \rVert^2 + 1) / 4 + \alpha` for the logistic loss,
# for an online step, which is several times larger. The common step 0.1 is far
# below :math:`1 / L`, so the batch run is safe but slow, and below
# :math:`1 / L_i` for most rows (not for the steepest ones), so the online run
# is noisy but does not blow up; a larger common step would speed up the batch
# run and throw the online run about more. 15 epochs each, and three random
# shuffles (``random_state``) for the stochastic runs; the batch run is
# deterministic.
learning_rate, n_epochs, seeds = 0.1, 15, [0, 1, 2]
X1 = np.hstack([X, np.ones((n, 1))])  # the intercept's column
inverse_L = 1 / (np.linalg.eigvalsh(X1.T @ X1 / n).max() / 4 + alpha)
inverse_L_rows = 1 / (np.sum(X1**2, axis=1) / 4 + alpha)
print(f"learning_rate = {learning_rate}, 1 / L = {inverse_L:.3f}")
print(
    f"1 / L_i over the rows: median {np.median(inverse_L_rows):.3f}, "
    f"smallest {inverse_L_rows.min():.3f}; {np.mean(inverse_L_rows < learning_rate):.1%} "
    "of the rows are below the step"
)
runs = {}
for batch_size, label in [
    (n, f"batch (batch_size={n})"),
    (32, "mini-batch (32)"),
    (1, "online (1)"),
]:
    curves, times = [], []
    for seed in seeds if batch_size < n else seeds[:1]:
        monitor = ScoringMonitor(scoring=full_objective)
        model = GDLogisticRegression(
            solver="sgd",
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            schedule="constant",
            max_iter=n_epochs,
            n_iter_no_change=n_epochs,  # no early end on a plateau: all 15 epochs
            random_state=seed,
        ).set_callbacks(monitor)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # stops at max_iter on purpose
            model.fit(X, y, coef_init=np.zeros((1, X.shape[1])), intercept_init=[0.0])
        epochs = [row for row in monitor.get_logs().data if row["task_name"] == "iteration"]
        curves.append(np.array([row["objective"] for row in epochs]) - f_star)
        times.append(model.history_["time"])
    runs[label] = (np.array(curves), np.array(times))
    updates = int(np.ceil(n / batch_size))
    final = runs[label][0][:, -1]
    print(
        f"{label:>26}: {updates:4d} updates per epoch, "
        f"{1e3 * times[0][-1] / n_epochs:6.1f} ms per epoch, "
        f"F - F* after {n_epochs} epochs: {final.mean():.2e}"
        + (
            f" (spread over shuffles {final.min():.1e} to {final.max():.1e})"
            if len(final) > 1
            else ""
        )
    )

# %%
# Read the printed lines with the figure below. The online run takes a
# thousand steps per epoch, so within its first epoch it is already where it
# will stay: each step follows the gradient of a single row, which does not
# vanish at the optimum, so with a constant step the iterate keeps jumping
# around the optimum at a *noise floor*, different for every shuffle (the
# shaded bands run from the best to the worst of the three shuffles). The
# mini-batch run averages 32 rows per step, a gradient noise 32 times smaller
# in variance, and settles at a much lower floor after a few epochs. The batch
# run has no noise at all and keeps descending, but by one small step per
# epoch. Against seconds, the online run pays for its many updates: each costs
# about as much as a mini-batch update on data this small, where the fixed
# cost of an update dominates. (The times are wall-clock seconds on the
# machine that built these pages, which may be busy: a sudden jump along one
# curve is most likely another process taking the processor.) A step that
# decreases over the epochs (the default ``"adaptive"`` schedule of ``sgd``,
# or ``"invscaling"``) takes the stochastic runs below their floors.
fig, (ax_epoch, ax_time) = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
for (label, (curves, times)), color in zip(runs.items(), ["C0", "C1", "C3"], strict=True):
    epochs = np.arange(1, n_epochs + 1)
    start = np.log(2) - f_star  # the objective at w = 0, b = 0, where every run starts
    ax_epoch.plot(
        np.r_[0, epochs],
        np.r_[start, np.median(curves, axis=0)],
        "o-",
        color=color,
        ms=3,
        label=label,
    )
    ax_time.plot(np.median(times, axis=0), np.median(curves, axis=0), "o-", color=color, ms=3)
    if len(curves) > 1:
        ax_epoch.fill_between(epochs, curves.min(0), curves.max(0), color=color, alpha=0.25)
ax_epoch.set_yscale("log")
ax_epoch.set_xlabel("epoch (passes over the data)")
ax_epoch.set_ylabel("F - F*  (objective on all the data; median of the shuffles)")
ax_epoch.set_title(f"Constant learning_rate={learning_rate}")
ax_epoch.legend()
ax_time.set_xscale("log")
ax_time.set_xlabel("seconds (history_['time'])")
ax_time.set_title("The same runs against time")
fig.tight_layout()
plt.show()
