"""Reproducibility, concurrency and input integrity.

* The same ``random_state`` gives bit-identical coefficients across two fits
  and across pickling; different ``random_state`` values give different
  stochastic runs; deterministic solvers ignore ``random_state``; ``clone``
  gives an unfitted copy.
* Predictions from one fitted estimator in several threads at once equal the
  sequential ones; fitting clones with joblib (``n_jobs=2``, loky and
  threading) equals fitting them one after the other.
* No fit or predict modifies ``X``, ``y`` or ``sample_weight`` (hashed before
  and after), for dense, sparse and DataFrame input.
"""

import hashlib
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from sklearn_gd import (
    SOLVERS,
    Adam,
    GDLinearRegression,
    GDLogisticRegression,
    GDSoftmaxClassifier,
)

# max_iter is deliberately tiny: not converging is expected and not the point.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = (GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier)
ALL = [
    pytest.param(cls, solver, id=f"{cls.__name__[2:]}-{solver}")
    for cls in ESTIMATORS
    for solver in SOLVERS
]
STOCHASTIC = [s for s, c in SOLVERS.items() if c.stochastic]
DETERMINISTIC = [s for s, c in SOLVERS.items() if not c.stochastic]
FEW = settings(
    deadline=None,
    max_examples=2,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow],
)


def make_data(cls, seed=0, n=40, d=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) + rng.uniform(-1, 1, size=d)
    if cls is GDLinearRegression:
        y = X @ rng.uniform(-2, 2, size=d) + 0.5 + 0.3 * rng.standard_normal(n)
    else:
        y = np.argmax(X @ rng.standard_normal((d, 3)) + rng.gumbel(size=(n, 3)), axis=1)
    return X, y, rng.uniform(0.5, 2.0, size=n)


def make(cls, solver, **params):
    """Mini-batches smaller than the data, few epochs: runs that depend on the seed."""
    defaults = {"solver": solver, "batch_size": 8, "max_iter": 15, "random_state": 0}
    return cls(**{**defaults, **params})


def fitted_state(est):
    """Everything a fit produces that must be reproducible, as a tuple of arrays."""
    return (
        np.asarray(est.coef_),
        np.asarray(est.intercept_),
        np.asarray(est.n_iter_),
        np.asarray(est.loss_curve_, dtype=float),
    )


def assert_identical(a, b, what):
    for x, y, name in zip(
        fitted_state(a),
        fitted_state(b),
        ["coef_", "intercept_", "n_iter_", "loss_curve_"],
        strict=True,
    ):
        np.testing.assert_array_equal(x, y, err_msg=f"{what}: {name} differs")
        assert x.dtype == y.dtype, f"{what}: {name} dtype {x.dtype} != {y.dtype}"


# -------------------------------------------------------------- random_state
@pytest.mark.parametrize("cls, solver", ALL)
@FEW
@given(seed=st.integers(0, 2**31 - 1))
def test_same_random_state_gives_bit_identical_fits(cls, solver, seed):
    X, y, sample_weight = make_data(cls)
    first = make(cls, solver, random_state=seed).fit(X, y, sample_weight)
    second = make(cls, solver, random_state=seed).fit(X, y, sample_weight)
    assert_identical(first, second, "two fits with the same int random_state")
    third = make(cls, solver, random_state=np.random.RandomState(seed)).fit(X, y, sample_weight)
    fourth = make(cls, solver, random_state=np.random.RandomState(seed)).fit(X, y, sample_weight)
    assert_identical(third, fourth, "two fits with equally seeded RandomState instances")
    refit = first.fit(X, y, sample_weight)  # refitting the same object
    assert_identical(refit, second, "a refit of the same estimator")


