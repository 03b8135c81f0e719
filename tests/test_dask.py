"""Fitting and predicting on dask arrays, on a real dask.distributed LocalCluster.

dask and distributed are in the ``test`` extra: these tests run in CI (no
importorskip). The cluster (two worker processes bound to 127.0.0.1) is started
and closed by the module fixture.
"""

import builtins
import logging
import re
import time
import warnings

import dask
import dask.array as da
import numpy as np
import pytest
from distributed import Client, LocalCluster, get_task_stream
from sklearn.exceptions import ConvergenceWarning

from sklearn_gd import GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier

FULL_BATCH = ["gd", "momentum", "lbfgs", "newton", "ista"]


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distributed's own start-up notices
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _data(kind):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    z = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 * rng.normal(size=400)
    if kind == "regression":
        return X, z
    if kind == "binary":
        return X, np.where(z > 0, "yes", "no")
    return X, np.digitize(z, [-1.0, 1.0])


CASES = [
    (GDLinearRegression, "regression"),
    (GDLogisticRegression, "binary"),
    (GDLogisticRegression, "multiclass"),
    (GDSoftmaxClassifier, "multiclass"),
]


def _params(est):
    return np.concatenate([np.ravel(est.coef_), np.ravel(est.intercept_)])


def _assert_same_model(a, b):
    pa, pb = _params(a), _params(b)
    np.testing.assert_allclose(pb, pa, rtol=1e-6, atol=1e-6 * np.max(np.abs(pa)))


