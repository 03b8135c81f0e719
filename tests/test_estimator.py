"""The estimator layer (``_estimator.py``, ``_classifier.py`` and the three estimators).

What every fit guarantees whatever the solver:

* The same ``random_state`` gives bit-identical coefficients across two fits;
  different ``random_state`` values give different stochastic runs;
  deterministic solvers ignore ``random_state``.
* Pickling and ``clone``: an unpickled estimator predicts and refits as the
  original; a clone is unfitted, with equal parameters and its own solver
  object.
* Predictions from one fitted estimator in several threads at once equal the
  sequential ones; fitting clones with joblib (``n_jobs=2``, loky and
  threading) equals fitting them one after the other.
* No fit or predict modifies ``X``, ``y``, ``sample_weight`` (hashed before
  and after, for dense, sparse and DataFrame input) or the solver object.
* ``warm_start`` goes on from the previous coefficients; a fit that fails
  leaves no half-updated model.
* The scikit-learn API around the solvers: parameter validation, pipelines
  and grid searches, DataFrames, labels and probabilities.
"""

import hashlib
import pickle
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import classification_data, estimator_data, few_examples
from hypothesis import given
from hypothesis import strategies as st
from joblib import Parallel, delayed
from scipy.special import log_expit, log_softmax
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import Lasso, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from sklearn_gd import (
    LBFGS,
    SOLVERS,
    Adam,
    AdamW,
    DivergenceError,
    GDLinearRegression,
    GDLogisticRegression,
    GDSoftmaxClassifier,
    Momentum,
    Newton,
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
FIRST_ORDER = ["gd", "sgd", "momentum", "adam", "adamw", "ista"]
DTYPES = [np.float32, np.float64]
FEW = few_examples(2)


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


# ------------------------------------------------------------ pickle, clone
@pytest.mark.parametrize("cls, solver", ALL)
def test_pickle_and_clone_round_trip(cls, solver):
    """Unpickled: the same fit, predictions and refit. Cloned: unfitted, equal parameters."""
    X, y, sample_weight = make_data(cls)
    solver = Adam(beta_1=0.8) if solver == "adam" else solver  # a solver object too
    unfitted = make(cls, solver, random_state=7)
    restored_unfitted = pickle.loads(pickle.dumps(unfitted))
    fitted = unfitted.fit(X, y, sample_weight)
    before = fitted_state(fitted)
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

    copy = clone(fitted)
    with pytest.raises(NotFittedError):
        check_is_fitted(copy)
    with pytest.raises(NotFittedError):
        copy.predict(X)
    assert [k for k in vars(copy) if k.endswith("_") and not k.startswith("__")] == []
    assert repr(copy.get_params()) == repr(fitted.get_params())
    if not isinstance(fitted.solver, str):
        assert copy.solver is not fitted.solver  # clone copies the solver object
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
    """Mini-batch and full-batch fits, predictions, score and a warm refit: inputs untouched."""
    X, y, sample_weight = make_data(cls)
    X[np.abs(X) < 0.5] = 0.0  # some sparsity for the sparse containers
    X = CONTAINERS[container](X)
    inputs = {"X": X, "y": y, "sample_weight": sample_weight}
    if container == "DataFrame":
        inputs["y"] = y = pd.Series(y, name="target")
        inputs["sample_weight"] = sample_weight = pd.Series(sample_weight, name="weight")
    elif container.endswith("float32"):
        inputs["sample_weight"] = sample_weight.astype(np.float32)
        inputs["float64 sample_weight"] = sample_weight  # weights of another dtype than X
    before = {name: fingerprint(value) for name, value in inputs.items()}

    def unchanged(step):
        for name, value in inputs.items():
            assert fingerprint(value) == before[name], f"{step} modified {name} ({container})"

    weights = [value for name, value in inputs.items() if name.endswith("sample_weight")]
    for batch_size, w in [(8, weights[0]), ("auto", weights[-1])]:
        est = make(cls, solver, alpha=1e-3, batch_size=batch_size).fit(X, y, sample_weight=w)
        unchanged(f"fit with batch_size={batch_size!r}")
        for method in ("predict", "decision_function", "predict_proba", "predict_log_proba"):
            if hasattr(est, method):
                getattr(est, method)(X)
                unchanged(method)
        est.score(X, y, sample_weight=w)
        unchanged("score")
        est.set_params(warm_start=True).fit(X, y, sample_weight=w)
        unchanged("a warm-started fit")


# --------------------------------------------------------------- warm start
#: Full-batch runs of every deterministic solver, mini-batches (32 of 80 rows)
#: for the solvers that keep a state between passes.
WARM_CASES = [
    pytest.param(cls, solver, batch_size, id=f"{cls.__name__[2:]}-{solver}-{batch_size}")
    for cls in ESTIMATORS
    for solver, batch_size in [(s, "auto") for s in DETERMINISTIC]
    + [(s, 32) for s, c in SOLVERS.items() if c.supports_partial_fit]
]


@pytest.mark.parametrize("cls, solver, batch_size", WARM_CASES)
def test_warm_start_goes_on_from_the_previous_coefficients(cls, solver, batch_size):
    """A first warm fit is a cold one; a refit starts where the previous fit ended.

    Full batches at a tight ``tol`` (without a warning): a refit at the
    solution stays there within two iterations, and a refit on a nearby
    problem (``alpha`` 20% larger) takes fewer iterations than a cold fit.
    Mini-batches: a refit is a new run (rate and schedule afresh) from the
    previous coefficients, so its first objective is below a cold start's.
    """
    X, y = estimator_data(cls, seed=3, n=80, d=4)
    full_batch = batch_size == "auto"
    params = dict(solver=solver, alpha=0.01, tol=1e-8 if full_batch else 1e-4)
    params.update(batch_size=batch_size, max_iter=10_000, random_state=0)
    with warnings.catch_warnings():
        if full_batch:
            warnings.simplefilter("error", ConvergenceWarning)
        warm = cls(warm_start=True, **params).fit(X, y)
        cold = cls(**params).fit(X, y)
        assert_identical(warm, cold, "a first fit with warm_start=True and a cold fit")
        first, coef = warm.n_iter_, warm.coef_.copy()
        warm.fit(X, y)
        if first > 1:
            assert warm.history_["objective"][0] < cold.history_["objective"][0]
        if not full_batch:
            return
        assert warm.n_iter_ <= 2 and (warm.n_iter_ < first or first <= 2), (first, warm.n_iter_)
        np.testing.assert_allclose(warm.coef_, coef, rtol=1e-7, atol=1e-9)
        if solver == "admm":
            return  # rho starts afresh, and its balancing, not the start, sets the count
        warm.set_params(alpha=0.012)
        cold.set_params(alpha=0.012)
        warm_n, cold_n = warm.fit(X, y).n_iter_, cold.fit(X, y).n_iter_
        assert warm_n < cold_n or cold_n == 1, (warm_n, cold_n)  # 1: nothing to save


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__[2:])
@pytest.mark.parametrize("solver", FIRST_ORDER)
def test_failed_refit_does_not_leave_a_mixed_state(cls, solver):
    """A refit that diverges must not keep the old coefficients under the new data's shape."""
    X, y, _ = make_data(cls)
    est = cls(solver=solver, alpha=0.0, max_iter=50, random_state=0).fit(X[:, :2], y)
    est.set_params(learning_rate=1e30)
    try:
        est.fit(X, y)
    except DivergenceError:
        pass
    else:  # ISTA's backtracking may recover from any start; then it simply refitted
        assert solver == "ista", f"solver={solver!r} fitted with learning_rate=1e30"
    try:
        prediction = est.predict(X)
    except NotFittedError:
        return
    except Exception as exc:  # noqa: BLE001 - any other error means a half-updated model
        pytest.fail(f"after the failed refit, predict raises {exc!r}: a half-updated model")
    # Still fitted: then it is the previous model, consistently (2 features).
    assert est.n_features_in_ == np.asarray(est.coef_).shape[-1], (
        f"n_features_in_={est.n_features_in_} but coef_ has shape {np.shape(est.coef_)}"
    )
    assert prediction.shape == (X.shape[0],)


