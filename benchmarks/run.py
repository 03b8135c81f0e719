"""Side-by-side benchmark of sklearn_gd against scikit-learn and other peers.

Every case fits ours and a peer's estimator in this one process, on the same
data, for the same objective (the user guide's mapping: ``LogisticRegression(C=
1/(alpha*S))``, ``Ridge(alpha=alpha*S)``, ``Lasso(alpha=alpha)``,
``SGDClassifier(alpha=alpha)``), and reports both wall times (best of
``repeats``, the fits interleaved), their ratio ours/theirs, both final
objectives computed by one function of ours (:class:`sklearn_gd._objective.
Objective` on float64 data) and the iterations.

The L1 cases (``lasso``, ``l1logistic``) time every library *to the same
objective*: each is run at a ladder of tolerances, loosest first, and the time
reported is that of the first run whose objective is within a relative gap of
the best one known (a tight reference fit, or any run that did better).
celer and skglm are optional peers (``pip install ".[bench]"``): a peer that is
not installed is skipped, and the table says so.

Usage (from the repository root)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.run --size full
    python benchmarks/run.py --size tiny      # CI smoke test, times nothing

The table is printed; nothing is written unless ``--write`` is given, which
writes ``docs/benchmarks.md`` (``--output`` to change). BLAS and OpenMP are
limited to one thread on both sides by default (``--threads N`` to change,
``--threads 0`` for the libraries' defaults). ``--size tiny`` runs every case
on toy data in a few seconds to check the harness; its times mean nothing.
"""

