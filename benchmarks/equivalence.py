"""Behaviour-equivalence check for refactors: record a fixed grid of fits, compare two records.

A refactor of the package must leave every fit as it was: bit-identical, or within a
relative 1e-12 where a reordering of floating-point sums cannot be avoided. This script
records a fixed, seeded grid of several hundred small fits (every estimator, every solver
of :data:`sklearn_gd.SOLVERS` by name and as an object with non-default hyperparameters,
float64 and float32, dense C / dense F / CSR / CSC and dask input, penalties and options)
and compares two records fit by fit.

Usage (from the repository root)::

    python -m benchmarks.equivalence record before.npz [--quick]
    # ... refactor ...
    python -m benchmarks.equivalence record after.npz [--quick]
    python -m benchmarks.equivalence compare before.npz after.npz [--rtol 1e-12]
    python -m benchmarks.equivalence against main [--quick]   # both records, then compare

``against REF`` checks REF out into a temporary ``git worktree``, records there (this
file, run against that checkout's package through ``PYTHONPATH``), records here and
compares. The grid is built from the public API only (estimators, solver classes,
``sklearn_gd.schedules``, ``sklearn_gd.constraints`` and the registry's names), and it
does not ask the registry which solver supports what: a combination a solver refuses is
recorded as the exception it raises, which must stay the same too.

Per fit the record holds a key naming it (estimator, solver, dtype, input kind, penalty,
option), ``coef_``, ``intercept_``, ``n_iter_``, every ``history_`` entry but ``"time"``,
``predict`` (and ``predict_proba`` for the classifiers) on a held-out block, the warnings
the fit emitted (category and text) or the exception it raised (type and message).

Determinism: BLAS and OpenMP are limited to one thread (threadpoolctl), dask runs on its
synchronous scheduler, every fit has ``random_state=0``; whether numba's compiled epochs
are used (numba installed and ``SKLEARN_GD_DISABLE_NUMBA`` unset) is recorded and
``compare`` says when two records differ in it. ``compare`` exits with status 1 when a
fit differs beyond ``--rtol``, its warnings or exception changed, or it is missing from
one record.
"""

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