@pytest.mark.parametrize("solver", FULL_BATCH)
@pytest.mark.parametrize("Estimator, kind", CASES)
def test_dask_fit_equals_numpy_fit(client, Estimator, kind, solver):
    X, y = _data(kind)
    # Every evaluation is one round trip to the cluster; momentum needs a few
    # hundred to converge, so it is compared after the same 25 iterations (the
    # dask fit follows the numpy fit's path iterate by iterate).
    max_iter = 25 if solver == "momentum" else 5000
    params = dict(solver=solver, alpha=0.05, tol=1e-6, max_iter=max_iter)
    Xd, yd = da.from_array(X, chunks=(100, 4)), da.from_array(y, chunks=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = Estimator(**params).fit(X, y)
        model = Estimator(**params).fit(Xd, yd)
    assert model.n_iter_ == reference.n_iter_
    _assert_same_model(reference, model)
    assert model.n_features_in_ == 4
    if kind != "regression":
        np.testing.assert_array_equal(model.classes_, reference.classes_)


# ------------------------------------------------------ consensus ADMM
def _count_global_evaluations(monkeypatch):
    """Record every map-reduce evaluation of the whole objective (value, gradient, Hessian)."""
    from sklearn_gd._dask import DaskObjective

    calls = []
    reduce = DaskObjective._reduce

    def recording_reduce(self, func, *args, **kwargs):
        calls.append(func.__name__)
        return reduce(self, func, *args, **kwargs)

    monkeypatch.setattr(DaskObjective, "_reduce", recording_reduce)
    return calls


@pytest.mark.parametrize("Estimator, kind", [CASES[0], CASES[1], CASES[3]])
def test_dask_admm_is_consensus_over_the_chunks_and_reaches_the_optimum(
    client, Estimator, kind, monkeypatch
):
    # Each chunk solves its own subproblem on its worker: the run makes no
    # map-reduce evaluation of the whole objective (the old global x-update
    # took the Hessian and gradients by map-reduce), yet lands on the optimum
    # of the numpy solvers, with the L1 part's exact zeros.
    X, y = _data(kind)
    X = np.column_stack([X, np.random.default_rng(3).normal(size=X.shape[0])])  # a useless one
    params = dict(alpha=0.05, l1_ratio=0.5, tol=1e-7, max_iter=5000)
    reference = Estimator(solver="ista", **params).fit(X, y)
    calls = _count_global_evaluations(monkeypatch)
    Xd, yd = da.from_array(X, chunks=(100, 5)), da.from_array(y, chunks=100)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = Estimator(solver="admm", **params).fit(Xd, yd)
    assert calls == []
    assert model.history_["optimality"][-1] <= 1e-7
    pa, pb = _params(reference), _params(model)
    np.testing.assert_allclose(pb, pa, rtol=1e-5, atol=1e-5 * np.max(np.abs(pa)))
    np.testing.assert_array_equal(np.ravel(model.coef_) == 0, np.ravel(reference.coef_) == 0)
    assert np.sum(model.coef_ == 0) >= 1


def test_dask_admm_stopped_short_warns_with_the_optimality_of_the_point_returned(client):
    from sklearn_gd._dask import DaskDesign, DaskObjective
    from sklearn_gd._loss import LogisticLoss
    from sklearn_gd._penalty import ElasticNetPenalty

    X, y = _data("binary")
    Xd = da.from_array(X, chunks=(100, 4))
    with pytest.warns(ConvergenceWarning, match="max_iter=4"):
        model = GDLogisticRegression(solver="admm", alpha=0.05, l1_ratio=0.5, max_iter=4)
        model.fit(Xd, y)
    assert model.n_iter_ == 4
    # The optimality reported is that of the coefficients returned.
    Y = (y == model.classes_[1]).astype(float)[:, None]
    objective = DaskObjective(
        DaskDesign(Xd, True),
        LogisticLoss(),
        da.from_array(Y, chunks=(100, 1)),
        da.ones(400, chunks=100),
        ElasticNetPenalty(0.05, 0.5),
        400.0,
    )
    theta = np.r_[model.coef_.ravel(), model.intercept_]
    t = 1.0 / objective.lipschitz()
    grad = objective.smooth_value_and_gradient(theta)[1]
    mapping = (theta - objective.prox(theta - t * grad, t)) / t
    np.testing.assert_allclose(model.history_["optimality"][-1], np.max(np.abs(mapping)))


def _stall_warning(Estimator, X, y, **params):
    """The ConvergenceWarning of a consensus admm fit on 4 chunks of ``X``, as text
    (synchronous scheduler: a few hundred quick iterations)."""
    Xd, yd = da.from_array(X, chunks=(100, X.shape[1])), da.from_array(y, chunks=100)
    with dask.config.set(scheduler="synchronous"), pytest.warns(ConvergenceWarning) as record:
        model = Estimator(solver="admm", alpha=0.05, l1_ratio=0.5, **params).fit(Xd, yd)
    return model, " ".join(str(w.message) for w in record)


def test_dask_admm_stalled_at_the_precision_of_float32_says_so_with_its_residuals():
    # Exact local solves on float32 chunks: the chunks agree with z to
    # rounding, while the float32 gradient no longer resolves tol=0.
    X, y = _data("regression")
    model, message = _stall_warning(GDLinearRegression, X.astype(np.float32), y, tol=0.0)
    assert model.n_iter_ < 3000
    assert "precision limit of float32" in message, message
    assert re.search(r"agree to [0-9.e+-]+ of \|z\| \(primal residual [0-9.e+-]+", message)
    assert "slow" not in message


def test_dask_admm_stalled_far_from_consensus_says_it_is_slow_not_precision(client, monkeypatch):
    # A stall while the chunks' solutions are still far from z is slow
    # consensus, not rounding: the warning says so, quotes the residuals and
    # says what may help. (The watch is made impatient to stall it early.)
    from sklearn_gd.solvers import admm

    monkeypatch.setattr(admm, "STALL_ITERATIONS", 2)
    monkeypatch.setattr(admm, "STALL_FACTOR", 0.3)
    X, y = _data("binary")
    model, message = _stall_warning(GDLogisticRegression, X, y, tol=1e-10, max_iter=100)
    assert model.n_iter_ < 10  # the stall, not max_iter, stopped it
    assert "consensus between the 4 chunks is slow" in message, message
    number = r"[0-9.e+-]+"
    figures = rf"primal residual {number}, dual residual {number} \(when it last fell: {number}"
    assert re.search(figures, message), message
    assert "larger max_iter, or fewer and larger chunks" in message
    assert "precision" not in message


def _counted(method, calls):
    """``method`` recording the ``n_samples`` of the object it is called on in ``calls``."""

    def counting(self, *args):
        calls.append(self.n_samples)
        return method(self, *args)

    return counting


@pytest.mark.parametrize("n_features", [4, 150])
def test_dask_admm_squared_loss_decomposes_each_chunk_once(monkeypatch, n_features):
    # The local x-update of the squared loss has a constant Hessian: each
    # chunk's matrix (its Hessian, or on wide chunks of 100 rows x 150
    # features its row Gram matrix) is formed and decomposed once, on its
    # worker, and reused by every iteration and every rho (the synchronous
    # scheduler runs the chunk tasks in this process, where they are counted).
    from sklearn_gd._data import Design
    from sklearn_gd._objective import Objective

    formed = {"hessian": [], "row_gram": []}
    for owner, name in [(Objective, "hessian"), (Design, "row_gram")]:
        monkeypatch.setattr(owner, name, _counted(getattr(owner, name), formed[name]))
    X, y = _data("regression")
    X = np.column_stack([X, np.random.default_rng(1).normal(size=(400, n_features - 4))])
    sw = np.random.default_rng(2).uniform(0.2, 2.0, 400)
    Xd, yd = da.from_array(X, chunks=(100, n_features)), da.from_array(y, chunks=100)
    params = dict(alpha=0.05, l1_ratio=0.5, tol=1e-9, max_iter=5000)
    with dask.config.set(scheduler="synchronous"), warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = GDLinearRegression(solver="admm", **params)
        model.fit(Xd, yd, sample_weight=da.from_array(sw, chunks=100))
    assert model.n_iter_ >= 10
    kind = "hessian" if n_features < 100 else "row_gram"
    assert formed == {"hessian": [], "row_gram": [], kind: [100] * 4}
    reference = GDLinearRegression(solver="ista", **params).fit(X, y, sample_weight=sw)
    _assert_same_model(reference, model)


def test_dask_fit_runs_on_the_active_client(client):
    X, y = _data("binary")
    with get_task_stream(client) as stream:
        GDLogisticRegression(solver="lbfgs").fit(da.from_array(X, chunks=(100, 4)), y)
    # the chunk tasks ran on the cluster's workers
    workers = {task["worker"] for task in stream.data}
    assert workers and workers <= set(client.scheduler_info()["workers"])


def test_dask_targets_are_on_the_workers_before_the_first_evaluation(client, monkeypatch):
    # Out of core, an evaluation that starts while the encoded targets are still
    # being computed makes the workers read chunks of X that wait for them
    # (measured: twice the worker memory). Slow targets make the race certain.
    from distributed import futures_of

    from sklearn_gd._dask import DaskObjective

    X, y = _data("binary")
    slow_y = da.from_array(y, chunks=100).map_blocks(
        lambda block: (time.sleep(0.3), block)[1], dtype=y.dtype
    )
    states = []
    reduce = DaskObjective._reduce

    def recording_reduce(self, *args, **kwargs):
        states.append({future.status for future in futures_of(self._persisted)})
        return reduce(self, *args, **kwargs)

    monkeypatch.setattr(DaskObjective, "_reduce", recording_reduce)
    GDLogisticRegression(solver="lbfgs").fit(da.from_array(X, chunks=(100, 4)), slow_y)
    assert states and states[0] == {"finished"}


def test_dask_lbfgs_reads_x_once_for_the_preconditioner_and_first_gradient(client, monkeypatch):
    # Out of core every map-reduce is a pass over X: the curvature block of the
    # preconditioner and the first value and gradient share one.
    from sklearn_gd._dask import DaskDesign

    rng = np.random.default_rng(0)
    X = rng.normal(size=(8000, 5)) * np.array([1.0, 10.0, 100.0, 1.0, 0.1])
    y = (X @ np.array([1.0, 0.1, 0.01, -1.0, 5.0]) + rng.normal(size=8000) > 0).astype(int)
    calls = []
    map_reduce = DaskDesign.map_reduce

    def recording_map_reduce(self, func, *args, **kwargs):
        calls.append(func.__name__)
        return map_reduce(self, func, *args, **kwargs)

    monkeypatch.setattr(DaskDesign, "map_reduce", recording_map_reduce)
    params = dict(solver="lbfgs", tol=1e-8)
    model = GDLogisticRegression(**params).fit(da.from_array(X, chunks=(2000, 5)), y)
    assert calls[0] == "_curvature_block_and_gradient"
    assert set(calls[1:]) == {"_value_and_gradient"}
    monkeypatch.undo()
    _assert_same_model(GDLogisticRegression(**params).fit(X, y), model)


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
def test_dask_fit_with_sample_and_class_weights(client):
    # tol=1e-9 is below what float64 values of this objective resolve: lbfgs
    # finishes on the refined objective (differences from the point reached),
    # on dask as on numpy, and lands on the same coefficients.
    X, y = _data("multiclass")
    weights = np.random.default_rng(1).integers(0, 4, size=X.shape[0]).astype(float)
    params = dict(solver="lbfgs", alpha=0.01, tol=1e-9, class_weight="balanced")
    reference = GDSoftmaxClassifier(**params).fit(X, y, sample_weight=weights)
    model = GDSoftmaxClassifier(**params).fit(
        da.from_array(X, chunks=(100, 4)),
        da.from_array(y, chunks=100),
        sample_weight=da.from_array(weights, chunks=100),
    )
    assert model.history_["optimality"][-1] <= 1e-9
    pa, pb = _params(reference), _params(model)
    np.testing.assert_allclose(pb, pa, rtol=1e-8, atol=1e-8 * np.max(np.abs(pa)))


@pytest.mark.parametrize("class_weight", ["balanced", {0: 2.0}])
def test_dask_class_weights_submit_the_label_encoding_once(client, class_weight):
    # The encoded labels feed the class counts, the checks and the objective,
    # three graphs: resubmitted under the same keys but fused differently, the
    # scheduler (in this process) logs a warning that this can deadlock.
    X, y = _data("multiclass")
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    scheduler_log = logging.getLogger("distributed.scheduler")
    scheduler_log.addHandler(handler)
    try:
        GDSoftmaxClassifier(class_weight=class_weight).fit(
            da.from_array(X, chunks=(100, 4)), da.from_array(y, chunks=100)
        )
    finally:
        scheduler_log.removeHandler(handler)
    assert not [r for r in records if "run_spec" in r.getMessage()]


@pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "solver, tol, widen", [("lbfgs", 1e-5, True), ("lbfgs", 2e-5, False), ("newton", 1e-5, True)]
)
def test_dask_float32_fit_finishes_refined_like_numpy(client, monkeypatch, solver, tol, widen):
    # Targets in the hundreds: float32 values stop resolving the objective's
    # decrease with the gradient far above tol. The refinement takes each
    # chunk's products in float64 only when tol is near float32's precision
    # (below 1.2e-5; not below 3e-6, which the float32 coefficients kept miss).
    from sklearn_gd._dask import DaskRefinedObjective

    X, z = _data("regression")
    X32, y = X.astype(np.float32), 300.0 + 100.0 * z
    params = dict(solver=solver, alpha=0.01, tol=tol)
    reference = GDLinearRegression(**params).fit(X32, y)
    widened = []
    init = DaskRefinedObjective.__init__

    def recording_init(self, objective, theta0, *, widen=True):
        widened.append(widen)
        init(self, objective, theta0, widen=widen)

    monkeypatch.setattr(DaskRefinedObjective, "__init__", recording_init)
    model = GDLinearRegression(**params).fit(da.from_array(X32, chunks=(97, 4)), y)
    assert widened and widened[0] is widen
    assert model.coef_.dtype == np.float32
    assert model.history_["optimality"][-1] <= tol
    pa, pb = _params(reference), _params(model)
    np.testing.assert_allclose(pb, pa, rtol=1e-6, atol=1e-6 * np.max(np.abs(pa)))


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_dask_float32_refined_run_names_float64_at_its_precision_limit(solver):
    # tol=1e-14 is below what even the float64 refinement resolves on targets
    # in the hundreds: the warning names the arithmetic that stopped, as on numpy.
    X, z = _data("regression")
    Xd = da.from_array(X.astype(np.float32), chunks=(97, 4))
    with dask.config.set(scheduler="synchronous"):
        with pytest.warns(ConvergenceWarning, match="precision limit of float64 arithmetic"):
            GDLinearRegression(solver=solver, alpha=0.01, tol=1e-14).fit(Xd, 300.0 + 100.0 * z)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 0.0), (np.float32, 0.0), (np.float32, 1e-4)])
