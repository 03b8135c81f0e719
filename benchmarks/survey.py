"""Iterations and time to the optimum of the survey's solvers next to lbfgs, newton and adam.

Run: ``OPENBLAS_NUM_THREADS=1 python -m benchmarks.survey [--case NAME ...]``.
Each row: the fit's iterations (epochs for the stochastic rules), its wall time,
that time as a ratio to lbfgs's (or ista's for the L1 case) in the same
process, and how much of the objective gap from zero it left,
``(F(fit) - F*) / (F(0) - F*)``, with ``F*`` the best objective any solver reached.
"""

import argparse
import time
import warnings

import numpy as np

from sklearn_gd import GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier
from sklearn_gd._data import Design
from sklearn_gd._loss import LogisticLoss, MultinomialLoss, SquaredLoss
from sklearn_gd._objective import Objective
from sklearn_gd._penalty import ElasticNetPenalty


def data(kind, n, d, seed=0, k=5):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((n, d))
    X = (base + 0.5 * base[:, [0]]) * np.geomspace(0.1, 10, d)  # correlated, scales 1e-1..1e1
    w = rng.standard_normal((d, k)) / np.geomspace(0.1, 10, d)[:, None] / np.sqrt(d)
    Z = X @ w
    if kind == "regression":
        return X, Z[:, 0] + 0.5 * rng.standard_normal(n)
    if kind == "binary":
        return X, (Z[:, 0] + rng.logistic(size=n) > 0).astype(int)
    return X, np.argmax(Z + rng.gumbel(size=Z.shape), axis=1)


def objective_of(est, X, y, kind, alpha, l1_ratio):
    loss = {"regression": SquaredLoss(), "binary": LogisticLoss(), "softmax": MultinomialLoss()}
    if kind == "regression":
        Y = y[:, None]
    elif kind == "binary":
        Y = (y == est.classes_[1]).astype(float)[:, None]
    else:
        Y = (y[:, None] == est.classes_[None, :]).astype(float)
    obj = Objective(
        Design(X, True), loss[kind], Y, np.ones(len(y)), ElasticNetPenalty(alpha, l1_ratio)
    )
    W = np.atleast_2d(est.coef_)
    W = W.T if W.shape[0] != X.shape[1] else W
    theta = np.vstack([W, np.atleast_1d(est.intercept_)[None, :]]).ravel()
    return obj.value(theta), obj.value(np.zeros_like(theta))


ESTIMATOR = {
    "regression": GDLinearRegression,
    "binary": GDLogisticRegression,
    "softmax": GDSoftmaxClassifier,
}

CASES = {
    # name: (kind, n, d, alpha, l1_ratio, solvers)
    "binary": (
        "binary",
        5000,
        50,
        1e-3,
        0.0,
        ["lbfgs", "newton", "bfgs", "trust-region", "admm", "adam", "adagrad", "rmsprop"],
    ),
    "softmax": (
        "softmax",
        5000,
        50,
        1e-3,
        0.0,
        ["lbfgs", "newton", "bfgs", "trust-region", "admm", "adam", "adagrad", "rmsprop"],
    ),
    "lsq": (
        "regression",
        5000,
        50,
        1e-3,
        0.0,
        ["lbfgs", "newton", "bfgs", "trust-region", "admm", "adam", "adagrad", "rmsprop"],
    ),
    "lasso": ("regression", 5000, 100, 0.01, 1.0, ["ista", "admm", "adam", "adagrad", "rmsprop"]),
    "l1-logistic": ("binary", 5000, 100, 0.002, 1.0, ["ista", "admm", "adam", "adagrad"]),
}


def run(name, tol, repeats):
    kind, n, d, alpha, l1_ratio, solvers = CASES[name]
    X, y = data(kind, n, d)
    rows = []
    for solver in solvers:
        cls = ESTIMATOR[kind]
        stochastic = solver in ("adam", "adagrad", "rmsprop")
        kw = dict(
            alpha=alpha, l1_ratio=l1_ratio, random_state=0, max_iter=1000 if stochastic else 10_000
        )
        kw["tol"] = 1e-6 if stochastic else tol
        best = np.inf
        for _ in range(repeats):
            est = cls(solver=solver, **kw)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                start = time.perf_counter()
                est.fit(X, y)
                best = min(best, time.perf_counter() - start)
        value, zero = objective_of(est, X, y, kind, alpha, l1_ratio)
        rows.append((solver, est.n_iter_, best, value, zero, bool(caught)))
    f_star = min(r[3] for r in rows)
    reference = rows[0][2]
    print(f"\n{name}: {kind} n={n} d={d} alpha={alpha} l1_ratio={l1_ratio} tol={tol:g}")
    print(f"{'solver':14s} {'iter':>7s} {'time s':>8s} {'/ ' + rows[0][0]:>9s} {'gap left':>9s}")
    for solver, n_iter, t, value, zero, warned in rows:
        gap = (value - f_star) / (zero - f_star)
        flag = "  (ConvergenceWarning)" if warned else ""
        print(f"{solver:14s} {n_iter:7d} {t:8.3f} {t / reference:9.2f} {gap:9.1e}{flag}")


def bfgs_scaling(repeats):
    """Where lbfgs overtakes bfgs: binary logistic, n=5000, growing d."""
    print("\nbfgs vs lbfgs: binary logistic n=5000, alpha=1e-3, tol=1e-6")
    head = ["bfgs it", "lbfgs it", "bfgs s", "lbfgs s"]
    print(f"{'n_coef':>7s} " + " ".join(f"{h:>8s}" for h in head) + f" {'ratio':>6s}")
    for d in [20, 100, 300, 1000, 2000]:
        X, y = data("binary", 5000, d, seed=1)
        out = {}
        for solver in ["bfgs", "lbfgs"]:
            best = np.inf
            for _ in range(repeats):
                est = GDLogisticRegression(solver=solver, alpha=1e-3, tol=1e-6, max_iter=10_000)
                start = time.perf_counter()
                est.fit(X, y)
                best = min(best, time.perf_counter() - start)
            out[solver] = (est.n_iter_, best)
        (bi, bt), (li, lt) = out["bfgs"], out["lbfgs"]
        print(f"{d + 1:7d} {bi:8d} {li:8d} {bt:8.3f} {lt:8.3f} {bt / lt:6.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", choices=[*CASES, "bfgs-scaling"])
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    for name in args.case or [*CASES, "bfgs-scaling"]:
        if name == "bfgs-scaling":
            bfgs_scaling(args.repeats)
        else:
            run(name, args.tol, args.repeats)


if __name__ == "__main__":
    main()