import argparse
import gc
import os
import platform
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python benchmarks/run.py` from a checkout
    sys.path.insert(0, str(ROOT))

import sklearn  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import (  # noqa: E402
    LinearRegression,
    LogisticRegression,
    Ridge,
    SGDClassifier,
)
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

from sklearn_gd import (  # noqa: E402
    GDLinearRegression,
    GDLogisticRegression,
    GDSoftmaxClassifier,
)
from sklearn_gd._data import Design  # noqa: E402
from sklearn_gd._loss import LogisticLoss, MultinomialLoss, SquaredLoss  # noqa: E402
from sklearn_gd._objective import Objective  # noqa: E402
from sklearn_gd._penalty import ElasticNetPenalty  # noqa: E402

#: Problem sizes: rows (n) and features (d) of each data set, and repeats.
SIZES = {
    "tiny": dict(
        binary=(300, 10),
        softmax=(300, 10),
        lsq=(400, 10),
        sparse=(400, 50),
        sparse_wide=(400, 2_000),
        lasso=(300, 20),
        l1logistic=(300, 20),
        online=(300, 10),
        survey=(300, 10),
        survey_dask=(300, 5),
        repeats=1,
    ),
    "quick": dict(
        binary=(20_000, 200),
        softmax=(10_000, 200),
        lsq=(40_000, 200),
        sparse=(20_000, 1_000),
        sparse_wide=(20_000, 20_000),
        lasso=(20_000, 200),
        l1logistic=(20_000, 200),
        online=(5_000, 200),
        survey=(10_000, 50),
        survey_dask=(10_000, 20),
        repeats=3,
    ),
    "full": dict(
        binary=(200_000, 200),
        softmax=(100_000, 200),
        lsq=(400_000, 200),
        sparse=(200_000, 1_000),
        sparse_wide=(200_000, 100_000),
        lasso=(100_000, 500),
        l1logistic=(100_000, 500),
        online=(20_000, 200),
        survey=(20_000, 100),
        survey_dask=(20_000, 20),
        repeats=2,
    ),
}
N_CLASSES = 10
ALPHA = 1e-4  # classifiers and ridge: Ridge(alpha=ALPHA * S)
TOL = 1e-4  # both sides' default tolerance
SGD_EPOCHS = 5
SPARSE_DENSITY = 0.01
#: Stored entries per row of the wide (text-like) sparse case.
SPARSE_WIDE_ROW_NNZ = 50
#: The L1 cases: alpha = alpha_max / L1_ALPHA_DIVISOR (alpha_max: the smallest
#: alpha whose solution is all zeros), and the relative objective gap to the
#: best known objective at which each library's time is taken.
L1_ALPHA_DIVISOR = 20
L1_GAPS = {"lasso": 1e-8, "l1logistic": 1e-8}
#: Tolerances tried, loosest first, until the gap is reached.
TOL_LADDER = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-12)
#: A ladder stops once one of its fits took longer than this (seconds).
LADDER_BUDGET = 120.0
#: A case whose first round took longer than this (seconds) is not repeated.
REPEAT_BUDGET = 60.0

#: How the recorded runs are started: OpenBLAS' core-type overrides unset (see README).
BENCH_ENV = "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE"


# ------------------------------------------------------------------ data sets
def binary_data(n, d):
    X, y = make_classification(
        n_samples=n,
        n_features=d,
        n_informative=min(50, d // 2),
        n_redundant=min(10, d // 4),
        random_state=0,
    )
    return X, y


def softmax_data(n, d):
    X, y = make_classification(
        n_samples=n,
        n_features=d,
        n_informative=min(50, d // 2),
        n_redundant=min(10, d // 4),
        n_classes=N_CLASSES,
        n_clusters_per_class=1,
        random_state=0,
    )
    return X, y


def regression_data(n, d):
    X, y = make_regression(
        n_samples=n, n_features=d, n_informative=min(50, d), noise=10.0, random_state=0
    )
    return X, y


def sparse_data(n, d):
    rng = np.random.default_rng(0)
    X = sp.random(
        n, d, density=SPARSE_DENSITY, format="csr", random_state=rng, data_rvs=rng.standard_normal
    )
    w = rng.standard_normal(d)
    y = (X @ w + 0.5 * rng.standard_normal(n) > 0).astype(int)
    return X, y


def sparse_wide_data(n, d):
    """Text-like CSR: SPARSE_WIDE_ROW_NNZ positive entries a row, Zipf-like column use."""
    rng = np.random.default_rng(0)
    k = min(SPARSE_WIDE_ROW_NNZ, d)
    popularity = 1.0 / (np.arange(d) + 10.0)
    indices = rng.choice(d, size=n * k, p=popularity / popularity.sum()).astype(np.int32)
    data = np.abs(rng.standard_normal(n * k)) + 0.1
    X = sp.csr_matrix((data, indices, np.arange(0, n * k + 1, k)), shape=(n, d))
    X.sum_duplicates()
    X = sp.csr_matrix(X.multiply(1.0 / np.sqrt(X.multiply(X).sum(axis=1))))  # unit rows
    w = rng.standard_normal(d) * (rng.random(d) < 0.05) * 20
    y = (X @ w + 0.5 * rng.standard_normal(n) > 0).astype(int)
    return X, y


def lasso_data(n, d):
    X, y = make_regression(
        n_samples=n, n_features=d, n_informative=min(50, d // 4), noise=10.0, random_state=0
    )
    return X, y


# ------------------------------------------------------------ the objective
def objective_value(kind, X, y, coef, intercept, alpha, l1_ratio=0.0):
    """The package's objective (see the user guide) at ``(coef, intercept)``, by sklearn_gd.

    One function for both sides: ``coef`` is scikit-learn's layout
    (``(d,)``, ``(1, d)`` or ``(k, d)``), unweighted, float64 data.
    """
    X = X.astype(np.float64) if X.dtype != np.float64 else X
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
    if kind == "regression":
        Y, loss = np.asarray(y, dtype=np.float64).reshape(-1, 1), SquaredLoss()
    elif kind == "binary":
        classes, labels = np.unique(y, return_inverse=True)
        Y, loss = labels.reshape(-1, 1).astype(np.float64), LogisticLoss()
    else:
        classes, labels = np.unique(y, return_inverse=True)
        Y = np.eye(classes.shape[0])[labels]
        loss = MultinomialLoss()
    objective = Objective(
        Design(X, True), loss, Y, np.ones(X.shape[0]), ElasticNetPenalty(alpha, l1_ratio)
    )
    C = np.vstack([coef.T, intercept[None, :]])
    return objective.value(C.ravel())


def n_iter_of(model):
    n_iter = getattr(model, "n_iter_", None)
    if n_iter is None:
        return "-"
    return int(np.max(n_iter))


# --------------------------------------------------------------------- timing
def timed_fit(make, X, y):
    gc.collect()
    model = make()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return time.perf_counter() - start, model


def best_of(funcs, repeats):
    """Run each function ``repeats`` times, interleaved; best time and last result of each."""
    best = [np.inf] * len(funcs)
    results = [None] * len(funcs)
    for r in range(repeats):
        round_time = 0.0
        for i, func in enumerate(funcs):
            elapsed, result = func()
            best[i] = min(best[i], elapsed)
            results[i] = result
            round_time += elapsed
        if round_time > REPEAT_BUDGET and r == 0:
            break
    return best, results


def best_time(func, repeats):
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


# ---------------------------------------------------------------------- cases
class Table:
    def __init__(self):
        self.rows = []

    def add(self, **row):
        self.rows.append(row)
        print(format_row(row), flush=True)


def format_number(x, digits=4):
    if isinstance(x, str):
        return x
    if x is None:
        return "-"
    return f"{x:.{digits}g}"


def format_row(row):
    return " | ".join(
        [
            row["case"],
            row["ours"],
            row["theirs"],
            format_number(row.get("t_ours"), 3),
            format_number(row.get("t_theirs"), 3),
            format_number(row.get("ratio"), 3),
            format_number(row.get("f_ours"), 10),
            format_number(row.get("f_theirs"), 10),
            format_number(row.get("f_rel"), 2),
            str(row.get("it_ours", "-")),
            str(row.get("it_theirs", "-")),
            row.get("target", ""),
            row.get("met", ""),
        ]
    )


def compare(
    table,
    case,
    kind,
    X,
    y,
    ours_name,
    make_ours,
    theirs_name,
    make_theirs,
    repeats,
    target=None,
    f_tol=1e-6,
):
    """Fit both, record times, ratio, objectives and iterations; check ``target``."""
    (t_ours, t_theirs), (ours, theirs) = best_of(
        [lambda: timed_fit(make_ours, X, y), lambda: timed_fit(make_theirs, X, y)], repeats
    )
    alpha = ALPHA if kind != "ols" else 0.0
    kind_ = "regression" if kind == "ols" else kind
    f_ours = objective_value(kind_, X, y, ours.coef_, ours.intercept_, alpha)
    f_theirs = objective_value(kind_, X, y, theirs.coef_, theirs.intercept_, alpha)
    f_rel = (f_ours - f_theirs) / abs(f_theirs)
    ratio = t_ours / t_theirs
    row = dict(
        case=case,
        ours=ours_name,
        theirs=theirs_name,
        t_ours=t_ours,
        t_theirs=t_theirs,
        ratio=ratio,
        f_ours=f_ours,
        f_theirs=f_theirs,
        f_rel=f_rel,
        it_ours=n_iter_of(ours),
        it_theirs=n_iter_of(theirs),
    )
    if target is not None and f_tol is None:  # different methods: time only
        row["target"] = f"ratio <= {target:g}"
        row["met"] = "yes" if ratio <= target else "no"
    elif target is not None:
        row["target"] = f"ratio <= {target:g}, F_ours <= F_theirs (1 + {f_tol:g})"
        row["met"] = "yes" if ratio <= target and f_rel <= f_tol else "no"
    table.add(**row)
    return row


def logistic(solver, **kw):
    return lambda: GDLogisticRegression(solver=solver, alpha=ALPHA, tol=TOL, **kw)


def sk_logistic(solver, n):
    return lambda: LogisticRegression(solver=solver, C=1.0 / (ALPHA * n), tol=TOL, max_iter=1000)


def case_binary(table, size, repeats):
    n, d = size["binary"]
    X, y = binary_data(n, d)
    compare(
        table,
        f"binary logistic {n}x{d}",
        "binary",
        X,
        y,
        "lbfgs",
        logistic("lbfgs"),
        'LogisticRegression("lbfgs")',
        sk_logistic("lbfgs", n),
        repeats,
        target=0.5,
    )
    compare(
        table,
        f"binary logistic {n}x{d}",
        "binary",
        X,
        y,
        "newton",
        logistic("newton"),
        'LogisticRegression("newton-cholesky")',
        sk_logistic("newton-cholesky", n),
        repeats,
        target=1.0,
    )
    return X, y


def case_softmax(table, size, repeats):
    n, d = size["softmax"]
    X, y = softmax_data(n, d)
    name = f"softmax {N_CLASSES} classes {n}x{d}"
    for ours, theirs, target in [("lbfgs", "lbfgs", 0.5), ("newton", "newton-cholesky", 0.5)]:
        compare(
            table,
            name,
            "softmax",
            X,
            y,
            ours,
            lambda s=ours: GDSoftmaxClassifier(solver=s, alpha=ALPHA, tol=TOL),
            f'LogisticRegression("{theirs}") multinomial',
            sk_logistic(theirs, n),
            repeats,
            target=target,
        )


def case_least_squares(table, size, repeats):
    n, d = size["lsq"]
    X, y = regression_data(n, d)
    name = f"least squares {n}x{d}"
    for solver in ["lbfgs", "newton", "gd"]:
        compare(
            table,
            name,
            "regression",
            X,
            y,
            solver,
            lambda s=solver: GDLinearRegression(solver=s, alpha=ALPHA, tol=TOL),
            "Ridge(alpha=alpha*n)",
            lambda: Ridge(alpha=ALPHA * n),
            repeats,
            target=1.0 if solver != "gd" else None,
        )
    compare(
        table,
        name + ", alpha=0",
        "ols",
        X,
        y,
        "newton",
        lambda: GDLinearRegression(solver="newton", alpha=0.0, tol=TOL),
        "LinearRegression()",
        LinearRegression,
        repeats,
        target=1.0,
    )


def case_sgd(table, X, y, repeats):
    """Both for the same number of epochs: the time ratio is the epoch-time ratio."""
    n, d = X.shape
    # The compiled mini-batch epoch (numba) is compiled, or loaded from numba's
    # cache, at its first call: warm it up, so that no timed fit includes that.
    timed_fit(lambda: GDLogisticRegression(solver="sgd", max_iter=1), X[:2000], y[:2000])
    compare(
        table,
        f"binary logistic {n}x{d}, {SGD_EPOCHS} epochs",
        "binary",
        X,
        y,
        "sgd (batch 200)",
        lambda: GDLogisticRegression(
            solver="sgd", alpha=ALPHA, max_iter=SGD_EPOCHS, tol=0.0, random_state=0
        ),
        'SGDClassifier("log_loss")',
        lambda: SGDClassifier(
            loss="log_loss", alpha=ALPHA, max_iter=SGD_EPOCHS, tol=None, random_state=0
        ),
        repeats,
        target=0.8,
        f_tol=0.01,
    )


def case_gd_floor(table, X, y, repeats):
    """Time of one gd iteration against X @ w plus X.T @ r measured now."""
    n, d = X.shape
    w = np.linspace(-1, 1, d)
    r = np.linspace(-1, 1, n)
    floor = best_time(lambda: X @ w, 3 * repeats + 2) + best_time(lambda: X.T @ r, 3 * repeats + 2)
    few, many = 2, 12

    def fit(m):
        return lambda: timed_fit(
            lambda: GDLogisticRegression(solver="gd", alpha=ALPHA, max_iter=m, tol=0.0),
            X,
            y,
        )

    (t_few, t_many), _ = best_of([fit(few), fit(many)], repeats + 1)
    per_iteration = max(t_many - t_few, 0.0) / (many - few)
    ratio = per_iteration / floor
    table.add(
        case=f"one gd iteration, binary logistic {n}x{d}",
        ours="gd: (fit(12 it) - fit(2 it)) / 10",
        theirs="floor: X @ w + X.T @ r (numpy, 1-D)",
        t_ours=per_iteration,
        t_theirs=floor,
        ratio=ratio,
        target="ratio <= 1.3",
        met="yes" if ratio <= 1.3 else "no",
    )


def case_float32(table, X, y, repeats):
    n, d = X.shape
    X32 = X.astype(np.float32)
    (t32, t64), (m32, m64) = best_of(
        [lambda: timed_fit(logistic("lbfgs"), X32, y), lambda: timed_fit(logistic("lbfgs"), X, y)],
        repeats,
    )
    f32 = objective_value("binary", X, y, m32.coef_, m32.intercept_, ALPHA)
    f64 = objective_value("binary", X, y, m64.coef_, m64.intercept_, ALPHA)
    speedup = t64 / t32
    table.add(
        case=f"float32 vs float64, binary logistic {n}x{d}",
        ours="lbfgs float32",
        theirs="lbfgs float64 (ours)",
        t_ours=t32,
        t_theirs=t64,
        ratio=t32 / t64,
        f_ours=f32,
        f_theirs=f64,
        f_rel=(f32 - f64) / abs(f64),
        it_ours=n_iter_of(m32),
        it_theirs=n_iter_of(m64),
        target="float64 time / float32 time >= 1.6",
        met=f"{'yes' if speedup >= 1.6 else 'no'} ({speedup:.2f}x)",
    )


def case_sparse(table, size, repeats):
    """L2 logistic regression on CSR data: 1% dense, and wide text-like data."""
    n, d = size["sparse"]
    X, y = sparse_data(n, d)
    compare(
        table,
        f"sparse CSR {n}x{d}, density {SPARSE_DENSITY:g}",
        "binary",
        X,
        y,
        "lbfgs",
        logistic("lbfgs"),
        'LogisticRegression("lbfgs")',
        sk_logistic("lbfgs", n),
        repeats,
        target=0.7,
    )
    n, d = size["sparse_wide"]
    X, y = sparse_wide_data(n, d)
    compare(
        table,
        f"sparse CSR {n}x{d}, text-like, {X.nnz / n:.0f} entries a row",
        "binary",
        X,
        y,
        "lbfgs",
        logistic("lbfgs"),
        'LogisticRegression("lbfgs")',
        sk_logistic("lbfgs", n),
        repeats,
        target=0.7,
    )


def peak_memory(make, X, y):
    """Peak traced allocation during ``fit`` (numpy reports to tracemalloc)."""
    gc.collect()
    model = make()
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def case_memory(table, X, y):
    n, d = X.shape
    cases = [
        ("lbfgs", logistic("lbfgs"), 'LogisticRegression("lbfgs")', sk_logistic("lbfgs", n)),
        (
            "newton",
            logistic("newton"),
            'LogisticRegression("newton-cholesky")',
            sk_logistic("newton-cholesky", n),
        ),
        ("gd (10 iterations)", logistic("gd", max_iter=10), None, None),
    ]
    for name, make_ours, theirs_name, make_theirs in cases:
        ours = peak_memory(make_ours, X, y) / X.nbytes
        theirs = peak_memory(make_theirs, X, y) / X.nbytes if make_theirs else None
        table.add(
            case=f"peak memory above X ({X.nbytes / 2**20:.0f} MiB), binary {n}x{d}",
            ours=name,
            theirs=theirs_name or "-",
            t_ours=f"{ours:.3f} X.nbytes",
            t_theirs="-" if theirs is None else f"{theirs:.3f} X.nbytes",
            ratio=None if theirs is None else ours / theirs,
            target="ours <= 0.25 X.nbytes",
            met="yes" if ours <= 0.25 else "no",
        )


# ---------------------------------------------------------------- survey
#: The solvers of the optimiser survey, next to lbfgs, newton and adam.
SURVEY_SOLVERS = ("lbfgs", "newton", "adam", "adagrad", "rmsprop", "bfgs", "trust-region", "admm")
#: Row chunks of the dask array in the consensus-ADMM rows.
SURVEY_CHUNKS = 4
SURVEY_L1_RATIO = 0.5


def case_survey(table, size, repeats):
    """Every survey solver at its defaults on one L2 logistic problem, against
    LogisticRegression("lbfgs"); then elastic-net logistic ADMM on a dask array of
    SURVEY_CHUNKS row chunks (consensus ADMM, local Newton solves per chunk)
    against ADMM on the NumPy array and ista on the same dask array (map-reduce),
    on fewer features (the "survey_dask" size) and one round."""
    n, d = size["survey"]
    X, y = binary_data(n, d)
    case = f"survey: binary logistic {n}x{d}"
    peer_name = 'LogisticRegression("lbfgs")'
    t_peer, peer = best_of([lambda: timed_fit(sk_logistic("lbfgs", n), X, y)], repeats)
    t_peer, peer = t_peer[0], peer[0]
    f_peer = objective_value("binary", X, y, peer.coef_, peer.intercept_, ALPHA)
    for solver in SURVEY_SOLVERS:
        (t_ours,), (ours,) = best_of([lambda s=solver: timed_fit(logistic(s), X, y)], repeats)
        f_ours = objective_value("binary", X, y, ours.coef_, ours.intercept_, ALPHA)
        table.add(
            case=case,
            ours=solver,
            theirs=peer_name,
            t_ours=t_ours,
            t_theirs=t_peer,
            ratio=t_ours / t_peer,
            f_ours=f_ours,
            f_theirs=f_peer,
            f_rel=(f_ours - f_peer) / abs(f_peer),
            it_ours=n_iter_of(ours),
            it_theirs=n_iter_of(peer),
        )
    try:
        import dask
        import dask.array as da
    except ImportError:
        table.add(case=case, ours="-", theirs="admm on dask: skipped, dask is not installed")
        return
    alpha = 10 * ALPHA
    n, d = size["survey_dask"]
    X, y = binary_data(n, d)
    rows = -(-n // SURVEY_CHUNKS)
    Xd, yd = da.from_array(X, chunks=(rows, d)), da.from_array(y, chunks=rows)

    def make(solver):
        return lambda: GDLogisticRegression(
            solver=solver, alpha=alpha, l1_ratio=SURVEY_L1_RATIO, tol=TOL, max_iter=10_000
        )

    fits = [
        lambda: timed_fit(make("admm"), Xd, yd),
        lambda: timed_fit(make("admm"), X, y),
        lambda: timed_fit(make("ista"), Xd, yd),
    ]
    with dask.config.set(scheduler="threads"):  # one round: dask fits take seconds each
        times, models = best_of(fits, 1)
    values = [
        objective_value("binary", X, y, m.coef_, m.intercept_, alpha, SURVEY_L1_RATIO)
        for m in models
    ]
    name = f"elastic-net logistic {n}x{d}, l1_ratio {SURVEY_L1_RATIO}"
    mine = f"admm, dask {SURVEY_CHUNKS} chunks (consensus)"
    for i, theirs in [(1, "admm, NumPy"), (2, f"ista, dask {SURVEY_CHUNKS} chunks (map-reduce)")]:
        table.add(
            case=name,
            ours=mine,
            theirs=theirs,
            t_ours=times[0],
            t_theirs=times[i],
            ratio=times[0] / times[i],
            f_ours=values[0],
            f_theirs=values[i],
            f_rel=(values[0] - values[i]) / abs(values[i]),
            it_ours=n_iter_of(models[0]),
            it_theirs=n_iter_of(models[i]),
        )


# ------------------------------------------------------------------ L1 cases
class Peer:
    """An estimator to time: ``make(tol)`` builds it; ``params(model) -> (coef, intercept)``.

    ``requires`` names the optional package it comes from (skipped when missing).
    """

    def __init__(self, name, make, params=None, requires=None, ladder=TOL_LADDER):
        self.name = name
        self.make = make
        self.params = params or (lambda m: (m.coef_, m.intercept_))
        self.requires = requires
        self.ladder = ladder

    def missing(self):
        if self.requires is None:
            return False
        try:
            __import__(self.requires)
        except ImportError:
            return True
        return False


def l1_ours():
    """Our solvers that handle the L1 part and are deterministic, fastest first."""
    from sklearn_gd import SOLVERS

    order = ["cd", "ista"]
    return [name for name in order if name in SOLVERS and SOLVERS[name].supports_l1]


def time_to_gap(peer, X, y, objective, f_best, gap, repeats):
    """The first rung of ``peer.ladder`` whose objective is within ``gap`` of ``f_best``.

    Returns (time, objective, tol, iterations, reached); the time is the best of
    ``repeats`` fits at that tolerance.
    """
    last = None
    for tol in peer.ladder:
        elapsed, model = timed_fit(lambda t=tol: peer.make(t), X, y)
        f = objective(*peer.params(model))
        gap_now = (f - min(f, f_best[0])) / abs(f_best[0])
        print(f"  {peer.name}: tol {tol:g}, {elapsed:.3g} s, gap {gap_now:.2e}", flush=True)
        last = (elapsed, f, tol, n_iter_of(model), False)
        if (f - f_best[0]) <= gap * abs(f_best[0]):
            for _ in range(repeats - 1):
                again, _ = timed_fit(lambda t=tol: peer.make(t), X, y)
                elapsed = min(elapsed, again)
            return elapsed, f, tol, n_iter_of(model), True
        f_best[0] = min(f_best[0], f)
        if elapsed > LADDER_BUDGET:
            break
    return last


def compare_to_gap(table, case, X, y, ours, peers, objective, reference, gap, repeats):
    """Time ours and every peer to the same relative objective gap; one row per pair."""
    f_best = [objective(*reference)]
    available = []
    for peer in peers:
        if peer.missing():
            print(f"{case}: {peer.name} skipped ({peer.requires} is not installed)")
            table.add(case=case, ours="-", theirs=f"{peer.name}: skipped, not installed")
        else:
            available.append(peer)
    # Compiled (numba) code is compiled at the first call: warm every side up on
    # a few rows of the same layout, so that no timed fit includes compilation.
    rows = slice(0, min(X.shape[0], 200))
    X_small = X[rows] if sp.issparse(X) else np.asfortranarray(X[rows])
    for peer in ours + available:
        timed_fit(lambda p=peer: p.make(1e-3), X_small, y[rows])
    results = {}
    for peer in ours + available:
        results[peer.name] = time_to_gap(peer, X, y, objective, f_best, gap, repeats)
    best_theirs = min((results[p.name][0] for p in available if results[p.name][4]), default=None)
    for mine in ours:
        t_o, f_o, tol_o, it_o, ok_o = results[mine.name]
        for peer in available:
            t_t, f_t, tol_t, it_t, ok_t = results[peer.name]
            row = dict(
                case=f"{case}, to gap {gap:g}",
                ours=f"{mine.name} (tol {tol_o:g}{'' if ok_o else ', gap not reached'})",
                theirs=f"{peer.name} (tol {tol_t:g}{'' if ok_t else ', gap not reached'})",
                t_ours=t_o,
                t_theirs=t_t,
                ratio=t_o / t_t,
                f_ours=f_o,
                f_theirs=f_t,
                f_rel=(f_o - f_t) / abs(f_t),
                it_ours=it_o,
                it_theirs=it_t,
            )
            if best_theirs is not None and t_t == best_theirs:
                row["target"] = "ratio <= 1 against the fastest peer, both at the gap"
                row["met"] = "yes" if ok_o and t_o <= t_t else "no"
            table.add(**row)


def case_lasso(table, size, repeats):
    """Lasso at alpha_max / 20: ours against Lasso (coordinate descent), celer, skglm."""
    n, d = size["lasso"]
    X, y = lasso_data(n, d)
    X = np.asfortranarray(X)  # every coordinate-descent peer wants columns
    yc = y - y.mean()
    alpha = float(np.max(np.abs((X - X.mean(axis=0)).T @ yc)) / n) / L1_ALPHA_DIVISOR

    def objective(coef, intercept):
        return objective_value("regression", X, y, coef, intercept, alpha, 1.0)

    from sklearn.linear_model import Lasso

    max_iter = 100_000
    ours = [
        Peer(
            s,
            lambda tol, s=s: GDLinearRegression(
                solver=s, alpha=alpha, l1_ratio=1.0, tol=tol, max_iter=max_iter
            ),
        )
        for s in l1_ours()
    ]
    peers = [
        Peer(
            "Lasso (coordinate descent)", lambda tol: Lasso(alpha=alpha, tol=tol, max_iter=10_000)
        ),
        Peer("celer Lasso", lambda tol: _celer().Lasso(alpha=alpha, tol=tol), requires="celer"),
        Peer("skglm Lasso", lambda tol: _skglm().Lasso(alpha=alpha, tol=tol), requires="skglm"),
    ]
    reference = Lasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, y)
    compare_to_gap(
        table,
        f"lasso {n}x{d}, alpha = alpha_max/{L1_ALPHA_DIVISOR}",
        X,
        y,
        ours,
        peers,
        objective,
        (reference.coef_, reference.intercept_),
        L1_GAPS["lasso"],
        repeats,
    )


def _celer():
    import celer

    return celer


def _skglm():
    import skglm

    return skglm


def case_l1_logistic(table, size, repeats):
    """L1 logistic regression without intercept (liblinear would penalise it; celer has none)."""
    n, d = size["l1logistic"]
    X, y = make_classification(
        n_samples=n,
        n_features=d,
        n_informative=min(50, d // 4),
        n_redundant=min(10, d // 4),
        random_state=0,
    )
    X = np.asfortranarray(X)
    alpha = float(np.max(np.abs(X.T @ (y - 0.5))) / n) / L1_ALPHA_DIVISOR
    C = 1.0 / (alpha * n)

    def objective(coef, intercept):
        return objective_value("binary", X, y, coef, np.zeros(1), alpha, 1.0)

    ours = [
        Peer(
            s,
            lambda tol, s=s: GDLogisticRegression(
                solver=s,
                alpha=alpha,
                l1_ratio=1.0,
                tol=tol,
                max_iter=100_000,
                fit_intercept=False,
            ),
        )
        for s in l1_ours()
    ]

    def sk(solver, max_iter):
        return lambda tol: LogisticRegression(
            solver=solver, C=C, l1_ratio=1.0, tol=tol, max_iter=max_iter, fit_intercept=False
        )

    peers = [
        Peer('LogisticRegression("liblinear")', sk("liblinear", 10_000)),
        Peer('LogisticRegression("saga")', sk("saga", 10_000), ladder=TOL_LADDER[:6]),
        Peer(
            "celer LogisticRegression",
            lambda tol: _celer().LogisticRegression(C=C, tol=tol),
            requires="celer",
        ),
        Peer(
            "skglm SparseLogisticRegression",
            lambda tol: _skglm().SparseLogisticRegression(
                alpha=alpha, tol=tol, fit_intercept=False, max_iter=100
            ),
            requires="skglm",
        ),
    ]
    # The reference optimum: the better of two tight fits by different methods
    # (liblinear's coordinate descent, and ours when registered); every run
    # that does better lowers it further.
    references = [
        LogisticRegression(
            solver="liblinear", C=C, l1_ratio=1.0, tol=1e-8, max_iter=100_000, fit_intercept=False
        )
    ]
    if ours:
        references.append(ours[0].make(1e-10))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fits = [ref.fit(X, y) for ref in references]
    reference = min(fits, key=lambda m: objective(m.coef_, 0.0))
    compare_to_gap(
        table,
        f"L1 logistic {n}x{d}, alpha = alpha_max/{L1_ALPHA_DIVISOR}, no intercept",
        X,
        y,
        ours,
        peers,
        objective,
        (reference.coef_, 0.0),
        L1_GAPS["l1logistic"],
        repeats,
    )


# ---------------------------------------------------------- online learning
def case_online(table, size, repeats):
    """One epoch of per-sample updates (batch_size=1) against scikit-learn's SGD."""
    from sklearn.linear_model import SGDRegressor

    n, d = size["online"]
    X, y = binary_data(n, d)
    Xr, yr = regression_data(n, d)
    sk_clf = lambda: SGDClassifier(  # noqa: E731
        loss="log_loss", alpha=ALPHA, max_iter=1, tol=None, random_state=0
    )
    # The mini-batch epoch is compiled (numba), or loaded from numba's cache, at
    # its first call: warm it up on a few rows, so that no timed fit includes that.
    timed_fit(lambda: GDLogisticRegression(solver="sgd", batch_size=1, max_iter=1), X[:50], y[:50])
    # Adam and RMSProp at a fixed 1e-3, as in the runs recorded before their
    # auto rate took the batch size into account (it is about 0.003 here).
    rules = [("sgd", "auto"), ("momentum", "auto"), ("adam", 1e-3)]
    rules += [("adagrad", "auto"), ("rmsprop", 1e-3)]
    for solver, lr in rules:
        compare(
            table,
            f"online, 1 epoch, binary logistic {n}x{d}",
            "binary",
            X,
            y,
            f"{solver} (batch_size=1)",
            lambda s=solver, lr=lr: GDLogisticRegression(
                solver=s,
                alpha=ALPHA,
                batch_size=1,
                max_iter=1,
                tol=0.0,
                random_state=0,
                learning_rate=lr,
            ),
            'SGDClassifier("log_loss")',
            sk_clf,
            repeats,
            target=1.5,
            f_tol=None,
        )
    compare(
        table,
        f"online, 1 epoch, least squares {n}x{d}",
        "regression",
        Xr,
        yr,
        "sgd (batch_size=1)",
        lambda: GDLinearRegression(
            solver="sgd", alpha=ALPHA, batch_size=1, max_iter=1, tol=0.0, random_state=0
        ),
        "SGDRegressor()",
        lambda: SGDRegressor(alpha=ALPHA, max_iter=1, tol=None, random_state=0),
        repeats,
        target=1.5,
        f_tol=None,
    )


def case_partial_fit(table, size, repeats):
    """One call of partial_fit on the whole block (one epoch each)."""
    n, d = size["binary"]
    X, y = binary_data(n, d)
    classes = np.unique(y)
    # Warm up the compiled mini-batch epoch (see case_sgd).
    timed_fit(lambda: GDLogisticRegression(solver="sgd", max_iter=1), X[:2000], y[:2000])

    def fit_once(make):
        def run():
            gc.collect()
            model = make()
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.partial_fit(X, y, classes=classes)
            return time.perf_counter() - start, model

        return run

    (t_o, t_t), (ours, theirs) = best_of(
        [
            fit_once(lambda: GDLogisticRegression(solver="sgd", alpha=ALPHA, random_state=0)),
            fit_once(lambda: SGDClassifier(loss="log_loss", alpha=ALPHA, random_state=0)),
        ],
        repeats,
    )
    f_o = objective_value("binary", X, y, ours.coef_, ours.intercept_, ALPHA)
    f_t = objective_value("binary", X, y, theirs.coef_, theirs.intercept_, ALPHA)
    table.add(
        case=f"partial_fit, one block, binary logistic {n}x{d}",
        ours="sgd (default batch)",
        theirs='SGDClassifier("log_loss")',
        t_ours=t_o,
        t_theirs=t_t,
        ratio=t_o / t_t,
        f_ours=f_o,
        f_theirs=f_t,
        f_rel=(f_o - f_t) / abs(f_t),
        target="ratio <= 1",
        met="yes" if t_o <= t_t else "no",
    )


# --------------------------------------------------------------- the report
def blas_description():
    lines = []
    for info in threadpool_info():
        lines.append(
            f"{info.get('internal_api')} {info.get('version')} "
            f"(kernel/architecture: {info.get('architecture', '-')}, "
            f"threads: {info.get('num_threads')}, {Path(info.get('filepath', '')).name})"
        )
    return lines


def machine_description():
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    return [
        f"CPU: {cpu}; {os.cpu_count()} logical cores; {platform.platform()}",
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"scikit-learn {sklearn.__version__}",
        "BLAS (threadpoolctl): " + "; ".join(blas_description()),
        "OpenBLAS overrides in the environment: " + (str(env) if env else "none (unset)"),
    ]


HEADER = (
    "| case | ours | theirs | ours (s) | theirs (s) | ratio ours/theirs | F ours | F theirs "
    "| (F ours - F theirs) / F theirs | iterations ours | iterations theirs | target | met |"
)


#: Everything below this line of docs/benchmarks.md is kept when the table is rewritten.
NOTES_MARKER = "<!-- notes: written by hand, kept by benchmarks/run.py -->"


def to_markdown(table, size, command, elapsed, threads, notes=""):
    lines = [
        "# Benchmarks: sklearn_gd against scikit-learn",
        "",
        "The part above the notes is written by `benchmarks/run.py`. Every case fits ours and "
        "scikit-learn's estimator in one process, on the same data, for the same objective "
        "(`LogisticRegression(C=1/(alpha*n))`, `Ridge(alpha=alpha*n)`, `Lasso(alpha=alpha)`, "
        "`SGDClassifier(alpha=alpha)`), interleaved; times are the best of the repeats. "
        "Both objectives `F` are computed by one function (sklearn_gd's `Objective`, float64) "
        f"on the two coefficient sets. alpha = {ALPHA:g}, tol = {TOL:g} on both sides.",
        "",
        f"Size: `{size}`. Total run time: {elapsed:.0f} s. BLAS/OpenMP threads: "
        + ("as the libraries set them" if threads is None else f"limited to {threads}")
        + ", the same for both sides.",
        "",
        "Command:",
        "",
        "```",
        command,
        "```",
        "",
        "Machine:",
        "",
    ]
    lines += [f"- {line}" for line in machine_description()]
    lines += ["", HEADER, "|" + "---|" * 13]
    for row in table.rows:
        lines.append("| " + format_row(row) + " |")
    lines += ["", "Targets:", ""]
    for row in table.rows:
        if row.get("target"):
            lines.append(
                f"- {row['case']}, {row['ours']} vs {row['theirs']}: {row['target']}: "
                f"**{row['met']}** (ratio {format_number(row.get('ratio'), 3)})"
            )
    lines += ["", NOTES_MARKER, notes.rstrip("\n"), ""]
    return "\n".join(lines)