@pytest.mark.parametrize("cls, solver", ALL)
def test_pickling_preserves_the_fit_and_its_reproducibility(cls, solver):
    X, y, sample_weight = make_data(cls)
    unfitted = make(cls, solver, random_state=7)
    restored_unfitted = pickle.loads(pickle.dumps(unfitted))
    fitted = unfitted.fit(X, y, sample_weight)
    assert_identical(
        restored_unfitted.fit(X, y, sample_weight), fitted, "fit of an unpickled unfitted copy"
    )
    restored = pickle.loads(pickle.dumps(fitted))
    assert_identical(restored, fitted, "unpickled fitted estimator")
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    if hasattr(fitted, "predict_proba"):
        np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    assert_identical(
        restored.fit(X, y, sample_weight),
        make(cls, solver, random_state=7).fit(X, y, sample_weight),
        "refit of an unpickled fitted estimator",
    )


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__[2:])
@pytest.mark.parametrize("solver", STOCHASTIC)
def test_different_random_states_give_different_stochastic_runs(cls, solver):
    X, y, sample_weight = make_data(cls)
    fits = [make(cls, solver, random_state=seed).fit(X, y, sample_weight) for seed in (0, 1, 2)]
    coefs = [np.r_[np.ravel(f.coef_), np.ravel(f.intercept_)] for f in fits]
    for i in range(3):
        for j in range(i):
            assert not np.array_equal(coefs[i], coefs[j]), (
                f"solver={solver!r} gave identical coefficients for random_state={j} and {i}"
            )


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__[2:])
@pytest.mark.parametrize("solver", DETERMINISTIC)
def test_deterministic_solvers_ignore_random_state(cls, solver):
    X, y, sample_weight = make_data(cls)
    a = make(cls, solver, batch_size="auto", random_state=0).fit(X, y, sample_weight)
    b = make(cls, solver, batch_size="auto", random_state=12345).fit(X, y, sample_weight)
    c = make(cls, solver, batch_size="auto", random_state=None).fit(X, y, sample_weight)
    assert_identical(a, b, f"deterministic solver={solver!r}, random_state 0 vs 12345")
    assert_identical(a, c, f"deterministic solver={solver!r}, random_state 0 vs None")


@pytest.mark.parametrize("cls, solver", ALL)
def test_clone_gives_an_unfitted_copy(cls, solver):
    X, y, sample_weight = make_data(cls)
    est = make(cls, Adam(beta_1=0.8) if solver == "adam" else solver)
    fitted = est.fit(X, y, sample_weight)
    before = fitted_state(fitted)
    copy = clone(fitted)
    with pytest.raises(NotFittedError):
        check_is_fitted(copy)
    with pytest.raises(NotFittedError):
        copy.predict(X)
    assert [k for k in vars(copy) if k.endswith("_") and not k.startswith("__")] == []
    assert copy.get_params(deep=False).keys() == fitted.get_params(deep=False).keys()
    if not isinstance(fitted.solver, str):
        assert copy.solver is not fitted.solver
        assert copy.solver.get_params() == fitted.solver.get_params()
    copy.fit(X, y, sample_weight)
    assert_identical(copy, fitted, "a clone fitted on the same data")
    # fitting the clone left the original alone
    for a, b in zip(before, fitted_state(fitted), strict=True):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------- threads
@pytest.mark.parametrize("cls, solver", ALL)
def test_predictions_from_several_threads_equal_sequential_ones(cls, solver):
    X, y, sample_weight = make_data(cls, n=200)
    est = make(cls, solver, batch_size="auto").fit(X, y, sample_weight)
    methods = [
        m
        for m in ("predict", "decision_function", "predict_proba", "predict_log_proba")
        if hasattr(est, m)
    ]
    chunks = [X[i::7] for i in range(7)] + [X, sp.csr_matrix(X), np.asfortranarray(X)]
    jobs = [(getattr(est, m), (c,)) for m in methods for c in chunks]
    jobs = (jobs + [(est.score, (X, y))]) * 4

    sequential = [method(*args) for method, args in jobs]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda job: job[0](*job[1]), jobs))
    for (method, _), a, b in zip(jobs, sequential, threaded, strict=True):
        np.testing.assert_array_equal(a, b, err_msg=method.__name__)


