"""Dask support: the data layer over a ``dask.array`` and the objective on it.

:class:`DaskDesign` wraps a dask array ``X`` chunked by rows (the data layer);
:class:`DaskObjective` is the objective of the user guide ("The objective") on it. Every
sum over samples (value, gradient, Hessian-vector product, Hessian, curvature
block, power iteration) is a map-reduce over the row chunks: each chunk's part
is computed where the chunk lives, by the numpy objective of that chunk alone
(scale 1, no penalty), and the parts are summed on the dask scheduler (the
active ``dask.distributed.Client``, if any). The coefficients are one graph key
per evaluation, shared by all the chunk tasks; ``X`` is never gathered.
:class:`DaskRefinedObjective` is the refined objective (values as differences
from a reference point, for solvers that finish below the precision of the
values) on the same chunks.

dask is optional (``pip install "sklearn-gd[dask]"``): this module imports it
only inside its functions, so ``sklearn_gd`` imports without it.
"""

import numpy as np

from ._data import Design
from ._objective import Objective, RefinedObjective, l2_difference, refines_in_float64
from ._penalty import ElasticNetPenalty

_EXTRA_HINT = (
    "Fitting or predicting on dask arrays needs dask and distributed, the optional "
    'extra "dask" of sklearn-gd: pip install "sklearn-gd[dask]".'
)

_NO_PENALTY = ElasticNetPenalty(0.0, 0.0)


def is_dask_collection(obj):
    """Whether ``obj`` is a dask collection, without importing dask."""
    return type(obj).__module__.split(".")[0] == "dask" and hasattr(obj, "__dask_graph__")


def require_dask():
    """``(dask, dask.array)``, or an ImportError naming the extra to install."""
    try:
        import dask
        import dask.array as da
    except ImportError as exc:
        raise ImportError(_EXTRA_HINT) from exc
    return dask, da


# ------------------------------------------------------------ chunk functions
# Module-level so that they pickle to the workers.
def _chunk_objective(X, Y, s, loss, fit_intercept, scale=1.0):
    """The chunk's part of the sum: no penalty, every evaluation from ``X``."""
    design = Design(X, fit_intercept)
    return Objective(design, loss, Y, s, _NO_PENALTY, scale=scale, use_gram=False)


def _on_chunk(X, Y, s, item, *shared, func, loss, fit_intercept, scale):
    """``func(chunk objective, item, *shared)``: a solver's local step, where the chunk lives."""
    return func(_chunk_objective(X, Y, s, loss, fit_intercept, scale), item, *shared)


def _value_and_gradient(X, Y, s, theta, loss, fit_intercept):
    value, grad = _chunk_objective(X, Y, s, loss, fit_intercept).exact_value_and_gradient(theta)
    return np.array([value]), grad


def _value(X, Y, s, theta, loss, fit_intercept):
    return np.array([_chunk_objective(X, Y, s, loss, fit_intercept).smooth_value(theta)])


def _hessp(X, Y, s, theta, v, loss, fit_intercept):
    return _chunk_objective(X, Y, s, loss, fit_intercept).hessian_operator(theta)(v)


def _hessian(X, Y, s, theta, loss, fit_intercept):
    return _chunk_objective(X, Y, s, loss, fit_intercept).hessian(theta)


def _coordinate_lipschitz(X, Y, s, loss, fit_intercept):
    return _chunk_objective(X, Y, s, loss, fit_intercept).coordinate_lipschitz()


def _curvature_diagonal(X, Y, s, theta, loss, fit_intercept):
    return _chunk_objective(X, Y, s, loss, fit_intercept).curvature_diagonal(theta)


def _curvature_block_and_gradient(X, Y, s, theta, max_rows, loss, fit_intercept):
    """The chunk's curvature block, value and gradient at ``theta``: one read of the chunk."""
    objective = _chunk_objective(X, Y, s, loss, fit_intercept)
    value, grad = objective.exact_value_and_gradient(theta)
    return objective.curvature_block(theta, max_rows=max_rows), np.array([value]), grad


