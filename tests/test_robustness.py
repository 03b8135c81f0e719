"""Robustness under hostile or unlucky data.

Every case family runs over all three estimators and every solver of the
registry. The contract checked for each generated case is the issue's:

* either a fitted model whose coefficients are finite, whose objective
  (the user guide's objective, recomputed here independently of the package) is no
  worse than at zero coefficients, whose predictions are finite, and which ran
  at most ``max_iter`` iterations;
* or a ``ValueError`` / ``TypeError`` whose message names the problem (a
  regular expression per family).

Never NaN/inf coefficients, never a NumPy ``RuntimeWarning`` escaping (the
pytest configuration turns those into errors) and never a hang (``max_iter`` is
small everywhere).
"""

import os
import re
import tempfile

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import fitted_objective
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from sklearn_gd import (
    SOLVERS,
    GDLinearRegression,
    GDLogisticRegression,
    GDSoftmaxClassifier,
)

# max_iter is deliberately tiny: not converging is expected and not the point.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = (GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier)
CLASSIFIERS = (GDLogisticRegression, GDSoftmaxClassifier)


def _combos(estimators):
    return [
        pytest.param(cls, solver, id=f"{cls.__name__[2:]}-{solver}")
        for cls in estimators
        for solver in SOLVERS
    ]


ALL = _combos(ESTIMATORS)

# Small and explicit: the CI profile (conftest) derandomizes; every test also
# carries @example cases for the extremes the issue names. No shrinking: a
# failing case is reported as generated (shrinking would refit hundreds of times).
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
FEW = settings(
    deadline=None,
    max_examples=3,
    phases=NO_SHRINK,
    suppress_health_check=[HealthCheck.too_slow],
)
TWO = settings(FEW, max_examples=2)
ONE = settings(FEW, max_examples=1)  # for cases where the data hardly matter

# Messages that name the problem, per family (case-insensitive, DOTALL).
SCALE_PROBLEM = r"diverg|extreme|scal|overflow|finite|too large"
TARGET_PROBLEM = r"\by\b|target|extreme|overflow|scal|too large for dtype"
CLASS_PROBLEM = r"class"
WEIGHT_PROBLEM = r"sample.weight"
CONVERT_PROBLEM = r"string|float|convert|numeric|dtype"
COMPLEX_PROBLEM = r"complex"
EMPTY_PROBLEM = r"0 sample|0 feature|empty|minimum|at least"
LABEL_PROBLEM = r"label|\by\b|target|mix|string|float|convert|numeric"

params_strategy = st.fixed_dictionaries(
    {
        "alpha": st.sampled_from([0.0, 1e-4, 1.0]),
        "l1_ratio": st.sampled_from([0.0, 0.5]),
        "fit_intercept": st.booleans(),
        "max_iter": st.sampled_from([1, 30]),
        "batch_size": st.sampled_from(["auto", 3]),
    }
)
DEFAULT = {"alpha": 1e-4, "l1_ratio": 0.0, "fit_intercept": True, "max_iter": 30}
seeds = st.integers(0, 2**16)


# --------------------------------------------------------------------- helpers
def is_classifier(cls):
    return cls in CLASSIFIERS


def make_estimator(cls, solver, params=None):
    params = dict(DEFAULT if params is None else params)
    if not SOLVERS[solver].supports_l1:
        params["l1_ratio"] = 0.0
    return cls(solver=solver, random_state=0, **params)


def base_features(rng, n, d):
    return rng.standard_normal((n, d)) + rng.uniform(-1, 1, size=d)


def targets(cls, rng, Z, n_classes=None):
    """Targets from well-scaled features ``Z``: real values, or >= 2 classes."""
    n, d = Z.shape
    if not is_classifier(cls):
        return Z @ rng.uniform(-2, 2, size=d) + 0.5 + 0.1 * rng.standard_normal(n)
    k = n_classes or int(rng.integers(2, 4))
    y = np.argmax(Z @ rng.standard_normal((d, k)) + rng.gumbel(size=(n, k)), axis=1)
    y[: min(n, k)] = np.arange(min(n, k))
    return y


