"""Time to reach a relative suboptimality, per solver, from a benchopt result file.

Usage::

    python benchmarks/benchopt/summarise.py outputs/benchopt_run_*.parquet [--eps 1e-6]

For every problem (objective and dataset parameters) the reference is the lowest
objective any solver reached; a solver's time is the first curve point whose
objective is within ``eps`` of it relatively, ``(F - F*) / |F*| <= eps``. The table
lists, per problem, every solver's time (``-`` for one that never got there), the
fastest sklearn-gd solver, the fastest other one and their ratio.
"""

import argparse

import numpy as np
import pandas as pd

OURS = "sklearn-gd"


def problem_columns(frame):
    """The columns naming a problem: the objective's and the dataset's parameters."""
    fixed = ["objective_name", "dataset_name"]
    params = [c for c in frame.columns if c.startswith(("p_obj_", "p_dataset_"))]
    return fixed + sorted(params)


def time_to_reach(frame, eps):
    """Per problem and solver: the first time its objective is within ``eps`` of the best."""
    keys = problem_columns(frame)
    times = []
    for problem, runs in frame.groupby(keys, dropna=False):
        best = runs["objective_value"].min()
        target = best + eps * max(abs(best), np.finfo(float).tiny)
        for solver, curve in runs.groupby("solver_name"):
            curve = curve.groupby("stop_val")[["time", "objective_value"]].median()
            reached = curve[curve["objective_value"] <= target]
            time = reached["time"].min() if len(reached) else np.inf
            times.append((*problem, solver, time))
    return pd.DataFrame(times, columns=[*keys, "solver", "time"])


def summary(times):
    """One row per problem: ours against the best other solver."""
    keys = [c for c in times.columns if c not in ("solver", "time")]
    rows = []
    for problem, group in times.groupby(keys, dropna=False):
        ours = group[group["solver"].str.startswith(OURS)]
        peers = group[~group["solver"].str.startswith(OURS)]
        best_ours = ours.loc[ours["time"].idxmin()] if len(ours) else None
        best_peer = peers.loc[peers["time"].idxmin()] if len(peers) else None
        row = dict(zip(keys, problem, strict=True))
        row["ours"] = _label(best_ours)
        row["best peer"] = _label(best_peer)
        if best_ours is not None and best_peer is not None:
            row["ratio"] = f"{best_ours['time'] / best_peer['time']:.2f}"
        rows.append(row)
    return pd.DataFrame(rows)


def _label(row):
    if row is None or not np.isfinite(row["time"]):
        return "-"
    return f"{row['solver']} {1e3 * row['time']:.1f} ms"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--eps", type=float, default=1e-6)
    args = parser.parse_args(argv)
    frame = pd.concat([pd.read_parquet(f) for f in args.files], ignore_index=True)
    times = time_to_reach(frame, args.eps)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary(times).to_markdown(index=False))
        print()
        table = times.pivot_table(
            index=[c for c in times.columns if c not in ("solver", "time")],
            columns="solver",
            values="time",
        )
        print((1e3 * table).round(2).to_markdown())


if __name__ == "__main__":
    main()