MAX_ITER = 100
TOL = 1e-5
ALPHA = 0.02
N_TRAIN, N_TEST, N_FEATURES = 150, 50, 6
# Mini-batches of several rows run numba's compiled epochs from 2**16 stored entries of X
# on: a second, larger data set (dense float64), fitted for a few epochs only.
N_BIG, N_BIG_FEATURES, BIG_MAX_ITER = 2200, 30, 5
DASK_MAX_ITER = 15
QUICK_FITS = 60
INPUTS = ("C", "F", "csr", "csc")
DTYPES = ("float64", "float32")
# Solver objects with non-default hyperparameters, one per solver class of the registry.
SOLVER_OBJECTS = {
    "GradientDescent": {},
    "SGD": {},
    "Momentum": {"momentum": 0.7, "nesterov": True},
    "Adam": {"beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6},
    "AdamW": {"beta_1": 0.8, "beta_2": 0.99},
    "AdaGrad": {"epsilon": 1e-6},
    "RMSProp": {"rho": 0.8},
    "LBFGS": {"memory": 4, "precondition": False},
    "BFGS": {"precondition": False},
    "Newton": {"inner_solver": "cg"},
    "TrustRegion": {"initial_radius": 0.3, "precondition": False},
    "ISTA": {"fista": False},
    "CoordinateDescent": {"working_set": 3, "max_epochs": 50},
    "ADMM": {"rho": 2.0, "max_inner_iter": 3},
}
ESTIMATORS = {  # name: (estimator class name, target kind)
    "linreg": ("GDLinearRegression", "regression"),
    "logreg2": ("GDLogisticRegression", "binary"),
    "logreg3": ("GDLogisticRegression", "multiclass"),
    "softmax3": ("GDSoftmaxClassifier", "multiclass"),
}
CLASSIFIERS = ("logreg2", "logreg3", "softmax3")
# option name: estimator parameters (options handled in the fit itself have none)
OPTIONS = {
    "plain": {},
    "sample_weight": {},
    "no_intercept": {"fit_intercept": False},
    "balanced": {"class_weight": "balanced"},
    "average": {"average": True},
    "batch16": {"batch_size": 16},
    "early_stopping": {"early_stopping": True, "validation_fraction": 0.2, "n_iter_no_change": 3},
    "warm_start": {"warm_start": True},
    "partial_fit": {},
    "nonnegative": {},
    "cosine": {},
    "warmup_step": {},
    "invscaling": {"schedule": "invscaling"},
    "converge": {"tol": 1e-3, "max_iter": 2000},  # runs that stop on tol, not on max_iter
    "batch1": {"batch_size": 1},  # one-row updates: the compiled epochs' path
    "big_batch32": {"batch_size": 32, "max_iter": BIG_MAX_ITER},  # on the larger data set
}


# --------------------------------------------------------------------------- the grid


def _spec(
    estimator, solver, dtype="float64", inputs="C", alpha=ALPHA, l1_ratio=0.0, option="plain"
):
    return {
        "estimator": estimator,
        "solver": solver,
        "dtype": dtype,
        "input": inputs,
        "alpha": alpha,
        "l1_ratio": l1_ratio,
        "option": option,
    }


def fit_key(spec):
    """The stable name of a fit: its settings in a fixed order."""
    return "|".join(f"{name}={spec[name]}" for name in sorted(spec))


def _solver_label(class_name):
    params = SOLVER_OBJECTS[class_name]
    return f"{class_name}(" + ",".join(f"{k}={params[k]}" for k in sorted(params)) + ")"


def grid(solver_names):
    """The fits, block by block: a list of ``(block, spec)``, in a fixed order.

    Parameters
    ----------
    solver_names : list of str
        The registry's names (``list(sklearn_gd.SOLVERS)``).
    """
    fits = []
    names, ests = list(solver_names), list(ESTIMATORS)
    for est in ests:  # every estimator x solver x dtype x input kind
        for dtype in DTYPES:
            for inputs in INPUTS:
                fits += [("core", _spec(est, s, dtype, inputs)) for s in names]
    for est in ests:  # penalties: no penalty; elastic net (refused by the smooth solvers)
        fits += [("penalty", _spec(est, s, alpha=0.0)) for s in names]
        fits += [("penalty", _spec(est, s, l1_ratio=0.5)) for s in names]
        fits += [("penalty", _spec(est, s, "float32", "csr", l1_ratio=0.5)) for s in names]
    objects = [_solver_label(c) for c in SOLVER_OBJECTS]
    for est in ests:
        fits += [("object", _spec(est, s)) for s in objects]
        fits += [("object", _spec(est, s, "float32", "csr", l1_ratio=0.5)) for s in objects]
    option_estimators = {
        "sample_weight": ests,
        "no_intercept": ["linreg", "softmax3"],
        "balanced": ["logreg2", "softmax3"],
        "average": ["linreg", "logreg2"],
        "batch16": ["linreg", "softmax3"],
        "early_stopping": ["linreg", "logreg2"],
        "warm_start": ["linreg", "logreg3"],
        "partial_fit": ests,
        "nonnegative": ["linreg", "logreg2"],
        "cosine": ["logreg2"],
        "warmup_step": ["linreg"],
        "invscaling": ["softmax3"],
        "converge": ["linreg", "logreg2"],
        "batch1": ["linreg", "logreg2", "softmax3"],
        "big_batch32": ests,
    }
    for option, on in option_estimators.items():
        for est in on:
            fits += [("option", _spec(est, s, option=option)) for s in names]
    fits += [("option", _spec("logreg3", s, inputs="csr", option="batch1")) for s in names]
    for est in ests:  # dask row chunks, float64; float32 on the binary model
        fits += [("dask", _spec(est, s, inputs="dask")) for s in names]
    fits += [("dask", _spec("logreg2", s, "float32", "dask", l1_ratio=0.5)) for s in names]
    return fits


def quick_grid(fits, n_fits=QUICK_FITS):
    """A deterministic subset of about ``n_fits`` fits, drawn evenly from every block."""
    blocks = {}
    for block, spec in fits:
        blocks.setdefault(block, []).append((block, spec))
    stride = max(1, len(fits) // n_fits)
    chosen = []
    for members in blocks.values():
        # dask fits cost ten times the others: a third as many of them
        step = stride * 3 if members[0][0] == "dask" else stride
        chosen += members[::step]
    return chosen


# --------------------------------------------------------------------------- one fit


def _data_set(rng, n, n_features, zeros):
    X = rng.normal(size=(n + N_TEST, n_features)) * rng.uniform(0.5, 3.0, size=n_features)
    X[rng.uniform(size=X.shape) < zeros] = 0.0
    z = X @ rng.normal(size=n_features) + 0.5 * rng.normal(size=n + N_TEST)
    targets = {
        "regression": 3.0 + z,
        "binary": (z > 0.3).astype(np.int64),
        "multiclass": np.digitize(z, np.quantile(z, [0.3, 0.75])),
    }
    return {
        "X": X[:n],
        "X_test": X[n:],
        "y": {kind: t[:n] for kind, t in targets.items()},
        "sample_weight": rng.uniform(0.2, 2.0, size=n),
    }


def make_data():
    """Fixed, seeded data: X (a third of its entries zero), targets, weights, test rows;
    under ``"big"`` a larger dense set of the same kinds."""
    rng = np.random.default_rng(0)
    data = _data_set(rng, N_TRAIN, N_FEATURES, 1 / 3)
    data["big"] = _data_set(rng, N_BIG, N_BIG_FEATURES, 0.0)
    return data


def _design(X, dtype, inputs):
    X = X.astype(dtype)
    if inputs == "C":
        return np.ascontiguousarray(X)
    if inputs == "F":
        return np.asfortranarray(X)
    if inputs in ("csr", "csc"):
        return sp.csr_matrix(X) if inputs == "csr" else sp.csc_matrix(X)
    import dask.array as da

    return da.from_array(X, chunks=(N_TRAIN // 3, X.shape[1]))


def _solver(label):
    import sklearn_gd

    if "(" not in label:
        return label
    class_name = label.split("(")[0]
    return getattr(sklearn_gd, class_name)(**SOLVER_OBJECTS[class_name])


def make_estimator(spec):
    """The unfitted estimator of ``spec``."""
    import sklearn_gd
    from sklearn_gd import constraints, schedules

    params = dict(OPTIONS[spec["option"]])
    if spec["option"] == "nonnegative":
        params["constraint"] = constraints.NonNegative()
    elif spec["option"] == "cosine":
        params["schedule"] = schedules.CosineAnnealing(T_max=50)
    elif spec["option"] == "warmup_step":
        params["schedule"] = schedules.LinearWarmup(schedules.StepDecay(step_size=5, gamma=0.5))
    cls = getattr(sklearn_gd, ESTIMATORS[spec["estimator"]][0])
    max_iter = DASK_MAX_ITER if spec["input"] == "dask" else MAX_ITER
    settings = dict(max_iter=max_iter, tol=TOL, random_state=0)
    settings.update(params)
    return cls(
        solver=_solver(spec["solver"]),
        alpha=spec["alpha"],
        l1_ratio=spec["l1_ratio"],
        **settings,
    )


def _train(model, spec, X, y, data):
    """Fit ``model`` as ``spec``'s option says (one fit, a warm refit or partial fits)."""
    option = spec["option"]
    if option == "sample_weight":
        sw = data["sample_weight"]
        if spec["input"] == "dask":
            import dask.array as da

            sw = da.from_array(sw, chunks=N_TRAIN // 3)
        model.fit(X, y, sample_weight=sw)
    elif option == "warm_start":
        model.fit(X, y)
        model.set_params(alpha=3 * spec["alpha"])
        model.fit(X, y)
    elif option == "partial_fit":
        kwargs = {"classes": np.unique(y)} if spec["estimator"] in CLASSIFIERS else {}
        for part in np.array_split(np.arange(X.shape[0]), 3):
            model.partial_fit(X[part], y[part], **kwargs)
            kwargs = {}
    else:
        model.fit(X, y)


def run_fit(spec, data):
    """Fit ``spec`` on ``data``: its record (scalars, messages) and its arrays."""
    from sklearn.exceptions import ConvergenceWarning

    kind = ESTIMATORS[spec["estimator"]][1]
    data = data["big"] if spec["option"] == "big_batch32" else data
    X, y = _design(data["X"], spec["dtype"], spec["input"]), data["y"][kind]
    if spec["input"] == "dask":
        import dask.array as da

        y = da.from_array(y, chunks=N_TRAIN // 3)
    model = make_estimator(spec)
    record, arrays = {"key": fit_key(spec), "error": None}, {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            _train(model, spec, X, y, data)
        except Exception as exc:  # recorded: the same call must raise the same way
            record["error"] = [type(exc).__name__, str(exc)]
    record["warnings"] = [
        [w.category.__name__, str(w.message)]
        for w in caught
        if issubclass(w.category, (ConvergenceWarning, UserWarning, RuntimeWarning))
    ]
    if record["error"] is None:
        arrays = _fitted_arrays(model, data["X_test"].astype(spec["dtype"]))
    return record, arrays


def _fitted_arrays(model, X_test):
    arrays = {
        "coef_": np.asarray(model.coef_),
        "intercept_": np.asarray(model.intercept_),
        "n_iter_": np.asarray(model.n_iter_),
        "predict": np.asarray(model.predict(X_test)),
    }
    if hasattr(model, "predict_proba"):
        arrays["predict_proba"] = np.asarray(model.predict_proba(X_test))
    for name, values in sorted(getattr(model, "history_", {}).items()):
        if name != "time":
            arrays["history_" + name] = np.asarray(values)
    return arrays


# --------------------------------------------------------------------------- record


def environment():
    """What the record was made with: versions, the package's path, numba's state."""
    import numpy
    import scipy
    import sklearn

    import sklearn_gd

    flag = os.environ.get("SKLEARN_GD_DISABLE_NUMBA", "")
    numba = flag in ("", "0") and importlib.util.find_spec("numba") is not None
    package = Path(sklearn_gd.__file__).resolve().parent
    commit = subprocess.run(
        ["git", "-C", str(package), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "package": str(package),
        "commit": commit,
        "numba": numba,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
    }


def record(path, quick=False, fits=None, verbose=False):
    """Run the grid (or ``fits``, a list of ``(block, spec)``) and write it to ``path``.

    Returns
    -------
    dict
        The record's metadata (environment, elapsed time, one entry per fit).
    """
    import dask
    from threadpoolctl import threadpool_limits

    from sklearn_gd import SOLVERS

    if fits is None:
        fits = grid(list(SOLVERS))
        fits = quick_grid(fits) if quick else fits
    data, entries, arrays = make_data(), [], {}
    start = time.perf_counter()
    with threadpool_limits(limits=1), dask.config.set(scheduler="synchronous"):
        for index, (block, spec) in enumerate(fits):
            entry, fitted = run_fit(spec, data)
            entry["block"], entry["arrays"] = block, sorted(fitted)
            entries.append(entry)
            arrays.update({f"{index}:{name}": value for name, value in fitted.items()})
            if verbose:
                print(f"{index + 1}/{len(fits)} {entry['key']}", file=sys.stderr)
    meta = environment()
    meta.update(quick=quick, seconds=time.perf_counter() - start, fits=entries)
    np.savez_compressed(path, meta=np.array(json.dumps(meta)), **arrays)
    return meta


def load(path):
    """A record: ``(metadata, {key: (entry, {name: array})})``."""
    with np.load(path, allow_pickle=False) as f:
        meta = json.loads(str(f["meta"]))
        fits = {}
        for index, entry in enumerate(meta["fits"]):
            fits[entry["key"]] = (entry, {n: f[f"{index}:{n}"] for n in entry["arrays"]})
    return meta, fits


# --------------------------------------------------------------------------- compare


def relative_difference(a, b):
    """``max|a - b| / max(|a|, |b|)`` over the array (0.0 when equal, inf when not comparable).

    Integer, boolean and string arrays (labels, ``n_iter_``) are equal or not (0 or inf);
    NaN equals NaN and an infinity only itself.
    """
    if a.shape != b.shape or a.dtype != b.dtype:
        return np.inf
    if a.dtype.kind not in "fc":
        return 0.0 if np.array_equal(a, b) else np.inf
    if np.array_equal(a, b, equal_nan=True):
        return 0.0
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    infinite = np.isinf(a) | np.isinf(b)
    if not np.array_equal(nan_a, nan_b) or not np.array_equal(a[infinite], b[infinite]):
        return np.inf
    finite = ~(nan_a | infinite)
    a64, b64 = a[finite].astype(np.float64), b[finite].astype(np.float64)
    scale = max(np.max(np.abs(a64), initial=0.0), np.max(np.abs(b64), initial=0.0))
    diff = np.max(np.abs(a64 - b64), initial=0.0)
    return 0.0 if diff == 0.0 else diff / scale


def compare_fit(before, after, rtol):
    """Status of one fit: ``("identical" | "within" | "different", detail)``."""
    (entry_a, arrays_a), (entry_b, arrays_b) = before, after
    changes = []
    if entry_a["error"] != entry_b["error"]:
        changes.append(f"exception {entry_a['error']} -> {entry_b['error']}")
    if entry_a["warnings"] != entry_b["warnings"]:
        changes.append(f"warnings {entry_a['warnings']} -> {entry_b['warnings']}")
    if sorted(arrays_a) != sorted(arrays_b):
        changes.append(f"fields {sorted(arrays_a)} -> {sorted(arrays_b)}")
    worst, worst_name = 0.0, ""
    for name in sorted(set(arrays_a) & set(arrays_b)):
        diff = relative_difference(arrays_a[name], arrays_b[name])
        if diff > rtol:
            changes.append(f"{name} {diff:.3g}")
        if diff > worst:
            worst, worst_name = diff, name
    if changes:
        return "different", "; ".join(changes)
    if worst == 0.0:
        return "identical", ""
    return "within", f"max relative difference {worst:.3g} ({worst_name})"


def compare(before_path, after_path, rtol=1e-12, brief=False, out=sys.stdout):
    """Compare two records fit by fit; print the result and a summary.

    Returns
    -------
    dict
        ``{status: count}`` for ``identical``, ``within``, ``different``, ``missing``.
    """
    meta_a, fits_a = load(before_path)
    meta_b, fits_b = load(after_path)
    counts = dict.fromkeys(("identical", "within", "different", "missing"), 0)
    for key in list(fits_a) + [k for k in fits_b if k not in fits_a]:
        if key not in fits_a or key not in fits_b:
            status, detail = "missing", "only in " + ("AFTER" if key in fits_b else "BEFORE")
        else:
            status, detail = compare_fit(fits_a[key], fits_b[key], rtol)
        counts[status] += 1
        if not brief or status != "identical":
            print(f"{status:<10} {key}" + (f"  [{detail}]" if detail else ""), file=out)
    for name in ("numba", "numpy", "scipy", "sklearn", "python"):
        if meta_a.get(name) != meta_b.get(name):
            print(f"note: {name} {meta_a.get(name)} -> {meta_b.get(name)}", file=out)
    print(
        f"{len(set(fits_a) | set(fits_b))} fits: "
        + ", ".join(f"{counts[s]} {s}" for s in counts)
        + f" (rtol {rtol:g}; before {meta_a.get('commit', '?')[:10]}, "
        f"after {meta_b.get('commit', '?')[:10]})",
        file=out,
    )
    return counts


def failed(counts):
    """Whether a comparison found a fit that changed or went missing."""
    return counts["different"] > 0 or counts["missing"] > 0


# --------------------------------------------------------------------------- against


def _record_in_subprocess(root, out_path, quick):
    """Run ``record`` in a fresh process on the package of checkout ``root``."""
    env = dict(os.environ, PYTHONPATH=str(root))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    command = [sys.executable, str(Path(__file__).resolve()), "record", str(out_path)]
    subprocess.run(command + (["--quick"] if quick else []), env=env, cwd=root, check=True)
    meta, _ = load(out_path)
    if not Path(meta["package"]).is_relative_to(Path(root).resolve()):
        raise RuntimeError(f"recorded {meta['package']}, not the package of {root}")
    return meta


def against(ref, quick=False, rtol=1e-12, brief=False):
    """Record git ref ``ref`` (in a temporary worktree) and this checkout, compare them."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="equivalence-") as tmp:
        tree = Path(tmp) / "ref"
        subprocess.run(
            ["git", "-C", str(root), "worktree", "add", "--detach", str(tree), ref], check=True
        )
        try:
            before = _record_in_subprocess(tree, Path(tmp) / "before.npz", quick)
        finally:
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(tree)])
        after = _record_in_subprocess(root, Path(tmp) / "after.npz", quick)
        print(f"recorded {ref} in {before['seconds']:.0f} s, here in {after['seconds']:.0f} s")
        return compare(Path(tmp) / "before.npz", Path(tmp) / "after.npz", rtol, brief)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rec = commands.add_parser("record", help="run the grid of fits and write OUT.npz")
    rec.add_argument("out")
    rec.add_argument("--quick", action="store_true", help=f"about {QUICK_FITS} fits")
    rec.add_argument("--verbose", action="store_true", help="name each fit as it runs")
    cmp = commands.add_parser("compare", help="compare two records fit by fit")
    cmp.add_argument("before")
    cmp.add_argument("after")
    ref = commands.add_parser("against", help="record git REF and this checkout, compare")
    ref.add_argument("ref")
    ref.add_argument("--quick", action="store_true")
    for sub in (cmp, ref):
        sub.add_argument("--rtol", type=float, default=1e-12)
        sub.add_argument("--brief", action="store_true", help="print only fits not identical")
    args = parser.parse_args(argv)
    if args.command == "record":
        meta = record(args.out, quick=args.quick, verbose=args.verbose)
        errors = sum(entry["error"] is not None for entry in meta["fits"])
        print(
            f"{len(meta['fits'])} fits ({errors} raised) in {meta['seconds']:.1f} s, "
            f"numba {'on' if meta['numba'] else 'off'}, package {meta['package']} -> {args.out}"
        )
        return 0
    if args.command == "compare":
        counts = compare(args.before, args.after, args.rtol, args.brief)
    else:
        counts = against(args.ref, args.quick, args.rtol, args.brief)
    return 1 if failed(counts) else 0


if __name__ == "__main__":
    sys.exit(main())