def test_dask_refined_objective_equals_the_numpy_one(monkeypatch, dtype, tol):
    # Values relative to theta0, gradients and the L1 part's difference, chunk
    # by chunk without X ever in this process, as the numpy refinement gives
    # them; and refined again from a second point.
    from sklearn_gd._dask import DaskDesign, DaskObjective
    from sklearn_gd._data import Design
    from sklearn_gd._loss import MultinomialLoss
    from sklearn_gd._objective import Objective
    from sklearn_gd._penalty import ElasticNetPenalty

    X, y = _data("multiclass")
    X = X.astype(dtype)
    Y = np.eye(3)[y]
    s = np.random.default_rng(1).integers(0, 4, size=X.shape[0]).astype(float)
    penalty = ElasticNetPenalty(0.05, 0.5)
    numpy_objective = Objective(Design(X, True), MultinomialLoss(), Y, s, penalty)
    rng = np.random.default_rng(2)
    theta0 = rng.normal(size=numpy_objective.n_coef)
    theta1 = theta0 + 1e-3 * rng.normal(size=theta0.size)
    theta2 = theta1 + 1e-6 * rng.normal(size=theta0.size)

    monkeypatch.setattr(da.Array, "__array__", lambda *a, **k: pytest.fail("X was gathered"))
    with dask.config.set(scheduler="synchronous"):
        dask_objective = DaskObjective(
            DaskDesign(da.from_array(X, chunks=(130, 4)), True),
            MultinomialLoss(),
            da.from_array(Y, chunks=(130, 3)),
            da.from_array(s, chunks=130),
            penalty,
            float(s.sum()),
        )
        pairs = [(numpy_objective.refined(theta0, tol), dask_objective.refined(theta0, tol))]
        pairs.append(tuple(objective.refined(theta1, tol) for objective in pairs[0]))
        for expected, refined in pairs:
            assert refined.is_refined
            if dtype == np.float32:  # float64 products where numpy takes them
                assert refined.widen == (expected.design.dtype == np.float64)
            np.testing.assert_allclose(refined.reference_value, expected.reference_value)
            value, grad = refined.smooth_value_and_gradient(theta2)
            expected_value, expected_grad = expected.smooth_value_and_gradient(theta2)
            np.testing.assert_allclose(value, expected_value, rtol=1e-6)
            np.testing.assert_allclose(grad, expected_grad, rtol=1e-6, atol=1e-12)
            np.testing.assert_allclose(refined.smooth_value(theta2), value, rtol=1e-12)
            np.testing.assert_allclose(
                refined.nonsmooth_value(theta2), expected.nonsmooth_value(theta2), rtol=1e-12
            )