def _refined_chunk(X, Y, s, Z0, theta0, widen, loss, fit_intercept):
    """The chunk's part refined at ``theta0`` (``Z0``: its predictor there, or None)."""
    chunk = _chunk_objective(X, Y, s, loss, fit_intercept)
    return RefinedObjective(chunk, theta0, widen=widen, reference_predictor=Z0)


def _reference(X, Y, s, theta0, widen, loss, fit_intercept):
    """The chunk's predictor at ``theta0`` and its part of the data term there."""
    refined = _refined_chunk(X, Y, s, None, theta0, widen, loss, fit_intercept)
    return refined.reference_predictor, np.array([refined.reference_value])


def _difference_and_gradient(X, Y, s, Z0, theta0, theta, widen, loss, fit_intercept):
    """The chunk's part of ``F(theta) - F(theta0)`` and of the gradient at ``theta``."""
    refined = _refined_chunk(X, Y, s, Z0, theta0, widen, loss, fit_intercept)
    value, grad = refined.smooth_value_and_gradient(theta)
    return np.array([value]), grad


def _difference(X, Y, s, Z0, theta0, theta, widen, loss, fit_intercept):
    """The chunk's part of ``F(theta) - F(theta0)``."""
    return np.array(
        [_refined_chunk(X, Y, s, Z0, theta0, widen, loss, fit_intercept).smooth_value(theta)]
    )


def _weighted_square(X, s, v, fit_intercept):
    """``[X 1]' diag(s) [X 1] v`` on one chunk."""
    design = Design(X, fit_intercept)
    Z = design.linear_predictor(v)
    return np.asarray(design.transpose_product(s[:, None] * Z), dtype=np.float64)


def _wait(*collections):
    """Block until persisted ``collections`` are in the cluster's memory.

    On a ``dask.distributed`` cluster :func:`dask.persist` returns at once. Had
    the first evaluation started before the targets were ready, the workers
    would keep reading chunks of ``X`` that no task could use yet (each waits
    for its targets), holding several times the memory of one chunk; dask's
    local schedulers persist synchronously and need no wait.
    """
    try:
        from distributed import futures_of, wait
    except ImportError:
        return
    futures = [future for collection in collections for future in futures_of(collection)]
    if futures:
        wait(futures)


def _total(parts):
    """Sum of the chunks' parts (arrays, or tuples of arrays), in float64."""
    first = parts[0]
    if isinstance(first, tuple):
        return tuple(_total([p[i] for p in parts]) for i in range(len(first)))
    out = np.array(first, dtype=np.float64)
    for part in parts[1:]:
        out += part
    return out


