"""Out-of-core demonstration: lbfgs logistic regression on a dask array
larger than the cluster's memory.

A ``dask.distributed.LocalCluster`` of two worker processes, each limited to
2 GB, fits :class:`sklearn_gd.GDLogisticRegression` (``solver="lbfgs"``) on a
float64 dask array of 8.8 GB (22 million rows x 50 features): more than twice
the memory of the whole cluster. ``X`` is read chunk by chunk at every
evaluation and never held whole anywhere. Two sources of the same data:

``disk``
    written once, chunk by chunk, as ``.npy`` files (by the workers, in
    parallel) and read back with ``np.load`` at every pass;
``random``
    generated lazily: each chunk is drawn again, from its own seed, at every
    pass (nothing is stored; the cost of a pass is the random generator's).

The labels are drawn from a known logistic model. The run records the fit's
wall time, its iterations, how many times ``X`` was read (the workers append
one byte to a file per chunk of ``X`` they read or draw), each worker's peak
resident memory during the fit (``VmHWM``, reset before the fit), spilling
and restarts, and the agreement of the result with
scikit-learn's ``LogisticRegression`` fitted on a subsample (the first
million rows, all of which fit in the client): coefficients, the package's objective
on the *whole* data, and predictions on held-out data.

Usage (from the repository root)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m benchmarks.out_of_core --size full
    python benchmarks/out_of_core.py --size tiny --no-write   # CI smoke test, a few seconds

``--size full`` writes its section of ``docs/benchmarks.md`` (between the
markers below, in the hand-written notes that ``benchmarks/run.py`` keeps);
``--data-dir`` chooses where the ``disk`` source (and the chunk tally) is
written; it is removed at the end unless ``--keep-data``.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.special import expit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python benchmarks/out_of_core.py` from a checkout
    sys.path.insert(0, str(ROOT))

from sklearn.linear_model import LogisticRegression  # noqa: E402

from benchmarks.run import BENCH_ENV, machine_description  # noqa: E402
from sklearn_gd import GDLogisticRegression  # noqa: E402

#: Rows, features, rows per chunk, subsample rows for scikit-learn, held-out rows.
SIZES = {
    "tiny": dict(n_samples=60_000, n_features=10, chunk_rows=6_000, subsample=20_000, test=5_000),
    "full": dict(
        n_samples=22_000_000,
        n_features=50,
        chunk_rows=250_000,  # 100 MB chunks, 88 of them
        subsample=1_000_000,
        test=500_000,
    ),
}
ALPHA = 1e-4
TOL = 1e-4
TIGHT = 1e-10  # tolerance of the same-subsample comparison
SEED = 0
MEMORY_LIMIT = "2GB"
N_WORKERS = 2
BEGIN = "<!-- out-of-core: written by benchmarks/out_of_core.py -->"
END = "<!-- out-of-core: end -->"


# ------------------------------------------------------------------ the data
def true_model(n_features, seed=SEED):
    """Coefficients and intercept of the logistic model the labels come from."""
    rng = np.random.default_rng([seed, 2**32 - 1])
    return rng.normal(size=n_features) * (2.0 / np.sqrt(n_features)), 0.5


def labels(X, index, seed=SEED):
    """Labels (int8) of the rows ``X`` of chunk ``index``, drawn from :func:`true_model`."""
    w, b = true_model(X.shape[1], seed)
    draws = np.random.default_rng([seed, index, 1]).random(X.shape[0])
    return (draws < expit(X @ w + b)).astype(np.int8)


def make_block(index, rows, n_features, seed=SEED):
    """Rows ``X`` (float64) and labels ``y`` of one chunk, from the chunk's own seeds."""
    X = np.random.default_rng([seed, index, 0]).standard_normal((rows, n_features))
    return X, labels(X, index, seed)


def _tally(counter):
    """One byte appended to the file ``counter``: one chunk of ``X`` read or drawn.

    Appends of one byte are atomic, so the file's size counts the chunks over
    all worker processes.
    """
    with open(counter, "ab") as file:
        file.write(b".")


