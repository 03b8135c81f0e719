"""Demo: every estimator with every solver on scikit-learn's bundled data sets.

Run it with ``python -m sklearn_gd.demo``. This module belongs to no layer of
the package (data -> loss -> penalty -> objective -> solver -> estimator): it is
a user-facing demo that only uses the public estimator API, the way a user
would. Nothing is downloaded; the data sets ship with scikit-learn.

For each data set it holds out a quarter of the samples
(``train_test_split(random_state=0)``), fits
``make_pipeline(StandardScaler(), estimator)`` on the rest with each solver of
:data:`sklearn_gd.SOLVERS` (``random_state=0`` for the stochastic ones) with
the settings the user guide recommends for it (:func:`solver_settings`: the
defaults, and for the first-order solvers more iterations and scikit-learn
SGD's ``tol=1e-3``), and prints one row per fit: the test score (R^2 for
regression, accuracy for classification), the iterations or epochs run
(``n_iter_``), the fit time, the last value of the training objective
(``loss_curve_[-1]``) and whether the solver met its stopping criterion
(``ok``) or emitted a ``ConvergenceWarning`` (``warn``). No warning is
filtered: a ``warn`` row is a fit that stopped short.

The fits run with one BLAS thread (``threadpoolctl.threadpool_limits``): on
data this small, BLAS threads cost more than they save, and the full-batch
solvers' times would mostly measure that overhead.
"""

import textwrap
import time
import warnings

from sklearn.base import is_regressor
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_gd import (
    SOLVERS,
    DivergenceError,
    GDLinearRegression,
    GDLogisticRegression,
    GDSoftmaxClassifier,
)
from sklearn_gd.solvers import solvers_with

#: (estimator class, data set name, loader).
CASES = [
    (GDLinearRegression, "diabetes", load_diabetes),
    (GDLogisticRegression, "breast_cancer", load_breast_cancer),
    (GDLogisticRegression, "iris (OvR)", load_iris),
    (GDSoftmaxClassifier, "iris", load_iris),
]

#: Column titles, widths and alignments ("<" left, ">" right) of the printed table.
COLUMNS = [
    ("estimator", 20, "<"),
    ("dataset", 13, "<"),
    ("solver", max(map(len, SOLVERS)), "<"),
    ("test score", 10, ">"),
    ("n_iter", 6, ">"),
    ("fit ms", 7, ">"),
    ("objective", 11, ">"),
    ("converged", 9, "<"),
]


def _format_row(values):
    cells = [
        f"{value!s:{align}{width}}"
        for (_, width, align), value in zip(COLUMNS, values, strict=True)
    ]
    return "  ".join(cells).rstrip()


#: The first-order solvers (those with a learning-rate schedule: gd, sgd, momentum,
#: adam, adamw, adagrad, rmsprop) need many more iterations than the others for
#: a gradient below the default tol=1e-4 on these small, ill-conditioned
#: problems; tol=1e-3 is scikit-learn SGD's default.
FIRST_ORDER_SETTINGS = {"max_iter": 5000, "tol": 1e-3}

#: Advice printed after the table.
ADVICE = (
    "Which solver: keep the default lbfgs for smooth problems; newton for up to a few "
    "thousand coefficients (fewest iterations, most accurate); cd (or ista, admm) for "
    "l1_ratio > 0; sgd or adam for many samples, or a stream (partial_fit); gd and "
    "momentum are the textbook references, thousands of iterations here."
)


def solver_settings(solver):
    """The estimator parameters the demo fits ``solver`` with (beyond ``solver`` itself).

    ``random_state=0`` for every solver; :data:`FIRST_ORDER_SETTINGS` for
    the first-order solvers.
    """
    settings = {"random_state": 0}
    if SOLVERS[solver].uses_schedule:
        settings.update(FIRST_ORDER_SETTINGS)
    return settings


def fit_one(estimator_class, solver, X_train, y_train, X_test, y_test):
    """Fit one pipeline; return the cells of its row after the first two.

    ConvergenceWarnings are caught and reported as ``"warn"`` instead of being
    printed; any other warning is shown as usual.
    """
    estimator = estimator_class(solver=solver, **solver_settings(solver))
    pipeline = make_pipeline(StandardScaler(), estimator)
    if is_regressor(pipeline):
        # Standardise the target too, as one does for any gradient method.
        pipeline = TransformedTargetRegressor(pipeline, transformer=StandardScaler())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        try:
            pipeline.fit(X_train, y_train)
        except DivergenceError:
            elapsed_ms = 1000 * (time.perf_counter() - start)
            return [solver, "-", "-", f"{elapsed_ms:.1f}", "-", "diverged"]
        elapsed_ms = 1000 * (time.perf_counter() - start)
    converged = "ok"
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            converged = "warn"
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    score = pipeline.score(X_test, y_test)
    fitted = pipeline.regressor_ if hasattr(pipeline, "regressor_") else pipeline
    estimator = fitted[-1]
    objective = estimator.loss_curve_[-1] if estimator.loss_curve_ else float("nan")
    return [
        solver,
        f"{score:.4f}",
        estimator.n_iter_,
        f"{elapsed_ms:.1f}",
        f"{objective:.6g}",
        converged,
    ]


def main():
    """Fit every estimator with every solver, with one BLAS thread, and print the table."""
    with threadpool_limits(limits=1, user_api="blas"):
        _table()


def _table():
    start = time.perf_counter()
    header = _format_row([title for title, _, _ in COLUMNS])
    print(header)
    print("-" * len(header))
    n_fits = 0
    for i, (estimator_class, dataset, loader) in enumerate(CASES):
        if i:
            print()
        X, y = loader(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
        for solver in SOLVERS:
            cells = fit_one(estimator_class, solver, X_train, y_train, X_test, y_test)
            print(_format_row([estimator_class.__name__, dataset, *cells]), flush=True)
            n_fits += 1
    total = time.perf_counter() - start
    print()
    print("test score: R^2 for GDLinearRegression, accuracy for the classifiers.")
    print("objective: last entry of loss_curve_ (the training objective with the penalty;")
    print(f"  the epoch mean over mini-batches for {'/'.join(solvers_with('stochastic'))}).")
    print("converged: 'ok' = the solver met its stopping criterion; 'warn' = it emitted a")
    print("  ConvergenceWarning (usually: max_iter reached first).")
    first_order = "/".join(name for name in SOLVERS if "max_iter" in solver_settings(name))
    settings = ", ".join(f"{key}={value:g}" for key, value in FIRST_ORDER_SETTINGS.items())
    print(f"settings: the defaults; {first_order} with {settings}.")
    print("BLAS threads: 1 (threadpoolctl.threadpool_limits); on data this small more threads")
    print("  only add overhead, which the full-batch solvers' times would show.")
    print("GDLinearRegression is fitted on a standardised target (TransformedTargetRegressor);")
    print("  its objective is in those units.")
    print(f"{n_fits} fits in {total:.1f} s.")
    print()
    print(textwrap.fill(ADVICE, 88))


if __name__ == "__main__":
    main()
