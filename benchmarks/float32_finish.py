"""Cost of finishing a float32 fit in float64 (the refined objective).

Prints, in one process: the time of one predictor + gradient pass pair over
float32 ``X`` in float32, in float64 over the same float32 ``X`` (converted one
block of rows at a time, as :meth:`sklearn_gd._data.Design.in_float64` does),
and over a float64 copy of ``X``; then lbfgs and newton fits on float32 data at
two tolerances, with the optimality they reach and whether they warned.

Usage (from the repository root)::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 \\
        python -m benchmarks.float32_finish
"""

import time
import warnings

import numpy as np
from sklearn.datasets import make_classification

from sklearn_gd import GDLogisticRegression
from sklearn_gd._data import Design


def best_time(fn, repeats=10):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200_000, 100)).astype(np.float32)
    C = rng.standard_normal((101, 1))
    float32 = Design(X, True)
    designs = {
        "float32 products": float32,
        "float64 products over float32 X (blocks)": float32.in_float64(),
        "float64 copy of X": Design(X.astype(np.float64), True),
    }
    for name, design in designs.items():
        seconds = best_time(lambda d=design: d.transpose_product(d.linear_predictor(C)))
        print(f"{name}: {1e3 * seconds:.1f} ms per predictor + gradient pass pair")
    Xc, yc = make_classification(n_samples=100_000, n_features=50, random_state=0)
    Xc = Xc.astype(np.float32)
    for solver in ("lbfgs", "newton"):
        for tol in (1e-4, 1e-8):
            model = GDLogisticRegression(solver=solver, tol=tol)
            with warnings.catch_warnings(record=True) as record:
                warnings.simplefilter("always")
                seconds = best_time(lambda m=model: m.fit(Xc, yc), repeats=3)
            print(
                f"{solver} float32 logistic 1e5 x 50, tol={tol:g}: {seconds:.2f} s, "
                f"{model.n_iter_} iterations, max |gradient| "
                f"{model.history_['optimality'][-1]:.2g}, warnings: {len(record)}"
            )


if __name__ == "__main__":
    main()