def _generated_X(n_features, counter, block_id=None, block_info=None):
    _tally(counter)
    rows = block_info[None]["chunk-shape"][0]
    return make_block(block_id[0], rows, n_features)[0]


def _generated_y(X, block_id=None):
    return labels(X, block_id[0])


def _write_block(directory, index, rows, n_features):
    X, y = make_block(index, rows, n_features)
    np.save(Path(directory) / f"X-{index:05d}.npy", X)
    np.save(Path(directory) / f"y-{index:05d}.npy", y)
    return X.nbytes + y.nbytes


def _read_block(directory, name, counter=None, block_id=None):
    if counter is not None:
        _tally(counter)
    return np.load(Path(directory) / f"{name}-{block_id[0]:05d}.npy")


def row_chunks(n_samples, chunk_rows):
    full, rest = divmod(n_samples, chunk_rows)
    return (chunk_rows,) * full + ((rest,) if rest else ())


def generated_data(size, counter):
    """``X`` and ``y`` drawn lazily: every pass over ``X`` draws its chunks again."""
    import dask.array as da

    d = size["n_features"]
    chunks = (row_chunks(size["n_samples"], size["chunk_rows"]), (d,))
    X = da.map_blocks(_generated_X, d, counter, chunks=chunks, dtype=np.float64, name="X-random")
    y = X.map_blocks(_generated_y, drop_axis=1, dtype=np.int8, name="y-random")
    return X, y


def disk_data(size, directory, counter):
    """``X`` and ``y`` read from ``.npy`` chunk files, written first if absent."""
    import dask
    import dask.array as da

    d = size["n_features"]
    rows = row_chunks(size["n_samples"], size["chunk_rows"])
    directory = Path(directory)
    manifest = {"n_samples": size["n_samples"], "n_features": d, "chunks": list(rows)}
    manifest_path = directory / "manifest.json"
    written = 0.0
    if not (manifest_path.exists() and json.loads(manifest_path.read_text()) == manifest):
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        start = time.perf_counter()
        tasks = [dask.delayed(_write_block)(str(directory), i, r, d) for i, r in enumerate(rows)]
        dask.compute(*tasks)
        written = time.perf_counter() - start
        manifest_path.write_text(json.dumps(manifest))
    X = da.map_blocks(
        _read_block,
        str(directory),
        "X",
        counter,
        chunks=(rows, (d,)),
        dtype=np.float64,
        name="X-disk",
    )
    y = da.map_blocks(
        _read_block, str(directory), "y", chunks=(rows,), dtype=np.int8, name="y-disk"
    )
    return X, y, written


# --------------------------------------------------------------- measurements
def _reset_peak_memory():
    """Reset this process's peak resident set (``VmHWM``) where Linux allows it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _memory_status(dask_worker=None):
    """Peak and current resident memory, bytes spilled so far (bytes) and pid of a process."""
    status = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            status[key] = int(value.split()[0]) * 1024
    if dask_worker is not None:
        # Bytes the worker has written to its spill directory so far.
        metrics = getattr(dask_worker.data, "cumulative_metrics", {})
        status["spilled"] = int(metrics.get(("disk-write", "bytes"), 0))
    status["pid"] = os.getpid()
    return status


def _memory_warnings(client):
    """Warnings and errors about memory in the workers' logs so far."""
    return sum(
        "memory" in line.lower() and level in ("WARNING", "ERROR")
        for log in client.get_worker_logs().values()
        for level, line in log
    )


def _worker_threads():
    from threadpoolctl import threadpool_info

    return sorted({(i.get("internal_api"), i.get("num_threads")) for i in threadpool_info()})


def _loss_sums(X, y, models):
    """One row: the summed log-loss of each ``(w, b)`` in ``models`` on these rows."""
    sums = []
    for w, b in models:
        z = X @ w + b
        sums.append(np.sum(np.logaddexp(0.0, z) - y * z))
    return np.array([sums])