def assert_good_fit(est, X, y, sample_weight=None):
    """The first outcome of the contract: a usable fitted model."""
    coef = np.asarray(est.coef_)
    intercept = np.asarray(est.intercept_)
    assert np.all(np.isfinite(coef)), f"non-finite coef_: {coef}"
    assert np.all(np.isfinite(intercept)), f"non-finite intercept_: {intercept}"
    assert 1 <= est.n_iter_ <= est.max_iter, (est.n_iter_, est.max_iter)
    # AdamW does not minimise the objective when there is an L2 part (by design).
    if not (est.solver == "adamw" and est.alpha * (1 - est.l1_ratio) > 0):
        fitted = fitted_objective(est, X, y, sample_weight)
        zero = fitted_objective(
            est, X, y, sample_weight, np.zeros_like(coef), np.zeros_like(intercept)
        )
        rtol = 1e-5 if coef.dtype == np.float32 else 1e-9
        assert fitted <= zero + rtol * abs(zero) + 1e-12, (
            f"objective {fitted!r} at the fitted coefficients is worse than {zero!r} at zero"
        )
    prediction = est.predict(X)
    assert prediction.shape[0] == X.shape[0]
    if hasattr(est, "classes_"):
        assert np.all(np.isin(prediction, est.classes_))
        proba = est.predict_proba(X)
        assert np.all(np.isfinite(proba)) and np.all((proba >= 0) & (proba <= 1))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
        assert np.all(np.isfinite(est.decision_function(X)))
    else:
        assert np.all(np.isfinite(prediction))


def check_outcome(est, X, y, sample_weight=None, *, problem=None):
    """Fit and check the contract; ``problem=None`` means the data must be accepted.

    Returns the fitted estimator, or None when fit refused with a message that
    matches ``problem``.
    """
    try:
        est.fit(X, y, sample_weight=sample_weight)
    except (ValueError, TypeError) as exc:
        if problem is None:
            raise
        assert re.search(problem, str(exc), flags=re.IGNORECASE | re.DOTALL), (
            f"{type(exc).__name__} does not name the problem (/{problem}/): {exc}"
        )
        return None
    assert_good_fit(est, X, y, sample_weight)
    return est


# ------------------------------------------------------------ extreme scales
@pytest.mark.parametrize("cls, solver", ALL)
@FEW
@given(
    seed=seeds,
    n=st.integers(2, 25),
    exponents=st.lists(st.integers(-150, 150), min_size=1, max_size=4),
    sparse=st.booleans(),
    params=params_strategy,
)
@example(seed=0, n=20, exponents=[150, 150, 150], sparse=False, params=DEFAULT)
@example(seed=0, n=20, exponents=[-150, -150], sparse=False, params=DEFAULT)
@example(seed=0, n=20, exponents=[-150, 0, 150], sparse=False, params=DEFAULT)
def test_extreme_feature_scales(cls, solver, seed, n, exponents, sparse, params):
    """Features from 1e-150 to 1e150, one scale or mixed within one matrix."""
    rng = np.random.default_rng(seed)
    Z = base_features(rng, n, len(exponents))
    y = targets(cls, rng, Z)
    X = Z * 10.0 ** np.array(exponents, dtype=float)
    if sparse:
        X = sp.csr_matrix(X)
    check_outcome(make_estimator(cls, solver, params), X, y, problem=SCALE_PROBLEM)