def existing_notes(path):
    """The hand-written notes of an existing report (below :data:`NOTES_MARKER`)."""
    try:
        text = Path(path).read_text()
    except OSError:
        return ""
    _, marker, notes = text.partition(NOTES_MARKER)
    return notes.strip("\n") if marker else ""


CASES = [
    "binary",
    "softmax",
    "lsq",
    "sgd",
    "gd",
    "float32",
    "sparse",
    "memory",
    "lasso",
    "l1logistic",
    "online",
    "partialfit",
    "survey",
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="quick")
    parser.add_argument(
        "--write", action="store_true", help="write the Markdown report (default: print only)"
    )
    # Accepted for the CI line of older checkouts; printing only is the default.
    parser.add_argument("--no-write", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated subset")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS and OpenMP threads of both sides (threadpoolctl); 0: the libraries' "
        "defaults (default: 1)",
    )
    args = parser.parse_args(argv)
    if args.write and args.no_write:
        parser.error("--write and --no-write contradict each other")
    threads = args.threads if args.threads > 0 else None
    if threads is not None:
        threadpool_limits(limits=threads)
    size = SIZES[args.size]
    repeats = args.repeats or size["repeats"]
    cases = args.cases.split(",")
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        parser.error(f"unknown cases {unknown}; choose among {','.join(CASES)}")
    start = time.perf_counter()
    for line in machine_description():
        print(line)
    if args.size == "tiny":
        print("size tiny: a smoke test of the harness; its times mean nothing")
    print(HEADER)
    table = Table()
    Xb = yb = None
    if any(c in cases for c in ("binary", "sgd", "gd", "float32", "memory")):
        n, d = size["binary"]
        Xb, yb = binary_data(n, d)
    if "binary" in cases:
        case_binary(table, size, repeats)
    if "softmax" in cases:
        case_softmax(table, size, repeats)
    if "lsq" in cases:
        case_least_squares(table, size, repeats)
    if "sgd" in cases:
        case_sgd(table, Xb, yb, repeats)
    if "gd" in cases:
        case_gd_floor(table, Xb, yb, repeats)
    if "float32" in cases:
        case_float32(table, Xb, yb, repeats)
    if "sparse" in cases:
        case_sparse(table, size, repeats)
    if "memory" in cases:
        case_memory(table, Xb, yb)
    if "lasso" in cases:
        case_lasso(table, size, repeats)
    if "l1logistic" in cases:
        case_l1_logistic(table, size, repeats)
    if "online" in cases:
        case_online(table, size, repeats)
    if "partialfit" in cases:
        case_partial_fit(table, size, repeats)
    if "survey" in cases:
        case_survey(table, size, repeats)
    elapsed = time.perf_counter() - start
    print(f"total {elapsed:.1f} s")
    if args.write:
        arguments = " ".join(argv if argv is not None else sys.argv[1:])
        command = f"{BENCH_ENV} python -m benchmarks.run {arguments}"
        notes = existing_notes(args.output)
        report = to_markdown(table, args.size, command, elapsed, threads, notes)
        Path(args.output).write_text(report)
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
