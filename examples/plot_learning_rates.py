"""Learning rate too small, about right and too large: three loss curves.

Full-batch gradient descent on one least-squares problem. ``1 / L`` (``L`` the
Lipschitz constant of the gradient, what ``learning_rate="auto"`` uses) is
about right; a tenth of it crawls; three times it makes the iterates oscillate
with a growing amplitude, and sklearn-gd stops that run after a few iterations
with a ``DivergenceError`` naming the learning rate and a smaller one to try.
The error carries the history up to the divergence, so it is plotted too.

Run with ``python examples/plot_learning_rates.py``; it writes
``plot_learning_rates.png`` (matplotlib's Agg backend, no display needed).
"""

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_gd import DivergenceError, GDLinearRegression, LossCurveDisplay  # noqa: E402

X, y = make_regression(n_samples=500, n_features=20, noise=10.0, random_state=0)
X = StandardScaler().fit_transform(X)
y = (y - y.mean()) / y.std()
warnings.simplefilter("ignore", ConvergenceWarning)  # the slow run is meant not to finish

# The step "auto" picks: 1 / L. Read it from a fit's history.
auto = GDLinearRegression(solver="gd", max_iter=1).fit(X, y)
step = auto.history_["learning_rate"][0]

histories, labels = [], []
for factor, name in [(0.1, "too small"), (1.0, "about right"), (3.0, "too large")]:
    model = GDLinearRegression(solver="gd", learning_rate=factor * step, max_iter=200, tol=1e-6)
    try:
        model.fit(X, y)
        histories.append(model.history_)
        outcome = f"converged={model.n_iter_ < 200} after {model.n_iter_} iterations"
    except DivergenceError as error:
        histories.append(error.history)
        outcome = f"stopped: {error}"
    labels.append(f"{name}: learning_rate={factor * step:.3g}")
    print(f"{labels[-1]} -> {outcome}")

display = LossCurveDisplay(histories, labels=labels).plot(log_scale=True)
display.ax_.set_title("Gradient descent: the learning rate decides")
display.figure_.savefig("plot_learning_rates.png", dpi=100)
plt.close(display.figure_)
print("wrote plot_learning_rates.png")
assert np.isfinite(histories[1]["objective"][-1])