@pytest.mark.parametrize("cls, solver", ALL)
@FEW
@given(
    seed=seeds,
    n=st.integers(2, 25),
    exponents=st.lists(st.integers(-30, 30), min_size=1, max_size=4),
    params=params_strategy,
)
@example(seed=0, n=20, exponents=[30, 30], params=DEFAULT)
@example(seed=0, n=20, exponents=[-30, -30], params=DEFAULT)
@example(seed=0, n=20, exponents=[-30, 0, 30], params=DEFAULT)
def test_extreme_feature_scales_float32(cls, solver, seed, n, exponents, params):
    """The same in float32, whose range ends near 3e38: scales 1e-30..1e30."""
    rng = np.random.default_rng(seed)
    Z = base_features(rng, n, len(exponents))
    y = targets(cls, rng, Z)
    X = (Z * 10.0 ** np.array(exponents, dtype=float)).astype(np.float32)
    check_outcome(make_estimator(cls, solver, params), X, y, problem=SCALE_PROBLEM)


# ------------------------------------------------------ degenerate designs
@pytest.mark.parametrize("cls, solver", ALL)
@FEW
@given(
    seed=seeds,
    n=st.integers(2, 25),
    d=st.integers(1, 4),
    constant=st.sampled_from([0.0, 1.0, -3.5, 1e6]),
    n_constant=st.integers(0, 2),
    n_duplicates=st.integers(0, 3),
    params=params_strategy,
)
@example(seed=0, n=10, d=1, constant=0.0, n_constant=2, n_duplicates=3, params=DEFAULT)
@example(seed=1, n=10, d=2, constant=1e6, n_constant=1, n_duplicates=2, params=DEFAULT)
def test_constant_and_duplicated_columns(
    cls, solver, seed, n, d, constant, n_constant, n_duplicates, params
):
    """Constant columns (zero, or equal to the intercept's) and exact duplicates."""
    rng = np.random.default_rng(seed)
    Z = base_features(rng, n, d)
    y = targets(cls, rng, Z)
    duplicates = Z[:, rng.integers(0, d, size=n_duplicates)]
    X = np.hstack([Z, np.full((n, n_constant), constant), duplicates])
    # A column of 1e6 is also a badly scaled one: it may be refused as such.
    problem = SCALE_PROBLEM if abs(constant) > 100 and n_constant else None
    check_outcome(make_estimator(cls, solver, params), X, y, problem=problem)


@pytest.mark.parametrize("cls, solver", ALL)
@FEW
@given(seed=seeds, n=st.integers(2, 6), extra=st.integers(1, 40), params=params_strategy)
@example(seed=0, n=2, extra=40, params={**DEFAULT, "alpha": 0.0})
def test_more_features_than_samples(cls, solver, seed, n, extra, params):
    rng = np.random.default_rng(seed)
    Z = base_features(rng, n, n + extra)
    y = targets(cls, rng, Z)
    check_outcome(make_estimator(cls, solver, params), Z, y)


@pytest.mark.parametrize("cls, solver", ALL)
@FEW
@given(seed=seeds, d=st.integers(1, 5), params=params_strategy)
@example(seed=0, d=3, params={**DEFAULT, "alpha": 0.0})
def test_single_sample(cls, solver, seed, d, params):
    """One sample: a regression fits; a classifier sees one class and says so."""
    rng = np.random.default_rng(seed)
    X = base_features(rng, 1, d)
    y = targets(cls, rng, X)
    problem = CLASS_PROBLEM if is_classifier(cls) else None
    check_outcome(make_estimator(cls, solver, params), X, y, problem=problem)


# --------------------------------------------------------- degenerate targets
@pytest.mark.parametrize("cls, solver", ALL)
@FEW
@given(
    seed=seeds,
    n=st.integers(1, 20),
    label=st.sampled_from([0, 1, -7, 2.5, "a"]),
    params=params_strategy,
)
@example(seed=0, n=10, label="a", params=DEFAULT)
def test_one_class_present(cls, solver, seed, n, label, params):
    """All targets equal: a classifier refuses naming the class; a regression fits."""
    rng = np.random.default_rng(seed)
    X = base_features(rng, n, 3)
    if is_classifier(cls):
        y = np.array([label] * n, dtype=object if isinstance(label, str) else None)
        problem = CLASS_PROBLEM
    else:
        y = np.full(n, 0.0 if isinstance(label, str) else float(label))
        problem = None
    check_outcome(make_estimator(cls, solver, params), X, y, problem=problem)