def objectives(models, X, y, alpha=ALPHA):
    """The package's objective (logistic, unweighted) at each ``(w, b)`` of ``models``.

    On dask arrays: one pass, one task per row chunk that reads the chunk of
    ``X`` and of ``y`` together (a blockwise task, so the two are never read
    apart and held waiting for each other).
    """
    if isinstance(X, np.ndarray):
        sums = _loss_sums(X, y, models)[0]
    else:
        import dask.array as da

        parts = da.blockwise(
            _loss_sums, "ik", X, "ij", y, "i", models, None,
            new_axes={"k": len(models)}, adjust_chunks={"i": 1}, dtype=np.float64,
        )  # fmt: skip
        sums = parts.sum(axis=0).compute()
    penalties = [0.5 * alpha * float(w @ w) for w, _ in models]
    return [
        float(total) / X.shape[0] + penalty for total, penalty in zip(sums, penalties, strict=True)
    ]


def run_source(source, size, client, work_dir):
    """Fit on one source of the data; everything measured, as a dict."""
    import dask

    n, d = size["n_samples"], size["n_features"]
    work_dir.mkdir(parents=True, exist_ok=True)
    counter = str(work_dir / f"{source}-chunks-read")
    written = 0.0
    if source == "disk":
        X, y, written = disk_data(size, work_dir / "data", counter)
    else:
        X, y = generated_data(size, counter)
    n_chunks = X.numblocks[0]

    start = time.perf_counter()
    X.sum().compute()
    one_pass = time.perf_counter() - start

    peaks_reset = all(client.run(_reset_peak_memory).values()) and _reset_peak_memory()
    before = client.run(_memory_status)
    clf = GDLogisticRegression(solver="lbfgs", alpha=ALPHA, tol=TOL)
    Path(counter).write_bytes(b"")
    memory_events_before = _memory_warnings(client)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        clf.fit(X, y)
        fit_time = time.perf_counter() - start
    workers = client.run(_memory_status)
    client_status = _memory_status()
    memory_events = _memory_warnings(client) - memory_events_before
    chunks_read = Path(counter).stat().st_size

    # scikit-learn on the first `subsample` rows, and ours on the same rows (numpy).
    m = size["subsample"]
    Xs, ys = dask.compute(X[:m], y[:m])
    sk = LogisticRegression(C=1.0 / (ALPHA * m), tol=TOL, max_iter=1000).fit(Xs, ys)
    # The same objective solved tightly by both, to show they agree on the optimum.
    sk_tight = LogisticRegression(C=1.0 / (ALPHA * m), tol=TIGHT, max_iter=10_000).fit(Xs, ys)
    ours_sub = GDLogisticRegression(solver="lbfgs", alpha=ALPHA, tol=TIGHT, max_iter=10_000)
    ours_sub.fit(Xs, ys)
    F_sub_ours, F_sub_sk = objectives([_coef(ours_sub), _coef(sk_tight)], Xs, ys)
    del Xs, ys

    theta_ours, theta_sk = np.append(*_coef(clf)), np.append(*_coef(sk))
    w_true, b_true = true_model(d)
    theta_true = np.append(w_true, b_true)
    # The objective on the whole data, at both coefficient sets: one more pass.
    F_ours, F_sk = objectives([_coef(clf), _coef(sk)], X, y)

    Xt, yt = make_block(10**6, size["test"], d)  # a chunk index the fit never reads
    pred_ours, pred_sk = clf.predict(Xt), sk.predict(Xt)
    pred_true = (Xt @ w_true + b_true > 0).astype(np.int8)

    def relative(a, b):
        return float(np.linalg.norm(a - b) / np.linalg.norm(b))

    return {
        "source": source,
        "n": n,
        "d": d,
        "n_chunks": n_chunks,
        "X_bytes": n * d * 8,
        "written": written,
        "one_pass": one_pass,
        "fit_time": fit_time,
        "n_iter": int(np.max(clf.n_iter_)),
        "optimality": float(clf.history_["optimality"][-1]),
        "passes": chunks_read / n_chunks,
        "warnings": sorted({f"{type(w.message).__name__}: {w.message}" for w in caught}),
        "worker_peaks": sorted(s["VmHWM"] for s in workers.values()),
        "spilled": sum(
            s["spilled"] - before.get(a, {}).get("spilled", 0) for a, s in workers.items()
        ),
        "memory_events": memory_events,
        "restarted": any(workers.get(a, {}).get("pid") != s["pid"] for a, s in before.items()),
        "peaks_reset": peaks_reset,
        "client_peak": client_status["VmHWM"],
        "subsample": m,
        "coef_vs_sk": relative(theta_ours, theta_sk),
        "ours_vs_true": relative(theta_ours, theta_true),
        "sk_vs_true": relative(theta_sk, theta_true),
        "F_ours": float(F_ours),
        "F_sk": float(F_sk),
        "sub_coef_vs_sk": relative(np.append(*_coef(ours_sub)), np.append(*_coef(sk_tight))),
        "sub_F_rel": float((F_sub_ours - F_sub_sk) / F_sub_sk),
        "acc_ours": float((pred_ours == yt).mean()),
        "acc_sk": float((pred_sk == yt).mean()),
        "acc_true": float((pred_true == yt).mean()),
        "agree": float((pred_ours == pred_sk).mean()),
    }


