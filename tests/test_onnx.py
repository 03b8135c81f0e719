"""Export: ONNX graphs (sklearn_gd.onnx, run by onnxruntime) against our predictions; skops.

The exported graph must give ``predict`` and ``predict_proba`` of the fitted
estimator: to 1e-6 in float64 and 1e-5 in float32. The converter reads only the
fitted ``coef_``, ``intercept_`` and ``classes_``, so two solvers (the default
and a stochastic one) stand for all.
"""

import importlib
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import classification_data, regression_data
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_gd import SOLVERS, Adam, GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier

MISSING = 'ONNX export needs skl2onnx and onnxruntime: pip install "sklearn-gd[onnx]"'
#: The default solver and the first stochastic one of the registry.
SOLVER_NAMES = [
    GDLinearRegression().solver,
    next(name for name, cls in SOLVERS.items() if cls.stochastic),
]
CLASSIFIERS = [GDLogisticRegression, GDSoftmaxClassifier]
TOL = {np.float32: 1e-5, np.float64: 1e-6}


@pytest.fixture(scope="module")
def run_onnx():
    """``run(model, X, **options)``: the outputs of the exported ``model`` on ``X``."""
    pytest.importorskip("skl2onnx", reason=MISSING)
    ort = pytest.importorskip("onnxruntime", reason=MISSING)
    from skl2onnx import to_onnx

    import sklearn_gd.onnx  # noqa: F401  (registers the converters)

    def run(model, X, target_opset=None, **options):
        final = model[-1] if isinstance(model, Pipeline) else model
        options = {id(final): options} if options else None
        onx = to_onnx(model, X[:1], options=options, target_opset=target_opset)
        session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
        return session.run(None, {session.get_inputs()[0].name: X})

    return run


def fitted(model, X, y):
    # A stochastic solver may stop short of tol here: the export is the point.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def classifier(cls, solver, n_classes, dtype=np.float64, labels=None, seed=0):
    X, y, _ = classification_data(seed, 90, 4, n_classes)
    y = y if labels is None else np.asarray(labels)[y]
    X = X.astype(dtype)
    return fitted(cls(solver=solver, alpha=1e-3, random_state=0), X, y), X


def assert_exported_classifier(run_onnx, model, X, X_fit=None):
    label, proba = run_onnx(model, X, zipmap=False)
    X_fit = X if X_fit is None else X_fit
    np.testing.assert_array_equal(label, model.predict(X_fit))
    tol = TOL[X.dtype.type]
    np.testing.assert_allclose(proba, model.predict_proba(X_fit), rtol=0, atol=tol)
    assert proba.dtype == X.dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", SOLVER_NAMES)
