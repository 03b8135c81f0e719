"""Side-by-side benchmark of sklearn_gd against scikit-learn (issue 5).

Every case fits ours and scikit-learn's estimator in this one process, on the
same data, for the same objective (DESIGN.md section 1: ``LogisticRegression(C=
1/(alpha*S))``, ``Ridge(alpha=alpha*S)``, ``SGDClassifier(alpha=alpha)``), and
reports both wall times (best of ``repeats``, the two fits interleaved), their
ratio ours/theirs, both final objectives computed by one function of ours
(:class:`sklearn_gd._objective.Objective` on float64 data) and the iterations.

Usage (from the repository root)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.run --size full
    python benchmarks/run.py --size tiny --no-write      # CI smoke test, times nothing

``--size tiny`` runs every case on toy data in a few seconds to check the
harness; its times mean nothing and it writes nothing with ``--no-write``.
``quick`` and ``full`` write ``docs/benchmarks.md`` (``--output`` to change).
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
    "tiny": dict(binary=(300, 10), softmax=(300, 10), lsq=(400, 10), sparse=(400, 50), repeats=1),
    "quick": dict(
        binary=(20_000, 200),
        softmax=(10_000, 200),
        lsq=(40_000, 200),
        sparse=(20_000, 1_000),
        repeats=3,
    ),
    "full": dict(
        binary=(200_000, 200),
        softmax=(100_000, 200),
        lsq=(400_000, 200),
        sparse=(200_000, 1_000),
        repeats=2,
    ),
}
N_CLASSES = 10
ALPHA = 1e-4  # classifiers and ridge: Ridge(alpha=ALPHA * S)
TOL = 1e-4  # both sides' default tolerance
SGD_EPOCHS = 5
SPARSE_DENSITY = 0.01
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


# ------------------------------------------------------------ the objective
def objective_value(kind, X, y, coef, intercept, alpha):
    """The objective of DESIGN.md section 1 at ``(coef, intercept)``, by sklearn_gd.

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
        Design(X, True), loss, Y, np.ones(X.shape[0]), ElasticNetPenalty(alpha, 0.0)
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
    if target is not None:
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
        target=1.0,
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
        "(DESIGN.md section 1: `LogisticRegression(C=1/(alpha*n))`, `Ridge(alpha=alpha*n)`, "
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
    lines += ["", "Targets of issue 5:", ""]
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


CASES = ["binary", "softmax", "lsq", "sgd", "gd", "float32", "sparse", "memory"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="quick")
    parser.add_argument("--no-write", action="store_true", help="do not write the Markdown")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated subset")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="limit BLAS and OpenMP threads of both sides (threadpoolctl); default: as set",
    )
    args = parser.parse_args(argv)
    if args.threads is not None:
        threadpool_limits(limits=args.threads)
    size = SIZES[args.size]
    repeats = args.repeats or size["repeats"]
    cases = args.cases.split(",")
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
    elapsed = time.perf_counter() - start
    print(f"total {elapsed:.1f} s")
    if not args.no_write:
        arguments = " ".join(argv if argv is not None else sys.argv[1:])
        command = f"{BENCH_ENV} python -m benchmarks.run {arguments}"
        notes = existing_notes(args.output)
        report = to_markdown(table, args.size, command, elapsed, args.threads, notes)
        Path(args.output).write_text(report)
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