def _coef(model):
    return model.coef_.ravel(), float(model.intercept_[0])


# -------------------------------------------------------------------- report
def _gb(n_bytes):
    return f"{n_bytes / 1e9:.2f} GB"


def _lifetime(result):
    return "" if result["peaks_reset"] else " (the process's lifetime peak: no reset allowed)"


ROWS = [
    (
        "X (float64)",
        lambda r: f"{r['n']:,} x {r['d']} = {_gb(r['X_bytes'])}, {r['n_chunks']} chunks",
    ),
    (
        "writing X to disk (once, before the fit)",
        lambda r: f"{r['written']:.0f} s" if r["written"] else "-",
    ),
    ("one pass over X (`X.sum()`)", lambda r: f"{r['one_pass']:.1f} s"),
    (
        '**fit time** (`GDLogisticRegression(solver="lbfgs").fit(X, y)`)',
        lambda r: f"**{r['fit_time']:.0f} s**",
    ),
    ("iterations (`n_iter_`)", lambda r: f"{r['n_iter']}"),
    (f"max abs gradient at the end (tol = {TOL:g})", lambda r: f"{r['optimality']:.1e}"),
    ("passes over X during the fit (chunks read or drawn / chunks)", lambda r: f"{r['passes']:g}"),
    (
        "**peak worker memory** (VmHWM during the fit; limit 2 GB each)",
        lambda r: "**" + ", ".join(_gb(b) for b in r["worker_peaks"]) + "**" + _lifetime(r),
    ),
    (
        "spilled to disk / memory warnings in the worker logs / restarts",
        lambda r: (
            f"{_gb(r['spilled'])} / {r['memory_events']} / {'yes' if r['restarted'] else 'none'}"
        ),
    ),
    (
        "peak memory of the client process during the fit",
        lambda r: _gb(r["client_peak"]) + _lifetime(r),
    ),
    ("warnings during the fit", lambda r: "; ".join(r["warnings"]) or "none"),
    (
        "objective on all rows: ours / scikit-learn's subsample fit",
        lambda r: f"{r['F_ours']:.10f} / {r['F_sk']:.10f}",
    ),
    (
        "coefficients: ours vs scikit-learn's subsample fit (relative L2)",
        lambda r: f"{r['coef_vs_sk']:.1e}",
    ),
    (
        "coefficients vs the true model: ours / scikit-learn's",
        lambda r: f"{r['ours_vs_true']:.1e} / {r['sk_vs_true']:.1e}",
    ),
    (
        "held-out accuracy: ours / scikit-learn / true model",
        lambda r: f"{r['acc_ours']:.4f} / {r['acc_sk']:.4f} / {r['acc_true']:.4f}",
    ),
    ("held-out predictions equal to scikit-learn's", lambda r: f"{r['agree']:.4%}"),
    (
        f"same subsample, tol={TIGHT:g} both: ours (numpy) vs scikit-learn, coef / objective",
        lambda r: f"{r['sub_coef_vs_sk']:.1e} / {r['sub_F_rel']:.1e}",
    ),
]