@pytest.mark.parametrize("cls, solver", ALL)
@FEW
@given(seed=seeds, n=st.integers(4, 25), params=params_strategy)
@example(seed=0, n=20, params={**DEFAULT, "alpha": 0.0})
def test_one_class_has_all_the_weight(cls, solver, seed, n, params):
    """Zero weight on every sample but those of one class (half the rows for regression)."""
    rng = np.random.default_rng(seed)
    X = base_features(rng, n, 3)
    y = targets(cls, rng, X)
    if is_classifier(cls):
        sample_weight = np.where(y == y[0], rng.uniform(0.5, 2.0, size=n), 0.0)
        problem = CLASS_PROBLEM + "|" + WEIGHT_PROBLEM
    else:
        sample_weight = np.where(np.arange(n) % 2 == 0, rng.uniform(0.5, 2.0, size=n), 0.0)
        problem = None
    check_outcome(make_estimator(cls, solver, params), X, y, sample_weight, problem=problem)


@pytest.mark.parametrize("cls, solver", ALL)
@FEW
@given(
    seed=seeds,
    n=st.integers(2, 30),
    d=st.integers(1, 4),
    margin=st.sampled_from([0.1, 1.0, 100.0]),
    params=params_strategy,
)
@example(seed=0, n=20, d=1, margin=100.0, params=DEFAULT)
def test_perfectly_separable_without_penalty(cls, solver, seed, n, d, margin, params):
    """alpha=0 and classes separable with a margin (no finite minimiser); exact fit for OLS."""
    rng = np.random.default_rng(seed)
    X = base_features(rng, n, d)
    w = rng.standard_normal(d)
    unit = w / (w @ w)  # x . w moves by 1 along it
    X[0], X[-1] = -unit, unit  # both sides are present
    side = np.where(X @ w > 0, 1.0, -1.0)
    X += np.outer(side, unit) * margin  # every |x . w| >= margin
    y = (side > 0).astype(int) if is_classifier(cls) else X @ w + 3.0
    check_outcome(make_estimator(cls, solver, {**params, "alpha": 0.0}), X, y)


@pytest.mark.parametrize("cls, solver", ALL)
@FEW
@given(seed=seeds, n=st.integers(2, 25), exponent=st.integers(100, 300), params=params_strategy)
@example(seed=0, n=20, exponent=200, params=DEFAULT)
def test_huge_targets(cls, solver, seed, n, exponent, params):
    """Targets near 1e200. For a classifier such labels are just labels (integral floats)."""
    rng = np.random.default_rng(seed)
    X = base_features(rng, n, 3)
    y = targets(cls, rng, X)
    if is_classifier(cls):
        y = np.array([-1.0, 1.0, 3.0])[y] * 10.0**exponent
        check_outcome(make_estimator(cls, solver, params), X, y, problem=LABEL_PROBLEM)
    else:
        y = y * 10.0**exponent
        check_outcome(make_estimator(cls, solver, params), X, y, problem=TARGET_PROBLEM)