def test_dask_float32_and_uneven_chunks(client):
    X, y = _data("regression")
    X32 = X.astype(np.float32)
    params = dict(solver="newton", alpha=0.1)
    reference = GDLinearRegression(**params).fit(X32, y)
    model = GDLinearRegression(**params).fit(da.from_array(X32, chunks=(97, 2)), y)
    assert model.coef_.dtype == np.float32
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-5)


@pytest.mark.parametrize("Estimator, kind", CASES)
def test_dask_predictions_are_lazy_and_equal(client, Estimator, kind):
    X, y = _data(kind)
    model = Estimator(solver="lbfgs", alpha=0.05).fit(X, y)
    Xd = da.from_array(X, chunks=(100, 4))
    methods = ["predict"]
    if kind != "regression":
        methods += ["decision_function", "predict_proba", "predict_log_proba"]
    for method in methods:
        lazy = getattr(model, method)(Xd)
        assert isinstance(lazy, da.Array), method
        assert lazy.chunks[0] == Xd.chunks[0]
        expected = getattr(model, method)(X)
        result = lazy.compute()
        assert result.shape == expected.shape
        if method == "predict":
            np.testing.assert_array_equal(result, expected)
        else:
            np.testing.assert_allclose(result, expected, rtol=1e-12)


@pytest.mark.parametrize("Estimator, kind", [CASES[0], CASES[3]])
def test_dask_stochastic_solver_passes_over_chunks_reproducibly(client, Estimator, kind):
    X, y = _data(kind)
    Xd, yd = da.from_array(X, chunks=(100, 4)), da.from_array(y, chunks=100)
    params = dict(solver="sgd", alpha=0.01, max_iter=8, tol=1e-3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = Estimator(**params).fit(Xd, yd)
        again = Estimator(**params).fit(Xd, yd)
        other = Estimator(**{**params, "random_state": 1}).fit(Xd, yd)
    # the same chunk order (up to the rounding of multi-threaded BLAS)
    np.testing.assert_allclose(_params(again), _params(first), rtol=1e-10, atol=1e-12)
    assert not np.allclose(_params(other), _params(first), rtol=1e-6)  # another order
    assert first.n_iter_ % 4 == 0  # whole epochs of one pass per chunk
    reference = Estimator(solver="lbfgs", alpha=0.01).fit(X, y)
    assert first.score(X, y) > reference.score(X, y) - 0.05


def test_dask_mini_batches_follow_the_adaptive_schedule(client):
    X, y = _data("multiclass")
    Xd, yd = da.from_array(X, chunks=(100, 4)), da.from_array(y, chunks=100)
    params = dict(solver="sgd", batch_size=50, max_iter=200, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        on_dask = GDSoftmaxClassifier(**params).fit(Xd, yd)
        in_memory = GDSoftmaxClassifier(**params).fit(X, y)
    rates = np.unique(on_dask.history_["learning_rate"])
    assert rates.size > 1  # the plateaus divided the rate, as they do in memory
    np.testing.assert_allclose(rates.max() / rates, 5.0 ** np.arange(rates.size)[::-1])
    assert np.unique(in_memory.history_["learning_rate"]).size > 1
    assert on_dask.score(X, y) > in_memory.score(X, y) - 0.05


def test_dask_balanced_class_weight_with_mini_batches(client):
    X, y = _data("multiclass")
    keep = (y != 0) | (np.arange(y.shape[0]) % 5 == 0)  # class 0 made rare
    X, y = X[keep], y[keep]
    Xd, yd = da.from_array(X, chunks=(100, 4)), da.from_array(y, chunks=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        on_dask = GDSoftmaxClassifier(
            solver="sgd", class_weight="balanced", max_iter=200, random_state=0
        ).fit(Xd, yd)
    balanced = GDSoftmaxClassifier(class_weight="balanced").fit(X, y).predict_proba(X)
    unweighted = GDSoftmaxClassifier().fit(X, y).predict_proba(X)
    P = on_dask.predict_proba(X)
    assert np.mean(np.abs(P - balanced)) < 0.5 * np.mean(np.abs(P - unweighted))


def test_dask_fit_never_materialises_x_in_the_client(monkeypatch):
    # Converting the dask array to numpy in this process (what sklearn's
    # validate_data would do) is forbidden; the fit must still work.
    X, y = _data("regression")
    Xd = da.from_array(X, chunks=(100, 4))

    def refuse(self, *args, **kwargs):
        raise AssertionError("X was converted to a numpy array")

    monkeypatch.setattr(da.Array, "__array__", refuse)
    with dask.config.set(scheduler="synchronous"):
        model = GDLinearRegression(solver="lbfgs").fit(Xd, da.from_array(y, chunks=100))
    assert model.coef_.shape == (4,)


def test_without_dask_a_dask_input_names_the_extra(monkeypatch):
    X, y = _data("regression")
    Xd = da.from_array(X, chunks=(100, 4))
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "dask" or name.startswith("dask."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(ImportError, match=r"sklearn-gd\[dask\]"):
        GDLinearRegression().fit(Xd, y)
    model = GDLinearRegression().fit(X, y)  # numpy input needs no dask
    with pytest.raises(ImportError, match=r"sklearn-gd\[dask\]"):
        model.predict(Xd)


def test_package_imports_without_dask():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['dask'] = None; sys.modules['distributed'] = None\n"
        "import sklearn_gd, numpy as np\n"
        "X = np.arange(8.0).reshape(4, 2); y = X @ [1.0, 2.0]\n"
        "print(sklearn_gd.GDLinearRegression().fit(X, y).coef_.shape)\n"
        "assert 'dask' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "(2,)" in out.stdout


def test_dask_ml_incremental_wraps_a_stochastic_estimator(client):
    from dask_ml.wrappers import Incremental

    X, y = _data("binary")
    Xd, yd = da.from_array(X, chunks=(100, 4)), da.from_array(y, chunks=100)
    inc = Incremental(GDLogisticRegression(solver="sgd", random_state=0), scoring="accuracy")
    inc.fit(Xd, yd, classes=["no", "yes"])
    assert inc.estimator_.n_iter_ == 4  # one partial_fit pass per chunk
    predictions = inc.predict(Xd)
    assert isinstance(predictions, da.Array)
    assert inc.score(Xd, yd) > 0.9


def test_dask_ml_grid_search(client):
    from dask_ml.model_selection import GridSearchCV

    X, y = _data("multiclass")
    search = GridSearchCV(GDSoftmaxClassifier(solver="lbfgs"), {"alpha": [1e-3, 1.0]}, cv=3)
    search.fit(X, y)
    assert search.best_params_ == {"alpha": 1e-3}
    assert search.best_score_ > 0.8


@pytest.mark.parametrize("kind", ["regression", "multiclass"])
def test_dask_full_batch_adaptive_rate_is_the_numpy_one(client, kind):
    # The auto rate of the adaptive rules reads the curvature diagonal: on a
    # dask array taken as one batch it is summed over the chunks.
    X, y = _data(kind)
    cls = GDLinearRegression if kind == "regression" else GDSoftmaxClassifier
    y = y * 50 if kind == "regression" else y  # far from the start: the estimate counts
    rates = []
    for data in (X, da.from_array(X, chunks=(100, 4))):
        est = cls(solver="adam", batch_size=400, max_iter=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(data, y)
        rates.append(est.history_["learning_rate"][0])
    assert rates[0] > 0.01 or kind != "regression"
    np.testing.assert_allclose(rates[1], rates[0], rtol=1e-12)


def test_dask_mini_batch_plateau_far_from_the_optimum_warns_as_numpy_does(client):
    # The plateau check at the end of a fit bounds the distance to the minimum
    # with per-coordinate curvature bounds, summed over the chunks on dask.
    X, y = _data("regression")
    X = X * np.array([1.0, 1.0, 1e-4, 1.0])
    for data in (X, da.from_array(X, chunks=(100, 4))):
        with pytest.warns(ConvergenceWarning, match="above its minimum"):
            GDLinearRegression(solver="sgd", random_state=0).fit(data, y)