def to_markdown(results, size, command, elapsed, worker_threads):
    sub = results[0]["subsample"]
    lines = [
        BEGIN,
        "## Out of core: lbfgs logistic regression on 8.8 GB with two 2 GB workers",
        "",
        "Written by `benchmarks/out_of_core.py`. A `LocalCluster` of "
        f'{N_WORKERS} worker processes (1 thread each, `memory_limit="{MEMORY_LIMIT}"`, '
        '127.0.0.1) fits `GDLogisticRegression(solver="lbfgs", alpha='
        f"{ALPHA:g}, tol={TOL:g})` on a float64 dask array larger than the whole cluster's "
        "memory; labels drawn from a known logistic model. `disk`: X written once as `.npy` "
        "chunk files and read back with `np.load` at every pass; `random`: every chunk drawn "
        f"again from its seed at every pass. scikit-learn: `LogisticRegression(C=1/(alpha*m))` "
        f"on the first m = {sub:,} rows (the same objective on those rows); held-out data: "
        f"{size['test']:,} fresh rows from the same model.",
        "",
        f"Total run time: {elapsed:.0f} s. Command:",
        "",
        "```",
        command,
        "```",
        "",
        "| | " + " | ".join(f"`{r['source']}`" for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    for label, cell in ROWS:
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in results) + " |")
    lines += ["", "Machine:", ""]
    lines += [f"- {line}" for line in machine_description()]
    lines += [f"- threads per worker (threadpoolctl): {worker_threads}", END]
    return "\n".join(lines)


def write_section(path, section):
    """Put ``section`` between the markers in ``path`` (appended if they are absent)."""
    text = Path(path).read_text()
    head, begin, rest = text.partition(BEGIN)
    if begin:
        _, end, tail = rest.partition(END)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    Path(path).write_text(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--sources", default="disk,random", help="disk, random or both")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="where the disk source and the tally go (default: the temp dir)",
    )
    parser.add_argument("--keep-data", action="store_true", help="keep the disk source")
    parser.add_argument("--no-write", action="store_true", help="do not write the Markdown")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    from distributed import Client, LocalCluster

    size = SIZES[args.size]
    work_dir = Path(args.data_dir or tempfile.gettempdir()) / "sklearn-gd-out-of-core"
    start = time.perf_counter()
    results = []
    with (
        LocalCluster(
            n_workers=N_WORKERS,
            threads_per_worker=1,
            processes=True,
            memory_limit=MEMORY_LIMIT,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        worker_threads = "; ".join(
            sorted(
                {
                    ", ".join(f"{api} {n}" for api, n in t)
                    for t in client.run(_worker_threads).values()
                }
            )
        )
        try:
            for source in args.sources.split(","):
                result = run_source(source, size, client, work_dir)
                results.append(result)
                for label, cell in ROWS:
                    print(f"{source:>6} | {label}: {cell(result)}", flush=True)
        finally:
            if not args.keep_data:
                shutil.rmtree(work_dir, ignore_errors=True)
    elapsed = time.perf_counter() - start
    print(f"total {elapsed:.0f} s")
    if not args.no_write:
        arguments = " ".join(argv if argv is not None else sys.argv[1:])
        command = f"{BENCH_ENV} python -m benchmarks.out_of_core {arguments}".rstrip()
        write_section(args.output, to_markdown(results, size, command, elapsed, worker_threads))
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
