"""Every solver on one logistic-regression problem: the objective against time.

Each of sklearn-gd's solvers minimises the same objective (DESIGN.md section 1)
on the same standardised data; the plot shows how far each one is from the best
value any of them reached (the suboptimality, log scale) against wall-clock
time, from the estimators' ``history_``. ``adamw`` is left at ``alpha``'s
default like the others; with decoupled weight decay it settles slightly
elsewhere by design.

Run with ``python examples/plot_solver_comparison.py``; it writes
``plot_solver_comparison.png`` (matplotlib's Agg backend, no display needed).
"""

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import make_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklearn_gd import SOLVERS, GDLogisticRegression, LossCurveDisplay  # noqa: E402

X, y = make_classification(
    n_samples=2000, n_features=30, n_informative=10, flip_y=0.1, random_state=0
)
X = StandardScaler().fit_transform(X)

models = []
for solver in SOLVERS:
    model = GDLogisticRegression(solver=solver, alpha=1e-3, tol=1e-6, max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    models.append(model)
    print(
        f"{solver:>8}: {model.n_iter_:4d} iterations, {model.history_['time'][-1]:.3f} s, "
        f"objective {model.loss_curve_[-1]:.6f}"
    )

best = min(min(model.loss_curve_) for model in models)
display = LossCurveDisplay.from_estimator(models, x="time", log_scale=True, optimum=best - 1e-12)
display.ax_.set_title("Logistic regression, 2000 x 30: objective - best against time")
display.figure_.savefig("plot_solver_comparison.png", dpi=100)
plt.close(display.figure_)
print("wrote plot_solver_comparison.png")