# ------------------------------------------------------------ invalid values
@pytest.mark.parametrize("cls, solver", ALL)
@FEW
@given(
    seed=seeds,
    where=st.sampled_from(["X", "y", "sample_weight"]),
    value=st.sampled_from([np.nan, np.inf, -np.inf]),
    sparse=st.booleans(),
)
@example(seed=0, where="X", value=np.nan, sparse=True)
@example(seed=0, where="y", value=np.inf, sparse=False)
@example(seed=0, where="sample_weight", value=np.nan, sparse=False)
def test_non_finite_values_are_refused(cls, solver, seed, where, value, sparse):
    """NaN/inf in X, y or sample_weight: a ValueError naming the input and the value."""
    rng = np.random.default_rng(seed)
    X = base_features(rng, 12, 3)
    y = targets(cls, rng, X).astype(float)
    sample_weight = np.ones(12)
    if where == "X":
        X[int(rng.integers(12)), int(rng.integers(3))] = value
    elif where == "y":
        y[int(rng.integers(12))] = value
    else:
        sample_weight[int(rng.integers(12))] = value
    if sparse:
        X = sp.csr_matrix(X)
    name = {"X": r"\bX\b", "y": r"\by\b", "sample_weight": r"sample.weight"}[where]
    problem = name + r".*(nan|inf|finite)"
    est = make_estimator(cls, solver)
    with pytest.raises(ValueError) as info:
        est.fit(X, y, sample_weight=sample_weight)
    assert re.search(problem, str(info.value), flags=re.IGNORECASE | re.DOTALL), str(info.value)


@pytest.mark.parametrize("cls, solver", ALL)
@FEW
@given(
    seed=seeds,
    n=st.integers(2, 20),
    kind=st.sampled_from(["negative", "all zero", "some zero", "huge", "tiny", "mixed"]),
)
@example(seed=0, n=10, kind="huge")
@example(seed=0, n=10, kind="tiny")
@example(seed=0, n=10, kind="mixed")
def test_sample_weight_values(cls, solver, seed, n, kind):
    """Negative or all-zero weights are refused; zeros and extreme magnitudes are legal.

    The objective divides by ``S = sum(s)``, so weights of 1e300 or 1e-320 (or
    both) define a perfectly ordinary problem.
    """
    rng = np.random.default_rng(seed)
    X = base_features(rng, n, 3)
    y = targets(cls, rng, X)
    sample_weight = rng.uniform(0.5, 2.0, size=n)
    problem = None
    if kind == "negative":
        sample_weight[0] = -1.0
        problem = r"negative"
    elif kind == "all zero":
        sample_weight[:] = 0.0
        problem = r"zero|positive"
    elif kind == "some zero":
        sample_weight[1::2] = 0.0
    elif kind == "huge":
        sample_weight *= 1e308 / 2  # their sum overflows
    elif kind == "tiny":
        sample_weight[:] = 1e-320
    else:
        sample_weight[::2] *= 1e300
        sample_weight[1::2] *= 1e-300
    check_outcome(make_estimator(cls, solver), X, y, sample_weight, problem=problem)


# ---------------------------------------------------------------- odd types
DTYPE_CASES = {
    # case: (what to change, outcome) - None: must fit; a regex: may refuse naming it
    "complex X": COMPLEX_PROBLEM,
    "complex y": COMPLEX_PROBLEM,
    "complex sample_weight": COMPLEX_PROBLEM,
    "string X": CONVERT_PROBLEM,
    "object X with a string": CONVERT_PROBLEM,
    "object X of numbers": None,
    "numeric strings X": CONVERT_PROBLEM,
    "boolean X": None,
    "boolean y": None,
    "string y": "classifier-fits",
    "object sample_weight": None,
    "string sample_weight": CONVERT_PROBLEM,
    "huge integer X": SCALE_PROBLEM,
    "uint8 X": None,
}