# -------------------------------------------------------- scikit-learn API
@pytest.mark.parametrize(
    "params, name",
    [
        (dict(alpha=-1.0), "alpha"),
        (dict(solver="foo"), "solver"),
        (dict(learning_rate=0), "learning_rate"),
        (dict(learning_rate=-0.1), "learning_rate"),
        (dict(batch_size=0), "batch_size"),
        (dict(l1_ratio=1.5), "l1_ratio"),
        (dict(max_iter=0), "max_iter"),
        (dict(tol=-1e-3), "tol"),
        (dict(solver=Adam(beta_1=2.0)), "beta_1"),
        (dict(solver=Adam(beta_2=-0.1)), "beta_2"),
        (dict(solver=Adam(epsilon=0.0)), "epsilon"),
        (dict(solver=Momentum(momentum=1.0)), "momentum"),
        (dict(solver=Newton(inner_solver="qr")), "inner_solver"),
        (dict(solver=LBFGS(memory=0)), "memory"),
    ],
    ids=lambda p: p if isinstance(p, str) else None,
)
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_invalid_parameter_raises_value_error_naming_it(cls, params, name):
    X, y = estimator_data(cls, n=30, d=2)
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        cls(**params).fit(X, y)


def test_pipeline_grid_search_over_every_solver():
    X, y, _ = classification_data(0, 150, 4, 3)
    pipe = Pipeline([("scale", StandardScaler()), ("clf", GDLogisticRegression(max_iter=200))])
    search = GridSearchCV(pipe, {"clf__solver": list(SOLVERS)}, cv=3, n_jobs=2)
    search.fit(X, y)
    tried = [p["clf__solver"] for p in search.cv_results_["params"]]
    assert tried == list(SOLVERS)
    assert search.best_params_["clf__solver"] in SOLVERS
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and scores.min() > 0.5
    assert search.score(X, y) > 0.5


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_dataframe_input_sets_feature_names_in(cls):
    pd = pytest.importorskip("pandas")
    X, y = estimator_data(cls, n=40, d=3)
    frame = pd.DataFrame(X, columns=["height", "weight", "age"])
    est = cls().fit(frame, y)
    np.testing.assert_array_equal(est.feature_names_in_, ["height", "weight", "age"])
    assert est.n_features_in_ == 3
    plain = cls().fit(X, y)  # the same model as from the bare array
    assert not hasattr(plain, "feature_names_in_")
    np.testing.assert_allclose(est.coef_, plain.coef_)
    if cls is GDLinearRegression:
        np.testing.assert_allclose(est.predict(frame), plain.predict(X), rtol=1e-10)
    else:
        np.testing.assert_array_equal(est.predict(frame), plain.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        est.predict(frame.rename(columns={"age": "shoe_size"}))


@pytest.mark.parametrize(
    "cls, n_classes",
    [
        (GDLogisticRegression, 2),
        (GDLogisticRegression, 3),
        (GDSoftmaxClassifier, 2),
        (GDSoftmaxClassifier, 3),
    ],
)
def test_predict_proba_rows_sum_to_one_without_warnings_for_huge_logits(cls, n_classes):
    X, y, _ = classification_data(0, 60, 2, n_classes)
    est = cls().fit(X, y)
    # Set the model by hand: class 0 for x_0 > 0, class 1 for x_0 < 0 (class 2,
    # if any, never), each with a score of +-1e4; a tie between them at x_0 = 0.
    coef = np.zeros_like(est.coef_)
    intercept = np.zeros_like(est.intercept_)
    if coef.shape[0] == 1:  # binary logistic regression: the score of classes_[1]
        coef[0, 0] = -1e4
    else:
        coef[0, 0], coef[1, 0] = 1e4, -1e4
        intercept[2:] = -1e4
    est.coef_, est.intercept_ = coef, intercept
    rng = np.random.default_rng(0)
    X_big = np.column_stack([rng.choice([-1.0, 0.0, 1.0], size=60), rng.standard_normal(60)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = est.decision_function(X_big)
        proba = est.predict_proba(X_big)
        log_proba = est.predict_log_proba(X_big)
        labels = est.predict(X_big)
    assert np.abs(scores).max() >= 1e4
    assert proba.shape == (60, n_classes)
    assert np.all(np.isfinite(proba)) and np.all(np.isfinite(log_proba))
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.exp(log_proba), proba, rtol=1e-12, atol=1e-300)
    expected = np.zeros((60, n_classes))
    expected[X_big[:, 0] > 0, 0] = 1.0
    expected[X_big[:, 0] < 0, 1] = 1.0
    expected[X_big[:, 0] == 0, :2] = 0.5
    np.testing.assert_allclose(proba, expected, atol=1e-12)
    confident = X_big[:, 0] != 0
    np.testing.assert_array_equal(labels[confident], est.classes_[(X_big[confident, 0] < 0) * 1])


@pytest.mark.parametrize("cls", [GDLogisticRegression, GDSoftmaxClassifier])
@pytest.mark.parametrize("names", [["no", "yes"], ["cat", "dog", "emu"]])
def test_string_labels_become_classes(cls, names):
    X, labels, _ = classification_data(0, 60, 3, len(names))
    y = np.array(names[::-1], dtype=object)[labels]  # not in sorted order
    est = cls().fit(X, y)
    np.testing.assert_array_equal(est.classes_, sorted(names))
    predicted = est.predict(X)
    assert set(predicted) <= set(names)
    assert np.mean(predicted == y) > 0.5
    np.testing.assert_array_equal(predicted, est.classes_[np.argmax(est.predict_proba(X), axis=1)])
    # the same model as with integer labels in sorted order
    codes = np.searchsorted(est.classes_, y)
    ref = cls().fit(X, codes)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-10)


# -------------------------------------- probabilities at extreme logits
CLASSIFIER_CASES = [
    pytest.param(cls, k, id=f"{cls.__name__[2:]}-{k}classes")
    for cls in (GDLogisticRegression, GDSoftmaxClassifier)
    for k in (2, 3)
]
#: Sample scales giving logits up to ~1e37 (float32) / ~1e301 (float64): every
#: logit and every difference of two is representable. Then the scales beyond.
IN_RANGE = {np.float32: [1e4, 1e10, 1e30, 1e36], np.float64: [1e4, 1e30, 1e300]}
BEYOND = {np.float32: [1e38], np.float64: [1e307]}


@pytest.mark.parametrize("cls, k", CLASSIFIER_CASES)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("beyond", [False, True], ids=["in-range", "beyond-range"])
def test_probabilities_at_extreme_logits(cls, k, dtype, beyond):
    """Samples far from the boundary: probabilities valid, log-probabilities finite.

    Beyond the range (logits that overflow the dtype) the log-probabilities may
    be -inf, but nothing may be NaN and no warning may escape.
    """
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 3))
    y = np.argmax(X @ rng.standard_normal((3, k)) + rng.standard_normal((30, k)), axis=1)
    est = cls(solver="lbfgs").fit(X.astype(dtype), y)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for scale in (BEYOND if beyond else IN_RANGE)[dtype]:
        X_far = (X * scale).astype(dtype)
        what = f"{cls.__name__}, {k} classes, {np.dtype(dtype).name} samples scaled by {scale:g}"
        proba = est.predict_proba(X_far)
        log_proba = est.predict_log_proba(X_far)
        assert np.all(np.isfinite(proba)), f"{what}: non-finite probabilities"
        assert np.all((proba >= 0) & (proba <= 1)), f"{what}: probabilities outside [0, 1]"
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=rtol, err_msg=what)
        assert not np.any(np.isnan(log_proba)) and np.all(log_proba <= 0), what
        if not beyond:
            assert np.all(np.isfinite(est.decision_function(X_far))), what
            assert np.all(np.isfinite(log_proba)), f"{what}: log-probabilities\n{log_proba}"
        predicted = np.searchsorted(est.classes_, est.predict(X_far))
        np.testing.assert_array_equal(proba[np.arange(30), predicted], proba.max(axis=1), what)