# ------------------------------------------------------------------ joblib
def _fit(est, X, y, sample_weight):
    return est.fit(X, y, sample_weight)


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_joblib_parallel_fits_of_clones_match_sequential_fits(backend):
    jobs = []
    for cls in ESTIMATORS:
        X, y, sample_weight = make_data(cls)
        for solver in SOLVERS:
            jobs.append((make(cls, solver, random_state=3), X, y, sample_weight))
    sequential = [_fit(clone(est), X, y, sw) for est, X, y, sw in jobs]
    parallel = Parallel(n_jobs=2, backend=backend)(
        delayed(_fit)(clone(est), X, y, sw) for est, X, y, sw in jobs
    )
    for (est, *_), a, b in zip(jobs, sequential, parallel, strict=True):
        assert_identical(b, a, f"{type(est).__name__}(solver={est.solver!r}) with {backend}")


# --------------------------------------------------------- input integrity
def fingerprint(obj):
    """A hash of everything observable about an input: values, dtype, shape, layout."""
    h = hashlib.sha256()
    if isinstance(obj, pd.DataFrame):
        h.update(pd.util.hash_pandas_object(obj, index=True).values.tobytes())
        h.update(repr((list(obj.columns), list(map(str, obj.dtypes)))).encode())
    elif isinstance(obj, pd.Series):
        h.update(pd.util.hash_pandas_object(obj, index=True).values.tobytes())
        h.update(repr((obj.name, str(obj.dtype))).encode())
    elif sp.issparse(obj):
        for part in (obj.data, obj.indices, obj.indptr):
            h.update(np.ascontiguousarray(part).tobytes())
        h.update(repr((obj.format, obj.shape, obj.dtype.str)).encode())
    else:
        a = np.asarray(obj)
        h.update(np.ascontiguousarray(a).tobytes())
        h.update(repr((a.shape, a.dtype.str, a.strides, a.flags.writeable)).encode())
    return h.hexdigest()


def unsorted_csr(X):
    """A CSR matrix whose column indices are not sorted within rows (still canonical values)."""
    M = sp.csr_matrix(X)
    for row in range(M.shape[0]):
        start, stop = M.indptr[row], M.indptr[row + 1]
        M.indices[start:stop] = M.indices[start:stop][::-1]
        M.data[start:stop] = M.data[start:stop][::-1]
    M.has_sorted_indices = False
    return M


CONTAINERS = {
    "C float64": lambda X: np.ascontiguousarray(X),
    "F float32": lambda X: np.asfortranarray(X, dtype=np.float32),
    "int64": lambda X: np.round(X * 10).astype(np.int64),
    "CSR": sp.csr_matrix,
    "CSC float32": lambda X: sp.csc_matrix(X, dtype=np.float32),
    "CSR unsorted indices": unsorted_csr,
    "DataFrame": lambda X: pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])]),
}


@pytest.mark.parametrize("container", list(CONTAINERS))
@pytest.mark.parametrize("cls, solver", ALL)
def test_fit_and_predict_do_not_modify_their_inputs(cls, solver, container):
    X, y, sample_weight = make_data(cls)
    X[np.abs(X) < 0.5] = 0.0  # some sparsity for the sparse containers
    X = CONTAINERS[container](X)
    if container == "DataFrame":
        y = pd.Series(y, name="target")
        sample_weight = pd.Series(sample_weight, name="weight")
    elif container.endswith("float32"):
        sample_weight = sample_weight.astype(np.float32)
    inputs = {"X": X, "y": y, "sample_weight": sample_weight}
    before = {name: fingerprint(value) for name, value in inputs.items()}

    def unchanged(step):
        for name, value in inputs.items():
            assert fingerprint(value) == before[name], f"{step} modified {name} ({container})"

    est = make(cls, solver, alpha=1e-3).fit(X, y, sample_weight=sample_weight)
    unchanged("fit")
    for method in ("predict", "decision_function", "predict_proba", "predict_log_proba"):
        if hasattr(est, method):
            getattr(est, method)(X)
            unchanged(method)
    est.score(X, y, sample_weight=sample_weight)
    unchanged("score")
    est.set_params(warm_start=True).fit(X, y, sample_weight=sample_weight)
    unchanged("a warm-started fit")
