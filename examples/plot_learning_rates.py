"""
===============================================
Learning rate too small, about right, too large
===============================================

Full-batch gradient descent (``solver="gd"``) on one least-squares problem,
with three learning rates. ``1 / L`` (``L`` the Lipschitz constant of the
gradient, what ``learning_rate="auto"`` uses) is about right; a tenth of it
crawls; three times it makes the iterates oscillate with a growing amplitude,
and sklearn-gd stops that run after a few iterations with a
:class:`~sklearn_gd.DivergenceError` naming the learning rate and a smaller
one to try. The error carries the history up to the divergence, so it is
plotted too.

On a quadratic objective, with ``L`` the largest eigenvalue of its Hessian,
gradient descent converges for every step below ``2 / L`` and diverges (from
almost every starting point) above it; ``1 / L`` guarantees a decrease of the
objective at every iteration of any objective whose gradient is
``L``-Lipschitz.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_gd import DivergenceError, GDLinearRegression, LossCurveDisplay

X, y = make_regression(n_samples=500, n_features=20, noise=10.0, random_state=0)
X = StandardScaler().fit_transform(X)
y = (y - y.mean()) / y.std()

# %%
# The step ``"auto"`` picks is ``1 / L``; a fit's ``history_`` records it.
auto = GDLinearRegression(solver="gd", max_iter=1)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # one iteration, on purpose
    auto.fit(X, y)
step = auto.history_["learning_rate"][0]
print(f"learning_rate='auto' is 1/L = {step:.4g}")

# %%
# Three fits, at a tenth of that step, at it, and at three times it.
histories, labels = [], []
for factor, name in [(0.1, "too small"), (1.0, "about right"), (3.0, "too large")]:
    model = GDLinearRegression(solver="gd", learning_rate=factor * step, max_iter=200, tol=1e-6)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # the slow run won't finish
            model.fit(X, y)
        histories.append(model.history_)
        converged = model.history_["optimality"][-1] <= model.tol
        outcome = f"converged={converged} after {model.n_iter_} iterations"
    except DivergenceError as error:
        histories.append(error.history)
        outcome = f"DivergenceError: {error}"
    labels.append(f"{name}: learning_rate={factor * step:.3g}")
    print(f"{labels[-1]}\n    -> {outcome}")

# %%
# The objective per iteration. The small step is still far from the optimum
# after 200 iterations; the large one grows until sklearn-gd stops it.
display = LossCurveDisplay(histories, labels=labels).plot(log_scale=True)
display.ax_.set_title("Gradient descent: the learning rate decides")
plt.show()
assert np.isfinite(histories[1]["objective"][-1])