def test_probabilities_against_scipy_at_moderate_logits():
    """At logits of a few hundred the probabilities still carry their exact value."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20, 2))
    y = np.arange(20) % 3
    for cls in (GDLogisticRegression, GDSoftmaxClassifier):
        est = cls().fit(X, y)
        X_far = X * 300
        scores = est.decision_function(X_far)
        if cls is GDSoftmaxClassifier:
            expected = log_softmax(scores, axis=1)
        else:
            log_p = log_expit(scores)
            expected = log_p - np.logaddexp.reduce(log_p, axis=1, keepdims=True)
        np.testing.assert_allclose(est.predict_log_proba(X_far), expected, rtol=1e-12, atol=1e-300)


# ------------------------------------------------------------ solver objects
def test_solver_object_params_searchable():
    X, y, _ = classification_data(0, 120, 4, 2)
    base = GDLogisticRegression(solver=Adam(), max_iter=20, batch_size=16, random_state=0)
    search = GridSearchCV(base, {"solver__beta_1": [0.0, 0.5, 0.95]}, cv=3)
    search.fit(X, y)
    assert [p["solver__beta_1"] for p in search.cv_results_["params"]] == [0.0, 0.5, 0.95]
    assert search.best_estimator_.solver.beta_1 == search.best_params_["solver__beta_1"]
    assert base.solver.beta_1 == 0.9  # the searched estimator's solver is untouched
    # the parameter reaches the solver: different beta_1, different model
    coefs = [clone(base).set_params(solver__beta_1=b).fit(X, y).coef_ for b in (0.0, 0.95)]
    assert np.abs(coefs[0] - coefs[1]).max() > 1e-3


@pytest.mark.parametrize(
    "solver", [Adam(beta_1=0.8), AdamW(epsilon=1e-6), Momentum(0.5, True), Newton("cg"), LBFGS(5)]
)
def test_fit_does_not_modify_the_solver_object(solver):
    before = clone(solver).get_params(deep=True)
    attributes = dict(vars(solver))
    est = GDLogisticRegression(solver=solver, max_iter=30, random_state=0)
    params = est.get_params(deep=True)
    est.fit(*classification_data(0, 60, 3, 3)[:2])
    assert est.solver is solver
    assert solver.get_params(deep=True) == before
    assert set(vars(solver)) == set(attributes)  # no fitted state written into it
    after = est.get_params(deep=True)
    assert after["solver"] is solver
    # nor into the estimator's parameters (the solver's nested ones included)
    assert {k: v for k, v in after.items() if k != "solver"} == {
        k: v for k, v in params.items() if k != "solver"
    }


class _PlainLBFGS(LBFGS):
    """An L-BFGS whose ``minimize`` takes the essential settings and nothing else."""

    def minimize(self, objective, theta0, *, max_iter, tol):
        return super().minimize(objective, theta0, max_iter=max_iter, tol=tol)


def test_estimator_passes_a_solver_only_the_settings_its_minimize_takes():
    X, y, _ = make_data(GDLinearRegression)
    plain = GDLinearRegression(solver=_PlainLBFGS(), learning_rate=0.1, tol=1e-8).fit(X, y)
    named = GDLinearRegression(solver="lbfgs", learning_rate=0.1, tol=1e-8).fit(X, y)
    np.testing.assert_allclose(plain.coef_, named.coef_, rtol=1e-6)


@pytest.mark.parametrize("n_targets", [None, 1, 2])
@pytest.mark.parametrize("l1_ratio, reference", [(0.0, Ridge), (1.0, Lasso)])
def test_regression_attribute_and_prediction_shapes_follow_ridge_and_lasso(
    n_targets, l1_ratio, reference
):
    """test_common.py::test_linear_model_regressor_coef_shape: a column y gives a 1-D coef_."""
    X, y, _ = make_data(GDLinearRegression)
    Y = y if n_targets is None else np.column_stack([y * (k + 1) for k in range(n_targets)])
    solver = "lbfgs" if l1_ratio == 0 else "cd"
    ours = GDLinearRegression(solver=solver, alpha=0.1, l1_ratio=l1_ratio, tol=1e-8).fit(X, Y)
    params = {"alpha": 0.1 * len(y)} if l1_ratio == 0 else {"alpha": 0.1, "tol": 1e-12}
    ref = reference(**params).fit(X, Y)
    assert ours.coef_.shape == ref.coef_.shape
    assert np.shape(ours.intercept_) == np.shape(ref.intercept_)
    assert ours.predict(X).shape == ref.predict(X).shape
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-5, atol=1e-5)
