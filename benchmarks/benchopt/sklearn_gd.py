"""sklearn-gd as a benchopt solver, for benchopt's linear-model benchmarks.

Copy this file into a benchmark's ``solvers/`` folder (``benchmark_logreg_l2``,
``benchmark_logreg_l1``, ``benchmark_lasso`` or ``benchmark_ridge``) and run, e.g.::

    benchopt run . -s sklearn-gd -s sklearn -d simulated --no-plot

The benchmark is recognised by its objective's name; its objective, a sum over the
``n`` rows plus ``lmbd`` times the penalty, is sklearn-gd's mean over the rows with
``alpha = lmbd / n``:

========================== ======================= ========= ==========
benchmark objective        sklearn-gd estimator    alpha     l1_ratio
========================== ======================= ========= ==========
L2 Logistic Regression     GDLogisticRegression    lmbd / n  0
Sparse Logistic Regression GDLogisticRegression    lmbd / n  1
Lasso Regression           GDLinearRegression      lmbd / n  1
Ridge Regression           GDLinearRegression      lmbd / n  0
========================== ======================= ========= ==========

The solvers compared are the deterministic ones of sklearn-gd's registry that take the
benchmark's penalty (those with ``supports_l1`` for the L1 benchmarks); each run fits
from scratch with ``max_iter=n_iter`` and ``tol=0``, so a curve point costs a whole fit,
validation included, as it does for the benchmarks' scikit-learn solvers.
"""

from benchopt import BaseSolver, safe_import_context

with safe_import_context() as import_ctx:
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning

    from sklearn_gd import SOLVERS, GDLinearRegression, GDLogisticRegression

#: benchopt objective name -> (estimator, l1_ratio).
PROBLEMS = {
    "L2 Logistic Regression": (GDLogisticRegression, 0.0),
    "Sparse Logistic Regression": (GDLogisticRegression, 1.0),
    "Lasso Regression": (GDLinearRegression, 1.0),
    "Ridge Regression": (GDLinearRegression, 0.0),
}


class Solver(BaseSolver):
    """sklearn-gd's deterministic solvers (scikit-learn-compatible linear models)."""

    name = "sklearn-gd"
    sampling_strategy = "iteration"
    install_cmd = "conda"
    requirements = ["pip::sklearn-gd"]
    parameters = {"solver": [name for name, cls in SOLVERS.items() if not cls.stochastic]}
    parameter_template = "{solver}"

    def skip(self, X, y, lmbd, fit_intercept=False):
        estimator, l1_ratio = PROBLEMS[self._objective.name]
        if l1_ratio > 0 and not SOLVERS[self.solver].supports_l1:
            return True, f"solver={self.solver!r} does not take an L1 penalty"
        return False, None

    def set_objective(self, X, y, lmbd, fit_intercept=False):
        estimator, l1_ratio = PROBLEMS[self._objective.name]
        self.n_coef = X.shape[1] + fit_intercept
        self.fit_intercept = fit_intercept
        self.X, self.y = X, y
        self.model = estimator(
            solver=self.solver,
            alpha=lmbd / X.shape[0],
            l1_ratio=l1_ratio,
            fit_intercept=fit_intercept,
            tol=0.0,
        )
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        self.run(1)  # numba's compilation and the first imports, outside the timings

    def run(self, n_iter):
        if n_iter == 0:
            self.coef = np.zeros(self.n_coef)
            return
        self.model.set_params(max_iter=n_iter).fit(self.X, self.y)
        coef = self.model.coef_.ravel()
        if self.fit_intercept:
            coef = np.r_[coef, np.ravel(self.model.intercept_)]
        self.coef = coef

    def get_result(self):
        return dict(beta=self.coef)