class DaskDesign:
    """A dask array ``X`` chunked by rows, with an intercept column never stored.

    The same coefficient convention as :class:`~sklearn_gd._data.Design`
    (``C`` of shape ``(n_dof, n_outputs)``, intercept last). Products are lazy
    dask arrays or map-reduces over the row chunks; none gathers ``X``.

    Parameters
    ----------
    X : dask array of shape (n_samples, n_features)
        float32 or float64, with known chunk sizes. Rechunked (lazily) to one
        chunk across the columns when it has several.
    fit_intercept : bool
        Whether the coefficient matrix carries an intercept row.
    """

    is_sparse = False

    def __init__(self, X, fit_intercept):
        if X.numblocks[1] > 1:
            X = X.rechunk({1: -1})
        self.X = X
        self.fit_intercept = bool(fit_intercept)
        self.n_samples, self.n_features = (int(n) for n in X.shape)
        self.n_dof = self.n_features + self.fit_intercept
        self.dtype = X.dtype
        self.n_stored = self.n_samples * self.n_features
        self.row_chunks = X.chunks[0]
        #: Indices of the row chunks that hold rows.
        self.nonempty = [i for i, size in enumerate(self.row_chunks) if size > 0]

    def blocks(self):
        """The row chunks as dask delayed objects."""
        return list(self.X.to_delayed().ravel())

    def aligned(self, A):
        """The row chunks of ``A`` (rows like ``X``, all columns in one chunk)."""
        A = A.rechunk((self.row_chunks,) + tuple((n,) for n in A.shape[1:]))
        return list(A.to_delayed().ravel())

    def map_reduce(self, func, aligned, *broadcast, **static):
        """``sum over chunks of func(X_c, *A_c, *broadcast, **static)``, computed.

        ``aligned`` are lists of delayed chunks aligned with the rows of ``X``;
        each array in ``broadcast`` becomes one graph key shared by every task.
        """
        dask, _ = require_dask()
        shared = [dask.delayed(b) if isinstance(b, np.ndarray) else b for b in broadcast]
        chunks = zip(self.blocks(), *aligned, strict=True)
        parts = [
            dask.delayed(func)(*chunk, *shared, **static)
            for chunk, size in zip(chunks, self.row_chunks, strict=True)
            if size > 0
        ]
        return dask.compute(dask.delayed(_total)(parts))[0]

    def largest_eigenvalue(self, weights_blocks, n_iter=30, rtol=1e-3):
        """Largest eigenvalue of ``[X 1]' diag(s) [X 1]``: the power iteration of
        :meth:`Design.largest_eigenvalue` from the same start vector, one
        map-reduce per iteration."""
        v = np.random.default_rng(0).uniform(0.5, 1.5, size=(self.n_dof, 1))
        v /= np.linalg.norm(v)
        estimate = 0.0
        for _ in range(n_iter):
            Mv = self.map_reduce(
                _weighted_square, [weights_blocks], v, fit_intercept=self.fit_intercept
            )
            new = float(np.vdot(v, Mv))
            norm = np.linalg.norm(Mv)
            if norm == 0.0 or not np.isfinite(norm):
                return 0.0
            v = Mv / norm
            if abs(new - estimate) <= rtol * abs(new):
                return new
            estimate = new
        return estimate