@pytest.mark.parametrize("case", list(DTYPE_CASES))
@pytest.mark.parametrize("cls, solver", ALL)
@ONE
@given(seed=seeds, n=st.integers(4, 15))
def test_unusual_and_unsupported_dtypes(cls, solver, case, seed, n):
    """Object, string, complex, boolean and integer arrays."""
    rng = np.random.default_rng(seed)
    Z = base_features(rng, n, 3)
    X, y, sample_weight = Z.copy(), targets(cls, rng, Z), None
    problem = DTYPE_CASES[case]
    if case == "complex X":
        X = X + 1j
    elif case == "complex y":
        y = y + 1j
    elif case == "complex sample_weight":
        sample_weight = np.ones(n) + 0.5j
    elif case == "string X":
        X = np.array([["a", "b", "c"]] * n)
    elif case == "object X with a string":
        X = X.astype(object)
        X[0, 0] = "a"
    elif case == "object X of numbers":
        X = X.astype(object)
    elif case == "numeric strings X":
        X = X.astype(str)
    elif case == "boolean X":
        X = X > 0
    elif case == "boolean y":
        y = np.arange(n) % 2 == 0
    elif case == "string y":
        y = np.array(["cat", "dog", "emu"])[np.arange(n) % 3]
        problem = None if is_classifier(cls) else CONVERT_PROBLEM
    elif case == "object sample_weight":
        sample_weight = np.ones(n, dtype=object)
    elif case == "string sample_weight":
        sample_weight = np.array(["heavy"] * n)
    elif case == "huge integer X":
        X = (np.sign(X) * (2**62) * np.minimum(np.abs(X), 1.5)).astype(np.int64)
    elif case == "uint8 X":
        X = rng.integers(0, 256, size=X.shape).astype(np.uint8)
    check_outcome(make_estimator(cls, solver), X, y, sample_weight, problem=problem)


@pytest.mark.parametrize("cls, solver", ALL)
@pytest.mark.parametrize("shape", [(0, 3), (5, 0), (0, 0)], ids=str)
def test_empty_arrays(cls, solver, shape):
    """Empty X (no samples or no features) is refused; so is predicting on no samples."""
    X = np.empty(shape)
    y = np.empty(shape[0]) if not is_classifier(cls) else np.arange(shape[0]) % 2
    with pytest.raises(ValueError, match=EMPTY_PROBLEM):
        make_estimator(cls, solver).fit(X, y)
    rng = np.random.default_rng(0)
    Z = base_features(rng, 10, 3)
    est = make_estimator(cls, solver).fit(Z, targets(cls, rng, Z, n_classes=2))
    try:
        prediction = est.predict(Z[:0])
    except ValueError as exc:
        assert re.search(EMPTY_PROBLEM, str(exc)), str(exc)
    else:
        assert prediction.shape == (0,)


MIXED_LABELS = {
    "str and int": ["a", 1],
    "str and float": ["a", 2.5],
    "int and digit str": [1, "1"],
    "str and None": ["a", None],
    "str and bytes": ["a", b"a"],
    "bool and str": [True, "yes"],
}


@pytest.mark.parametrize("mix", list(MIXED_LABELS))
@pytest.mark.parametrize("cls, solver", ALL)
@ONE
@given(seed=seeds, n=st.integers(4, 15))
def test_labels_of_mixed_types(cls, solver, mix, seed, n):
    """Targets mixing strings, numbers, None, bytes: fit, or an error about the labels."""
    rng = np.random.default_rng(seed)
    X = base_features(rng, n, 3)
    y = np.array(MIXED_LABELS[mix] * n, dtype=object)[:n]
    est = check_outcome(make_estimator(cls, solver), X, y, problem=LABEL_PROBLEM)
    if est is not None and is_classifier(cls):
        assert len(est.classes_) == len(set(map(repr, MIXED_LABELS[mix])))


