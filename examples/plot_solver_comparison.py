"""
==============================================
Every solver on one problem: objective vs time
==============================================

Each of sklearn-gd's eight solvers minimises the same objective (a binary
logistic regression with ``alpha=1e-3``, ``tol=1e-6``) on the same standardised
data, 5000 samples by 30 features. The plots show how far each one is from the
best value any of them reached (the suboptimality, log scale), against
wall-clock time and against iterations (epochs for the mini-batch solvers),
from the estimators' ``history_``.

* ``newton`` needs a handful of iterations, each of which forms and factors
  the Hessian; ``lbfgs`` a few more, cheaper ones. Both reach the tolerance.
* ``ista`` (FISTA's acceleration, with restarts) and ``momentum`` are
  accelerated first-order methods, far ahead of plain ``gd``, which crawls on
  this ill-conditioned problem and stops at ``max_iter``.
* ``sgd``, ``adam`` and ``adamw`` take many noisy steps per epoch: fast
  progress at first, then a plateau that their ``"adaptive"`` schedule answers
  with smaller steps until they stop. ``adamw`` applies the L2 part of the
  penalty as decoupled weight decay, so it settles at a slightly different
  point by design.

Timings on problems this small are only indicative; the ranking by
iterations is what carries over to larger data.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_gd import SOLVERS, GDLogisticRegression, LossCurveDisplay

# Ten of the 30 features are nearly linear combinations of others: even
# standardised, the problem is ill-conditioned (the condition number of X'X is
# about 3e4), as real data often are.
X, y = make_classification(
    n_samples=5000, n_features=30, n_informative=10, n_redundant=10, flip_y=0.05, random_state=0
)
X = X + 0.05 * np.random.RandomState(0).normal(size=X.shape)
X = StandardScaler().fit_transform(X)

models = []
for solver in SOLVERS:
    model = GDLogisticRegression(solver=solver, alpha=1e-3, tol=1e-6, max_iter=500, random_state=0)
    with warnings.catch_warnings():
        # gd and momentum do not reach tol=1e-6 within max_iter: that is the point
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    models.append(model)
    print(
        f"{solver:>8}: {model.n_iter_:4d} iterations, {model.history_['time'][-1]:.3f} s, "
        f"objective {model.loss_curve_[-1]:.6f}"
    )

# %%
# Suboptimality against time and against iterations.
best = min(min(model.loss_curve_) for model in models)
fig, (ax_time, ax_iter) = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
LossCurveDisplay.from_estimator(models, x="time", log_scale=True, optimum=best - 1e-12, ax=ax_time)
LossCurveDisplay.from_estimator(models, log_scale=True, optimum=best - 1e-12, ax=ax_iter)
ax_time.set_title("Objective - best, against time")
ax_iter.set_title("Objective - best, against iterations / epochs")
ax_iter.set_xscale("log")
ax_iter.get_legend().remove()
fig.tight_layout()
plt.show()