class DaskObjective(Objective):
    """The objective of section 1 on a :class:`DaskDesign`, by map-reduce.

    Parameters
    ----------
    design : DaskDesign
    loss : loss object
    Y : dask array of shape (n_samples, n_outputs)
        Encoded targets, rows aligned with ``X``.
    sample_weight : dask array of shape (n_samples,)
        Non-negative weights (largest 1).
    penalty : ElasticNetPenalty
    weight_sum : float
        ``S = sum(sample_weight)``, computed once by the caller.
    """

    def __init__(self, design, loss, Y, sample_weight, penalty, weight_sum):
        # Sums over chunks: the Gram shortcut of a quadratic objective is not used.
        self._setup(design, loss, penalty, 1.0 / weight_sum, Y.shape[1], use_gram=False)
        self.Y = Y  # lazy; only its dtype and chunks are read here
        dask, _ = require_dask()
        # The encoded targets and the weights (a few columns per sample) are
        # computed once and kept on the workers; X is read afresh each time.
        Y, sample_weight = dask.persist(
            Y.rechunk((design.row_chunks, (self.shape[1],))),
            sample_weight.rechunk((design.row_chunks,)),
        )
        _wait(Y, sample_weight)
        self._persisted = (Y, sample_weight)  # holds the results on the workers
        self._Y_blocks = design.aligned(Y)
        self._s_blocks = design.aligned(sample_weight)
        self._kept = None  # (theta, summed value, summed gradient) of curvature_block

    def _reduce(self, func, *broadcast, **static):
        return self.design.map_reduce(
            func,
            [self._Y_blocks, self._s_blocks],
            *broadcast,
            loss=self.loss,
            fit_intercept=self.design.fit_intercept,
            **static,
        )

    def exact_value_and_gradient(self, theta):
        theta = np.asarray(theta, dtype=np.float64)
        if self._kept is not None and np.array_equal(theta, self._kept[0]):
            value, grad = self._kept[1:]  # summed with the curvature block at theta
        else:
            value, grad = self._reduce(_value_and_gradient, theta)
        C = self.coef_matrix(theta)
        penalty_value, penalty_grad = self.penalty.smooth_value_and_gradient(self._weights_rows(C))
        grad = self.coef_matrix(grad * self.scale).copy()
        grad[: self.design.n_features] += penalty_grad
        return self.scale * float(value[0]) + penalty_value, grad.ravel()

    def smooth_value(self, theta):
        theta = np.asarray(theta, dtype=np.float64)
        value = self.scale * float(self._reduce(_value, theta)[0])
        C = self.coef_matrix(theta)
        return value + self.penalty.smooth_value_and_gradient(self._weights_rows(C))[0]

    def _add_l2(self, out, V):
        d = self.design.n_features
        out = self.coef_matrix(out * self.scale).copy()
        out[:d] += self.penalty.l2 * V[:d]
        return out.ravel()

    def hessian_operator(self, theta):
        theta = np.asarray(theta, dtype=np.float64)

        def apply(v):
            v = np.asarray(v, dtype=np.float64)
            return self._add_l2(self._reduce(_hessp, theta, v), self.coef_matrix(v))

        return apply

    def hessian(self, theta):
        H = self.scale * self._reduce(_hessian, np.asarray(theta, dtype=np.float64))
        n_weights = self.design.n_features * self.shape[1]
        H[np.arange(n_weights), np.arange(n_weights)] += self.penalty.l2
        return H

    def curvature_block(self, theta, max_rows=None):
        """The block of :meth:`Objective.curvature_block`, summed over the chunks
        (each chunk subsampled as the numpy objective subsamples its rows).

        The same pass sums the value and gradient at ``theta`` and keeps them
        for the next :meth:`smooth_value_and_gradient` at that point: a solver
        that asks for the block first (lbfgs) reads ``X`` once for both.
        """
        from ._objective import CURVATURE_ROWS

        max_rows = CURVATURE_ROWS if max_rows is None else max_rows
        theta = np.array(theta, dtype=np.float64)
        M, value, grad = self._reduce(_curvature_block_and_gradient, theta, max_rows=max_rows)
        self._kept = (theta, value, grad)
        M = self.scale * M
        d = self.design.n_features
        M[np.arange(d), np.arange(d)] += self.penalty.l2
        return M

    def refined(self, theta, tol=0.0):
        """This objective with its values relative to ``theta``: :class:`DaskRefinedObjective`.

        As :meth:`Objective.refined`: each chunk's products are taken in
        float64 unless ``tol`` is well above the precision of ``X``'s dtype
        (:func:`~sklearn_gd._objective.refines_in_float64`).
        """
        return DaskRefinedObjective(self, theta, widen=refines_in_float64(self.design.dtype, tol))

    def curvature_diagonal(self, theta):
        """:meth:`Objective.curvature_diagonal`, summed over the chunks (one pass)."""
        m = self.scale * self._reduce(_curvature_diagonal, np.asarray(theta, dtype=np.float64))
        m[: self.design.n_features] += self.penalty.l2
        return m

    def coordinate_lipschitz(self):
        """:meth:`Objective.coordinate_lipschitz`, summed over the chunks (one pass)."""
        self._curvature_bound()  # refused here, not on a worker
        L = self.scale * self._reduce(_coordinate_lipschitz)
        L[: self.design.n_features] += self.penalty.l2
        return L

    def lipschitz(self):
        bound = self._curvature_bound()
        eig = self.design.largest_eigenvalue(self._s_blocks)
        return bound * self.scale * eig + self.penalty.l2

    # ------------------------------------------------------ local work per chunk
    @property
    def n_blocks(self):
        """The number of row chunks that hold rows: the blocks of :meth:`map_blocks`."""
        return len(self.design.nonempty)

    def map_blocks(self, func, per_block, *shared, keep=False):
        r"""``[func(F_c, per_block[c], *shared) for each block c]``, each on its chunk's worker.

        :math:`F_c` is the objective of row chunk :math:`c` alone: its data
        term with this objective's scale :math:`1/S` and no penalty, so that
        :math:`\sum_c F_c` is the data term of the whole objective. What a
        solver that works chunk by chunk needs (consensus ADMM solves a local
        problem on each); the chunk never leaves its worker, only ``func``'s
        results come back.

        Parameters
        ----------
        func : callable
            ``func(objective, item, *shared) -> result``, a module-level
            function (it is pickled to the workers).
        per_block : sequence of length :attr:`n_blocks`
            One item per block (e.g. the block's own iterate and dual).
        *shared
            Passed to every call; each array is one graph key shared by all
            the tasks.
        keep : bool, default=False
            Keep the results where they were computed instead of gathering
            them: what a solver computes once per chunk and reuses (a
            factorisation of the chunk's Hessian). A kept result, passed in a
            later call's ``per_block`` (alone or inside a tuple), reaches that
            call's ``func`` as the computed value, on the worker holding it.

        Returns
        -------
        list
            The results in block order: computed, or persisted dask objects
            with ``keep=True`` (released when the last reference goes).
        """
        dask, _ = require_dask()
        shared = [dask.delayed(b) if isinstance(b, np.ndarray) else b for b in shared]
        blocks = self.design.blocks()
        static = dict(
            func=func, loss=self.loss, fit_intercept=self.design.fit_intercept, scale=self.scale
        )
        tasks = [
            dask.delayed(_on_chunk)(
                blocks[i], self._Y_blocks[i], self._s_blocks[i], item, *shared, **static
            )
            for i, item in zip(self.design.nonempty, per_block, strict=True)
        ]
        if keep:
            kept = dask.persist(*tasks)
            _wait(*kept)
            return list(kept)
        return list(dask.compute(*tasks))

    # ----------------------------------------------------------- mini-batches
    def _chunk(self, i):
        """Row chunk ``i`` computed into this process, as an in-memory objective.

        Scaled by ``n / (n_chunk S)``, so that it and its mini-batches estimate
        the whole objective as :meth:`Objective.batch` views do.
        """
        dask, _ = require_dask()
        X, Y, s = dask.compute(self.design.blocks()[i], self._Y_blocks[i], self._s_blocks[i])
        scale = self.scale * self.n_samples / X.shape[0]
        return Objective(Design(X, self.design.fit_intercept), self.loss, Y, s, self.penalty, scale)

    def batches(self, size, rng):
        """The mini-batches of one epoch: the row chunks in a random order, each
        computed in turn and split into shuffled batches of ``size`` rows (see
        :meth:`Objective.batches`). Only one chunk is in this process at a time;
        with ``size >= n_samples`` the one batch is the whole (map-reduced) objective.
        """
        if size >= self.n_samples:
            yield self, 1.0
            return
        for i in rng.permutation(self.design.nonempty):
            chunk = self._chunk(i)
            share = chunk.n_samples / self.n_samples
            for part, part_share in chunk.batches(size, rng):
                yield part, part_share * share

    def sample_batches(self, count, size, rng):
        """``count`` random batches of ``size`` rows from one random chunk."""
        chunk = self._chunk(rng.choice(self.design.nonempty))
        return chunk.sample_batches(count, min(size, chunk.n_samples), rng)

    def batch(self, index):
        raise NotImplementedError(
            "Rows of a dask objective are reached through batches() and sample_batches()."
        )