@pytest.mark.parametrize("n_targets", [None, 1, 2])
def test_exported_regression_predicts_as_predict(run_onnx, dtype, solver, n_targets):
    X, y, rng = regression_data(0, 80, 5)
    if n_targets is not None:  # a 2-D y, one model per column
        y = np.column_stack([y, X @ rng.uniform(-1, 1, 5) - 3.0][:n_targets])
    X = X.astype(dtype)
    reg = fitted(GDLinearRegression(solver=solver, alpha=1e-3, random_state=0), X, y)
    (variable,) = run_onnx(reg, X)
    expected = reg.predict(X).reshape(len(X), -1)
    assert variable.shape == expected.shape == (80, n_targets or 1)
    assert variable.dtype == dtype
    np.testing.assert_allclose(variable, expected, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", SOLVER_NAMES)
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("cls", CLASSIFIERS, ids=lambda c: c.__name__)
def test_exported_classifier_gives_predict_and_predict_proba(
    run_onnx, cls, n_classes, solver, dtype
):
    # Binary logistic: sigmoid(-z), sigmoid(z); one-vs-rest: sigmoids over
    # their row sum (a softmax of the same scores is 0.3 off); softmax.
    model, X = classifier(cls, solver, n_classes, dtype)
    assert_exported_classifier(run_onnx, model, X)


LABELS = {"strings": ["no", "maybe", "yes"], "large ints": [-7, 40, 2**40]}


@pytest.mark.parametrize("labels", LABELS.values(), ids=LABELS.keys())
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("cls", CLASSIFIERS, ids=lambda c: c.__name__)
def test_exported_classifier_gives_the_class_labels(run_onnx, cls, n_classes, labels):
    model, X = classifier(cls, SOLVER_NAMES[0], n_classes, labels=labels[:n_classes])
    assert_exported_classifier(run_onnx, model, X)


@pytest.mark.parametrize("cls", CLASSIFIERS, ids=lambda c: c.__name__)
def test_exported_classifier_gives_boolean_labels_as_int64(run_onnx, cls):
    model, X = classifier(cls, SOLVER_NAMES[0], 2, labels=[True, False])
    label, _ = run_onnx(model, X, zipmap=False)  # as skl2onnx does
    assert label.dtype == np.int64
    np.testing.assert_array_equal(label.astype(bool), model.predict(X))


@pytest.mark.parametrize("cls", [GDLinearRegression, *CLASSIFIERS], ids=lambda c: c.__name__)
def test_exported_model_fitted_on_sparse_data_runs_on_dense_rows(run_onnx, cls):
    if cls is GDLinearRegression:
        X, y, _ = regression_data(1, 80, 6)
    else:
        X, y, _ = classification_data(1, 80, 6, 3)
    X[np.abs(X) < 0.8] = 0.0
    X_csr = sp.csr_matrix(X)
    model = fitted(cls(alpha=1e-3), X_csr, y)
    if cls is GDLinearRegression:
        (variable,) = run_onnx(model, X)
        np.testing.assert_allclose(variable.ravel(), model.predict(X_csr), rtol=1e-6, atol=1e-6)
    else:
        assert_exported_classifier(run_onnx, model, X, X_fit=X_csr)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls", [GDLinearRegression, *CLASSIFIERS], ids=lambda c: c.__name__)
def test_exported_pipeline_with_standard_scaler(run_onnx, cls, dtype):
    if cls is GDLinearRegression:
        X, y, _ = regression_data(2, 80, 4)
    else:
        X, y, _ = classification_data(2, 80, 4, 3)
    X = (100.0 * X + 50.0).astype(dtype)  # the scaler matters
    pipe = fitted(make_pipeline(StandardScaler(), cls(alpha=1e-3)), X, y)
    if cls is GDLinearRegression:
        (variable,) = run_onnx(pipe, X)
        tol = TOL[dtype]
        np.testing.assert_allclose(variable.ravel(), pipe.predict(X), rtol=tol, atol=tol)
    else:
        assert_exported_classifier(run_onnx, pipe, X)


def test_one_vs_rest_probabilities_stay_finite_where_every_sigmoid_underflows(run_onnx):
    model, X = classifier(GDLogisticRegression, SOLVER_NAMES[0], 3)
    # Rows whose three scores are about -1000: every sigmoid is 0 in float64.
    scores = np.array([[-1000.0, -1001.0, -1003.0], [-1200.0, -1199.5, -1199.0]])
    far = np.linalg.pinv(model.coef_) @ (scores - model.intercept_).T
    for dtype in [np.float32, np.float64]:
        X_far = far.T.astype(dtype)
        _, proba = run_onnx(model, X_far, zipmap=False)
        expected = model.predict_proba(X_far)
        np.testing.assert_allclose(expected.sum(axis=1), 1.0)
        np.testing.assert_allclose(proba, expected, rtol=0, atol=1e-4)


@pytest.mark.parametrize("target_opset", [9, 13])
@pytest.mark.parametrize("cls", CLASSIFIERS, ids=lambda c: c.__name__)
def test_exported_classifier_runs_at_older_target_opsets(run_onnx, cls, target_opset):
    model, X = classifier(cls, SOLVER_NAMES[0], 3)
    label, proba = run_onnx(model, X, target_opset=target_opset, zipmap=False)
    np.testing.assert_array_equal(label, model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=0, atol=1e-6)


def test_exported_classifier_options(run_onnx):
    model, X = classifier(GDLogisticRegression, SOLVER_NAMES[0], 3, labels=["a", "b", "c"])
    X32 = X.astype(np.float32)
    proba = model.predict_proba(X32)
    # zipmap (the default; float32 only, as in skl2onnx): one dict per row
    label, dicts = run_onnx(model, X32)
    np.testing.assert_array_equal(label, model.predict(X32))
    assert list(dicts[0]) == ["a", "b", "c"]
    got = np.array([[row[c] for c in model.classes_] for row in dicts])
    np.testing.assert_allclose(got, proba, atol=1e-5)
    # zipmap="columns": one output per class
    label, *columns = run_onnx(model, X, zipmap="columns")
    np.testing.assert_allclose(np.column_stack(columns), model.predict_proba(X), atol=1e-6)
    # nocl: class indices; output_class_labels: classes_ as a third output
    index, _ = run_onnx(model, X, zipmap=False, nocl=True)
    np.testing.assert_array_equal(model.classes_[index], model.predict(X))
    *_, class_labels = run_onnx(model, X, zipmap=False, output_class_labels=True)
    np.testing.assert_array_equal(class_labels, model.classes_)
    # raw_scores: the linear predictor
    _, scores = run_onnx(model, X, zipmap=False, raw_scores=True)
    np.testing.assert_allclose(scores, model.decision_function(X), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("cls", CLASSIFIERS, ids=lambda c: c.__name__)
def test_binary_raw_scores_give_the_decision_function(run_onnx, cls):
    model, X = classifier(cls, SOLVER_NAMES[0], 2)
    _, scores = run_onnx(model, X, zipmap=False, raw_scores=True)
    assert scores.shape == (len(X), 2)
    # logistic: [-z, z]; softmax: the two class scores, z = z_1 - z_0
    z = scores[:, 1] if cls is GDLogisticRegression else scores[:, 1] - scores[:, 0]
    np.testing.assert_allclose(z, model.decision_function(X), rtol=1e-6, atol=1e-6)


def test_labels_onnx_cannot_hold_are_refused_unless_nocl(run_onnx):
    labels = np.array([1, 2**63 + 1], dtype=np.uint64)
    model, X = classifier(GDSoftmaxClassifier, SOLVER_NAMES[0], 2, labels=labels)
    with pytest.raises(ValueError, match=r"int64 or strings.*nocl"):
        run_onnx(model, X, zipmap=False)
    index, proba = run_onnx(model, X, zipmap=False, nocl=True)
    np.testing.assert_array_equal(model.classes_[index], model.predict(X))
    np.testing.assert_allclose(proba, model.predict_proba(X), atol=1e-6)


def test_importing_the_package_does_not_import_skl2onnx():
    code = "import sys, sklearn_gd; print(sys.modules.get('skl2onnx') is not None)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_onnx_module_without_skl2onnx_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "sklearn_gd.onnx", raising=False)
    with pytest.raises(ImportError, match=r'pip install "sklearn-gd\[onnx\]"'):
        importlib.import_module("sklearn_gd.onnx")


def test_skops_round_trip_keeps_predictions_and_the_solver_state():
    sio = pytest.importorskip("skops.io", reason='needs skops: pip install "sklearn-gd[export]"')
    X, y, _ = classification_data(3, 90, 4, 3)
    model = GDSoftmaxClassifier(solver=Adam(beta_1=0.8), max_iter=30, random_state=0)
    pipe = fitted(make_pipeline(StandardScaler(), model), X, y)
    dumped = sio.dumps(pipe)
    untrusted = sio.get_untrusted_types(data=dumped)
    # only the package's own classes need trusting (estimator, solver, its state)
    assert untrusted and all(name.startswith("sklearn_gd.") for name in untrusted)
    loaded = sio.loads(dumped, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    assert loaded[-1].solver.get_params() == pipe[-1].solver.get_params()
    # partial_fit goes on from the saved solver state (Adam's moments): without
    # it the next epoch would land 0.01 away
    Xs = pipe[0].transform(X)
    for estimator in (pipe[-1], loaded[-1]):
        estimator.partial_fit(Xs, y)
    np.testing.assert_array_equal(loaded[-1].coef_, pipe[-1].coef_)