# ------------------------------------------------------------ memory layouts
@pytest.mark.parametrize("cls, solver", ALL)
@TWO
@given(seed=seeds, n=st.integers(4, 25), d=st.integers(1, 4))
def test_read_only_and_memory_mapped_inputs(cls, solver, seed, n, d):
    """Read-only arrays and memory maps fit exactly like their writeable copies."""
    rng = np.random.default_rng(seed)
    X = base_features(rng, n, d)
    y = targets(cls, rng, X)
    sample_weight = rng.uniform(0.5, 2.0, size=n)
    expected = make_estimator(cls, solver).fit(X, y, sample_weight)
    frozen = [a.copy() for a in (X, y, sample_weight)]
    for a in frozen:
        a.flags.writeable = False
    with tempfile.TemporaryDirectory() as tmp:
        maps = []
        for name, a in zip("Xys", (X, y, sample_weight), strict=True):
            path = os.path.join(tmp, f"{name}.npy")
            np.save(path, a)
            maps.append(np.load(path, mmap_mode="r"))
        frozen_sparse = sp.csr_matrix(X)
        for a in (frozen_sparse.data, frozen_sparse.indices, frozen_sparse.indptr):
            a.flags.writeable = False
        for inputs in (frozen, maps):
            got = check_outcome(make_estimator(cls, solver), *inputs)
            np.testing.assert_array_equal(got.coef_, expected.coef_)
            np.testing.assert_array_equal(got.intercept_, expected.intercept_)
        got = check_outcome(make_estimator(cls, solver), frozen_sparse, y, sample_weight)
        scale = max(np.max(np.abs(expected.coef_)), 1e-3)
        np.testing.assert_allclose(got.coef_, expected.coef_, rtol=0, atol=1e-7 * scale)


@pytest.mark.parametrize("cls, solver", ALL)
@TWO
@given(seed=seeds, n=st.integers(4, 25), d=st.integers(1, 4))
def test_memory_layouts_and_integer_X(cls, solver, seed, n, d):
    """Fortran order, strided and transposed views, integer X: the same model as C order."""
    rng = np.random.default_rng(seed)
    integers = rng.integers(-5, 6, size=(n, d))
    X = np.ascontiguousarray(integers, dtype=np.float64) + rng.standard_normal((n, d))
    y = targets(cls, rng, X)
    expected = make_estimator(cls, solver).fit(X, y)
    scale = max(np.max(np.abs(expected.coef_)), 1e-3)
    parent = np.zeros((2 * n, 3 * d))
    parent[::2, ::3] = X
    views = {
        "fortran": np.asfortranarray(X),
        "strided view": parent[::2, ::3],
        "negative strides": X[::-1, ::-1].copy()[::-1, ::-1],
    }
    for name, view in views.items():
        assert np.array_equal(view, X), name
        got = check_outcome(make_estimator(cls, solver), view, y)
        np.testing.assert_allclose(got.coef_, expected.coef_, rtol=0, atol=1e-7 * scale)
    # integer X means its float64 value, bit for bit
    as_float = make_estimator(cls, solver).fit(integers.astype(np.float64), y)
    for dtype in (np.int64, np.int16):
        got = check_outcome(make_estimator(cls, solver), integers.astype(dtype), y)
        np.testing.assert_array_equal(got.coef_, as_float.coef_)


# ---------------------------------------------------- a silent wrong answer
@pytest.mark.parametrize("solver", [s for s, c in SOLVERS.items() if c.supports_l1])
@FEW
@given(seed=seeds)
@example(seed=0)
def test_softmax_reports_the_minimising_representative_with_l1(solver, seed):
    """Adding one vector to every class row leaves the softmax unchanged, not the L1 norm.

    Among those equivalent coefficient matrices the one reported must be the one
    the objective prefers (for L1: the per-feature median across classes is 0),
    not the mean-centred one, which is dense and has a larger objective.
    """
    rng = np.random.default_rng(seed)
    X = base_features(rng, 60, 4)
    y = targets(GDSoftmaxClassifier, rng, X, n_classes=3)
    est = GDSoftmaxClassifier(solver=solver, alpha=0.05, l1_ratio=1.0, max_iter=300)
    est.fit(X, y)
    reported = fitted_objective(est, X, y, None)
    W = est.coef_
    shifted = fitted_objective(est, X, y, None, W - np.median(W, axis=0), est.intercept_)
    assert reported <= shifted + 1e-6 * abs(shifted), (
        f"the reported coefficients have objective {reported:.6g}; the equivalent "
        f"median-centred ones {shifted:.6g}\n{W}"
    )