class DaskRefinedObjective(DaskObjective):
    r"""A :class:`DaskObjective` whose values are differences from a reference point.

    The dask form of :class:`~sklearn_gd._objective.RefinedObjective`, for the
    solvers that finish a fit below the precision of the objective's values:

    .. math:: F(\theta) - F(\theta_0) = \frac{1}{S} \sum_c \sum_{i \in c} s_i
        \big(\ell(y_i, z_{0,i} + d_i) - \ell(y_i, z_{0,i})\big) + P(w) - P(w_0),
        \qquad d = [X\ 1] (\theta - \theta_0),

    each chunk :math:`c`'s part computed where the chunk lives by the
    :class:`~sklearn_gd._objective.RefinedObjective` of that chunk alone
    (scale 1, no penalty), and the parts summed in float64 on the scheduler;
    the penalty's difference is taken on the driver. Each chunk's reference
    predictor :math:`Z_0` (``n_c x k``) is computed once, with the chunk's part
    of :math:`F(\theta_0)`, and kept on its worker: an evaluation reads each
    chunk of ``X`` twice, as one of the objective it refines. ``X`` is never
    gathered. The gradient and the curvature are those of :math:`F`; the
    curvature (Hessian, Hessian-vector products) is taken in ``X``'s dtype,
    as the objective it refines takes it.

    Parameters
    ----------
    objective : DaskObjective
        The objective to refine (its data, loss, targets, weights and penalty).
    theta0 : ndarray of shape (n_coef,)
        The reference point: values are ``F(theta) - F(theta0)``.
    widen : bool, default=True
        Take each chunk's products over ``X`` in float64 whatever ``X``'s dtype.
    """

    is_refined = True

    def __init__(self, objective, theta0, *, widen=True):
        design = objective.design
        self._setup(
            design,
            objective.loss,
            objective.penalty,
            objective.scale,
            objective.shape[1],
            use_gram=False,
        )
        self.Y = objective.Y
        self._persisted = objective._persisted
        self._Y_blocks, self._s_blocks = objective._Y_blocks, objective._s_blocks
        self._kept = None
        self.widen = bool(widen)
        self.theta0 = np.array(theta0, dtype=np.float64)
        self._C0 = self.coef_matrix(self.theta0)
        dask, _ = require_dask()
        theta0 = dask.delayed(self.theta0)
        blocks = design.blocks()
        static = dict(widen=self.widen, loss=self.loss, fit_intercept=design.fit_intercept)
        references = [
            dask.delayed(_reference, nout=2)(
                blocks[i], self._Y_blocks[i], self._s_blocks[i], theta0, **static
            )
            for i in design.nonempty
        ]
        # Computed once and kept on the workers: only the values come back.
        references = dask.persist(*references)
        _wait(*references)
        predictors = dict(zip(design.nonempty, references, strict=True))
        self._Z0_blocks = [
            predictors[i][0] if i in predictors else None for i in range(len(design.row_chunks))
        ]
        values = dask.compute(*(value for _, value in references))
        #: ``F(theta0)`` itself (in float64), to report values as the objective's.
        self.reference_value = float(
            self.scale * float(_total(list(values))[0])
            + self.penalty.value(self._weights_rows(self._C0))
        )

    def _reduce_difference(self, func, theta):
        return self.design.map_reduce(
            func,
            [self._Y_blocks, self._s_blocks, self._Z0_blocks],
            self.theta0,
            np.asarray(theta, dtype=np.float64),
            widen=self.widen,
            loss=self.loss,
            fit_intercept=self.design.fit_intercept,
        )

    def _penalty_difference(self, C):
        """The L2 part of ``P(w) - P(w0)``."""
        W, W0 = self._weights_rows(C), self._weights_rows(self._C0)
        return l2_difference(self.penalty.l2, W, W0)

    def exact_value_and_gradient(self, theta):
        """``F_smooth(theta) - F_smooth(theta0)`` and the gradient of ``F_smooth`` at theta."""
        theta = np.asarray(theta, dtype=np.float64)
        value, grad = self._reduce_difference(_difference_and_gradient, theta)
        C = self.coef_matrix(theta)
        grad = self.coef_matrix(grad * self.scale).copy()
        grad[: self.design.n_features] += self.penalty.l2 * self._weights_rows(C)
        return self.scale * float(value[0]) + self._penalty_difference(C), grad.ravel()

    def smooth_value(self, theta):
        """``F_smooth(theta) - F_smooth(theta0)``."""
        theta = np.asarray(theta, dtype=np.float64)
        value = self.scale * float(self._reduce_difference(_difference, theta)[0])
        return value + self._penalty_difference(self.coef_matrix(theta))

    #: ``l1 (|w|_1 - |w0|_1)``, summed term by term (on the driver, as for numpy data).
    nonsmooth_value = RefinedObjective.nonsmooth_value

    def refined(self, theta, tol=0.0):
        """Refined again from ``theta``, with float64 products over ``X`` this time."""
        return DaskRefinedObjective(self, theta, widen=True)
