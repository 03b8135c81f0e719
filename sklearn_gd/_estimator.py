"""Estimator layer: the scikit-learn API shared by the three estimators.

Validation of parameters and data, sample and class weights, warm start,
``partial_fit``, early stopping, callbacks, fitted attributes and warnings live
here; the mathematics lives below (objective, solvers). An estimator never
branches on its solver's name: it reads the solver's capability attributes.
"""

import functools
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._dask import DaskDesign, DaskObjective, is_dask_collection, require_dask
from ._data import Design
from ._objective import Objective
from ._penalty import ElasticNetPenalty
from ._training import (
    CallbackBridge,
    CallbackSupportMixin,
    ValidationMonitor,
    combine,
    fitted_copy,
    validation_split,
)
from .schedules import SCHEDULES, Schedule, make_schedule
from .solvers import SOLVERS, Solver, resolve_solver, solvers_with

_SHARED_DOC = """
    solver : str or Solver, default="lbfgs"
        The optimisation method: one of ``"gd"``, ``"sgd"``, ``"momentum"``,
        ``"adam"``, ``"adamw"``, ``"lbfgs"``, ``"newton"``, ``"ista"``, or a
        solver object from :mod:`sklearn_gd.solvers` carrying its own
        hyperparameters (e.g. ``Adam(beta_1=0.8)``, searchable as
        ``solver__beta_1``). A name stands for that solver with default settings.
    alpha : float >= 0
        Strength of the penalty
        ``alpha * (l1_ratio * ||w||_1 + (1 - l1_ratio) / 2 * ||w||_2^2)``.
    l1_ratio : float in [0, 1], default=0.0
        Share of L1 in the penalty. ``l1_ratio > 0`` needs a solver that handles
        L1: ``"ista"``, ``"gd"``, ``"sgd"``, ``"momentum"``, ``"adam"``, ``"adamw"``.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept.
    max_iter : int >= 1, default=1000
        Maximum iterations (full-batch solvers) or epochs (mini-batch solvers).
    tol : float >= 0, default=1e-4
        Tolerance of the solver's stopping criterion: the largest entry of the
        gradient (or gradient mapping) for the full-batch solvers, the epoch's
        objective improvement for the mini-batch solvers.
    learning_rate : "auto" or float > 0, default="auto"
        Step size of the first-order solvers (``gd``, ``sgd``, ``momentum``,
        ``adam``, ``adamw``, ``ista``'s initial step). ``"auto"`` is ``1 / L``
        from a Lipschitz estimate of the objective (0.01 for Adam). Ignored by
        ``lbfgs`` and ``newton``.
    schedule : None, str, Schedule or callable, default=None
        How the learning rate of ``gd``, ``sgd``, ``momentum``, ``adam`` and
        ``adamw`` changes with the epoch (or iteration) count ``t``: None for
        the solver's default (``"constant"`` for ``gd`` and full-batch
        ``momentum``, ``"adaptive"`` - divided by 5 on each plateau - for
        ``sgd``, ``adam``, ``adamw`` and mini-batch ``momentum``); a name
        (``"constant"``, ``"invscaling"``, ``"step"``, ``"exponential"``,
        ``"cosine"``, ``"adaptive"``); a schedule object of
        :mod:`sklearn_gd.schedules` with its parameters (searchable as
        ``schedule__<param>``), e.g. ``LinearWarmup(CosineAnnealing())``; or any
        callable ``t -> learning rate``. Ignored by ``ista`` (backtracking),
        ``lbfgs`` and ``newton``.
    batch_size : "auto" or int >= 1, default="auto"
        Mini-batch size of ``sgd``, ``adam``, ``adamw`` (``"auto"``:
        ``min(200, n_samples)``) and ``momentum`` (``"auto"``: full batch).
        Ignored by the full-batch solvers.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        the classifiers), score the model on it (``score``: R^2 or accuracy)
        after every iteration or epoch, stop once it has not improved by ``tol``
        for ``n_iter_no_change`` of them, and keep the best coefficients. Works
        with every solver. Not used by ``partial_fit``.
    validation_fraction : float in (0, 1), default=0.1
        Share of the training data held out when ``early_stopping=True``.
    n_iter_no_change : int >= 1, default=5
        Patience, in iterations or epochs: of early stopping, and of the
        plateau rule of the mini-batch solvers (the ``"adaptive"`` schedule
        divides the learning rate after that many epochs without an
        improvement of the training objective by ``tol``).
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffling of the stochastic solvers and of the validation
        split of early stopping.
    verbose : int, default=0
        Print one line per iteration or epoch when > 0: objective, optimality
        measure, step size and elapsed time.
    warm_start : bool, default=False
        Start ``fit`` from the coefficients of the previous fit when they fit
        the data, and resume the solver's state where it keeps one (momentum
        buffers, Adam's moments and step count, the schedule's step count and
        plateau reductions, ISTA's step size).
"""

_HISTORY_DOC = """    n_iter_ : int
        Iterations (full-batch solvers) or epochs (mini-batch solvers) run;
        summed over the calls of ``partial_fit``. Equals the length of each
        array of ``history_``.
    history_ : dict of ndarray
        The training history, one entry per iteration or epoch:
        ``"objective"`` (the objective; the epoch's mean over mini-batches),
        ``"optimality"`` (the measure the solver stops on, compared with
        ``tol``: largest entry of the gradient or gradient mapping, or the
        epoch's objective change), ``"learning_rate"`` (the step size; NaN for
        ``lbfgs`` and ``newton``), ``"time"`` (seconds since the start of the
        fit, callbacks excluded) and, with early stopping, ``"validation_score"``.
        ``partial_fit`` appends to it.
    loss_curve_ : list of float
        ``history_["objective"]`` as a list (as in ``MLPClassifier``).
    validation_scores_ : ndarray of shape (`n_iter_`,) or None
        The score on the held-out data after each iteration or epoch with
        ``early_stopping=True``, else None.
    best_validation_score_ : float or None
        The best of ``validation_scores_``, whose coefficients are kept; None
        without early stopping.
"""


class GDLinearModel(CallbackSupportMixin, BaseEstimator):
    """Base class of the estimators: parameters, validation and the fit driver.

    Subclasses provide ``_loss()`` and ``_target_matrix(targets, dtype)``;
    classifiers override ``_encode_targets``.
    """

    _parameter_constraints = {
        "solver": [StrOptions(set(SOLVERS)), Solver],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "learning_rate": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "schedule": [None, StrOptions(set(SCHEDULES)), Schedule, callable],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        *,
        solver="lbfgs",
        alpha=0.0,
        l1_ratio=0.0,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-4,
        learning_rate="auto",
        schedule=None,
        batch_size="auto",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        self.solver = solver
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def __sklearn_is_fitted__(self):
        # Fitted means a complete model: a failed fit leaves no coef_ (see _fit).
        return hasattr(self, "coef_")

    # ---------------------------------------------------------------- fitting
    def _fitted_state(self):
        """The attributes fit sets: public ones ending in ``_`` and the solver state."""
        return {
            name: value
            for name, value in vars(self).items()
            if (name.endswith("_") and not name.startswith("__")) or name == "_solver_state"
        }

    def _fit(self, X, y, sample_weight, *, partial=False, classes=None):
        """What ``fit`` and ``partial_fit`` share: validate, encode, solve, store.

        Never leaves a half-updated model: validation sets ``n_features_in_``
        and ``classes_`` before the solver runs, so on any error (a
        ``DivergenceError`` too) every fitted attribute is removed again. A
        failed ``fit`` leaves the estimator unfitted; a failed ``partial_fit``
        leaves it as it was before that call.
        """
        previous = self._fitted_state() if partial else {}
        try:
            return self._fit_unguarded(X, y, sample_weight, partial=partial, classes=classes)
        except BaseException:
            for name in self._fitted_state():
                delattr(self, name)
            for name, value in previous.items():
                setattr(self, name, value)
            raise

    def _fit_unguarded(self, X, y, sample_weight, *, partial=False, classes=None):
        if is_dask_collection(X) or is_dask_collection(y):
            return self._fit_dask(X, y, sample_weight, partial=partial)
        first_call = not (partial and hasattr(self, "coef_"))
        X, y, sample_weight = self._validate_fit_data(X, y, sample_weight, reset=first_call)
        targets, sample_weight = self._encode_targets(
            y, sample_weight, partial=partial, classes=classes
        )
        Y = self._target_matrix(targets, X.dtype)
        C = self._run_solver(X, y, Y, sample_weight, self._loss(), partial=partial)
        self._set_coef(C, X.shape[1])
        return self

    # ------------------------------------------------------------------- dask
    def _fit_dask(self, X, y, sample_weight, *, partial=False):
        """Fit on dask arrays: validated and encoded lazily, solved by map-reduce.

        ``X`` is never gathered: its dtype, shape and chunks are checked without
        computing it, the labels are encoded chunk by chunk, and one pass over
        the data checks finiteness and sums the weights. The objective is a
        :class:`~sklearn_gd._dask.DaskObjective` (full-batch solvers only).
        """
        dask, da = require_dask()
        if partial:
            raise ValueError(
                "partial_fit does not take dask arrays: call it on one chunk at a time "
                "(e.g. X.blocks[i].compute()), or wrap the estimator in "
                "dask_ml.wrappers.Incremental, or use fit on the dask arrays."
            )
        solver = resolve_solver(self.solver)
        mini_batch = not getattr(solver, "full_batch_default", True) or (
            self.batch_size != "auto" and getattr(solver, "uses_batch_size", False)
        )
        if mini_batch and not getattr(solver, "supports_partial_fit", False):
            raise ValueError(
                f"solver={solver.name!r} with batch_size={self.batch_size!r} draws "
                "mini-batches but cannot resume between chunks; on dask arrays use a "
                "full-batch solver (gd, momentum, lbfgs, newton, ista) or one of: "
                f"{', '.join(solvers_with('supports_partial_fit'))}."
            )
        if self.early_stopping:
            raise ValueError("early_stopping=True is not supported on dask arrays.")
        X = da.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"Expected a 2-D dask array X, got {X.ndim} dimension(s).")
        if any(np.isnan(n) for n in X.shape):
            raise ValueError(
                "X has unknown chunk sizes; call X.compute_chunk_sizes() (or build it "
                "with known chunks) before fit."
            )
        if X.dtype not in (np.float32, np.float64):
            if X.dtype.kind not in "biu":
                raise ValueError(f"X must hold numbers; its dtype is {X.dtype}.")
            X = X.astype(np.float64)
        n, d = (int(k) for k in X.shape)
        if n < 1 or d < 1:
            raise ValueError(f"X of shape {X.shape} has no samples or no features.")
        if X.numblocks[1] > 1:
            X = X.rechunk({1: -1})
        y = da.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"y of shape {y.shape} does not match X of shape {X.shape}.")
        y = y.rechunk((X.chunks[0],))
        if sample_weight is None:
            weights = da.ones(n, chunks=(X.chunks[0],), dtype=np.float64)
        else:
            weights = da.asarray(sample_weight).astype(np.float64)
            if weights.shape != (n,):
                raise ValueError(f"sample_weight of shape {weights.shape} does not match n={n}.")
            weights = weights.rechunk((X.chunks[0],))
        self.n_features_in_ = d
        if hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        raw_weights = weights  # before class weights (partial_fit applies those)
        if hasattr(self, "_encode_classes"):
            classes = np.unique(da.unique(y).compute())
            self._encode_classes(classes, np.ones(classes.shape[0]))  # sets classes_, checks
            targets = y.map_blocks(functools.partial(_searchsorted, self.classes_), dtype=np.intp)
            if self.class_weight is not None:
                k = self.classes_.shape[0]
                if isinstance(self.class_weight, str):  # "balanced"
                    counts = da.bincount(targets, minlength=k).compute()
                    per_class = n / (k * np.maximum(counts, 1))
                else:
                    per_class = np.array([self.class_weight.get(c, 1.0) for c in self.classes_])
                weights = weights * targets.map_blocks(
                    functools.partial(_take, per_class.astype(np.float64)), dtype=np.float64
                )
        else:
            if y.dtype.kind not in "biuf":
                raise ValueError(f"y must hold numbers; its dtype is {y.dtype}.")
            targets = y
        if mini_batch:
            return self._fit_dask_chunks(X, y, raw_weights)
        dtype = X.dtype
        k = self._target_matrix(np.zeros(0, dtype=targets.dtype), dtype).shape[1]
        Y = targets.map_blocks(
            self._target_matrix, dtype, dtype=dtype, chunks=(y.chunks[0], (k,)), new_axis=1
        )
        largest, total, smallest, finite = dask.compute(
            weights.max(),
            weights.sum(),
            weights.min(),
            da.isfinite(X).all() & da.isfinite(Y).all() & da.isfinite(weights).all(),
        )
        if not finite:
            raise ValueError("X, y and sample_weight must be finite; they contain NaN or inf.")
        if smallest < 0:
            raise ValueError("sample_weight must be non-negative.")
        if not largest > 0:
            raise ValueError("sample_weight must have a positive sum; all weights are zero.")
        weights = weights / largest
        weight_sum = float(total) / float(largest)

        def make_objective(penalty):
            design = DaskDesign(X, self.fit_intercept)
            return DaskObjective(design, self._loss(), Y, weights, penalty, weight_sum)

        C = self._run_solver(X, y, Y, None, self._loss(), make_objective=make_objective)
        self._set_coef(C, d)
        return self

    def _fit_dask_chunks(self, X, y, weights):
        """Mini-batch solvers on dask arrays: epochs of ``partial_fit`` passes over chunks.

        Each epoch visits the row chunks in an order drawn from
        ``random_state`` and makes one ``partial_fit`` pass over each (the chunk
        is computed and brought to this process, one at a time; never the whole
        of ``X``). The run stops when the mean objective of an epoch has not
        improved on the best by more than ``tol`` for ``n_iter_no_change``
        epochs, or after ``max_iter`` epochs. ``n_iter_`` and ``history_``
        count chunk passes.
        """
        dask, _ = require_dask()
        if isinstance(getattr(self, "class_weight", None), str):
            raise ValueError(
                f"class_weight={self.class_weight!r} is not supported with mini-batch "
                "solvers on dask arrays; pass a dict of class weights."
            )
        classes = getattr(self, "classes_", None)
        keep = self.warm_start and hasattr(self, "coef_")
        if not keep:
            for name in self._fitted_state():
                if name not in ("n_features_in_", "classes_"):
                    delattr(self, name)
        rng = check_random_state(self.random_state)
        chunks = X.chunks[0]
        X_blocks = X.to_delayed().ravel()
        y_blocks = y.rechunk((chunks,)).to_delayed().ravel()
        w_blocks = weights.rechunk((chunks,)).to_delayed().ravel()
        nonempty = [i for i, size in enumerate(chunks) if size > 0]
        weight_sum = max(float(weights.sum().compute()), 1e-300)
        best, stale, converged = np.inf, 0, False
        for _ in range(self.max_iter):
            values = []
            for i in rng.permutation(nonempty):
                Xc, yc, wc = dask.compute(X_blocks[i], y_blocks[i], w_blocks[i])
                self._fit_unguarded(Xc, yc, wc, partial=True, classes=classes)
                values.append(self.history_["objective"][-1] * wc.sum())
            total = float(np.sum(values)) / weight_sum
            if total < best - self.tol:
                best, stale = total, 0
            else:
                stale += 1
                if stale >= self.n_iter_no_change:
                    converged = True
                    break
        if not converged:
            warnings.warn(
                f"solver={self.solver!r} did not converge within max_iter={self.max_iter} "
                "epochs over the dask chunks. Increase max_iter, scale the data or raise tol.",
                ConvergenceWarning,
                stacklevel=4,
            )
        return self

    def _dask_map(self, method, X):
        """``method`` (a prediction method's name) applied lazily to each row chunk."""
        _, da = require_dask()
        check_is_fitted(self)
        X = da.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has shape {X.shape}, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        if X.numblocks[1] > 1:
            X = X.rechunk({1: -1})
        func = getattr(self, method)
        probe = np.zeros((1, X.shape[1]), dtype=X.dtype if X.dtype.kind == "f" else np.float64)
        sample = np.asarray(func(probe))
        meta = np.empty((0,) * sample.ndim, dtype=sample.dtype)
        if sample.ndim == 1:
            return X.map_blocks(func, drop_axis=1, dtype=sample.dtype, meta=meta)
        return X.map_blocks(
            func, chunks=(X.chunks[0], (sample.shape[1],)), dtype=sample.dtype, meta=meta
        )

    def _encode_targets(self, y, sample_weight, *, partial=False, classes=None):
        """The targets the loss sees and the sample weights (classifiers override)."""
        return y, sample_weight

    def _check_partial_fit(self):
        """``partial_fit`` exists only for the solvers that support it (``available_if``)."""
        solver = self.solver
        cls = SOLVERS.get(solver) if isinstance(solver, str) else type(solver)
        if cls is None or not getattr(cls, "supports_partial_fit", False):
            name = solver if isinstance(solver, str) else getattr(solver, "name", solver)
            raise AttributeError(
                f"partial_fit is not available with solver={name!r}: it needs a solver "
                "that keeps its state between passes over the data: "
                f"{', '.join(solvers_with('supports_partial_fit'))}."
            )
        return True

    def _validate_fit_data(self, X, y, sample_weight, reset=True):
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            y_numeric=not hasattr(self, "_encode_classes"),
        )
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        if not np.all(np.isfinite(sample_weight)):
            raise ValueError("sample_weight must be finite; it contains NaN or infinity.")
        largest = np.max(sample_weight, initial=0.0)
        if largest > 0:  # the scale is free (see _run_solver); this keeps products finite
            sample_weight = sample_weight / largest
        return X, y, sample_weight

    def _starting_point(self, objective, partial):
        """``(theta0, solver_state)``: the previous fit's when resuming, else zeros."""
        if (partial or self.warm_start) and hasattr(self, "coef_"):
            previous = self._coef_matrix()
            if previous.shape == objective.shape:
                theta0 = previous.astype(np.float64).ravel()
                return theta0, getattr(self, "_solver_state", None)
        return np.zeros(objective.n_coef), None

    def _coef_matrix(self):
        """The fitted coefficients as the solver's (n_dof, n_outputs) matrix."""
        W = np.atleast_2d(self.coef_).T
        if not self.fit_intercept:
            return W
        return np.vstack([W, np.atleast_1d(self.intercept_)[None, :]])

    def _run_solver(self, X, y, Y, sample_weight, loss, *, partial=False, make_objective=None):
        """Build the objective, run the solver, return the (n_dof, k) coefficients.

        Also sets the fitted attributes that describe the run: ``n_iter_``,
        ``history_``, ``loss_curve_``, ``validation_scores_``,
        ``best_validation_score_`` and the solver state resumed by
        ``warm_start`` and ``partial_fit``. ``make_objective(penalty)``, when
        given, builds the objective instead (dask input: see :meth:`_fit_dask`).
        """
        if make_objective is None:
            # The objective divides by S = sum(s), so the weights' scale is free: divide
            # them by their largest so that neither S nor 1 / S overflows (weights of
            # 1e308 or 1e-320 are legal). Zero weights stay zero.
            largest = np.max(sample_weight, initial=0.0)
            if not largest > 0:
                raise ValueError("sample_weight must have a positive sum; all weights are zero.")
            sample_weight = sample_weight / largest
        solver = resolve_solver(self.solver)
        solver._validate_params()
        schedule = None if self.schedule is None else make_schedule(self.schedule, self.max_iter)
        random_state = check_random_state(self.random_state)
        early_stopping = self.early_stopping and not partial
        if early_stopping:
            if not solver.reports_iterates:
                raise ValueError(
                    f"early_stopping=True needs a solver that reports its iterates; "
                    f"solver={solver.name!r} does not. Use one of: "
                    f"{', '.join(solvers_with('reports_iterates'))}."
                )
            (X, y, Y, sample_weight), (X_val, y_val, _, sw_val) = validation_split(
                X,
                y,
                Y,
                sample_weight,
                fraction=self.validation_fraction,
                stratify=is_classifier(self),
                random_state=random_state,
            )
        penalty = ElasticNetPenalty(self.alpha, self.l1_ratio)
        if make_objective is None:
            objective = Objective(Design(X, self.fit_intercept), loss, Y, sample_weight, penalty)
        else:
            objective = make_objective(penalty)
        solver.check_objective(objective)
        d, dtype = X.shape[1], X.dtype

        def attributes(theta):
            return self._coef_attributes(objective.coef_matrix(theta).astype(dtype), d)

        monitor = bridge = None
        if early_stopping:

            def validation_score(theta):
                model = fitted_copy(self, attributes(theta))
                return model.score(X_val, y_val, sample_weight=sw_val)

            monitor = ValidationMonitor(validation_score, self.n_iter_no_change, self.tol)
        max_iter = 1 if partial else self.max_iter
        if CallbackBridge.wanted(self):
            bridge = CallbackBridge(self, max_iter, X, y, sample_weight, attributes)
        theta0, state = self._starting_point(objective, partial)
        result = solver.minimize(
            objective,
            theta0,
            max_iter=max_iter,
            tol=self.tol,
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            schedule=schedule,
            n_iter_no_change=self.n_iter_no_change,
            random_state=random_state,
            verbose=self.verbose,
            callback=combine([monitor, bridge]),
            initial_state=state,
        )
        coef = result.coef
        if monitor is not None and monitor.best_theta is not None:
            coef = monitor.best_theta  # the best iterate on the validation data
        if not np.all(np.isfinite(coef)):
            raise ValueError(
                f"solver={solver.name!r} produced non-finite coefficients; the data "
                "may hold extreme values. Scale the features (e.g. StandardScaler)."
            )
        if bridge is not None:
            bridge.close(attributes(coef))
        if not result.converged and not partial:
            warnings.warn(
                f"solver={solver.name!r} did not converge within max_iter="
                f"{self.max_iter} ({result.message}): {result.optimality_name} is "
                f"{result.optimality:.3g}, tol={self.tol:g}. Increase max_iter, "
                "scale the data (e.g. StandardScaler), raise tol, or try another "
                "solver.",
                ConvergenceWarning,
                stacklevel=5,
            )
        self._record_history(result, monitor, partial)
        self._solver_state = result.state
        return objective.coef_matrix(coef).astype(dtype)

    def _record_history(self, result, monitor, partial):
        """Set ``history_``, ``loss_curve_``, ``n_iter_`` and the validation scores."""
        history = {
            key: np.asarray(value, dtype=np.float64) for key, value in result.history.items()
        }
        if monitor is not None:
            history["validation_score"] = np.asarray(monitor.scores, dtype=np.float64)
        previous = getattr(self, "history_", None) if partial else None
        if previous is not None and set(previous) == set(history):
            offset = previous["time"][-1] if previous["time"].size else 0.0
            history["time"] = history["time"] + offset
            history = {key: np.concatenate([previous[key], history[key]]) for key in history}
        self.history_ = history
        self.loss_curve_ = history["objective"].tolist()
        self.n_iter_ = max(int(history["objective"].shape[0]), 1)
        if monitor is not None:
            self.validation_scores_ = history["validation_score"]
            self.best_validation_score_ = monitor.best_score
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _coef_attributes(self, C, d):
        """The fitted attributes for the coefficient matrix ``C`` (n_dof, k)."""
        coef = np.ascontiguousarray(C[:d].T)
        if self.fit_intercept:
            intercept = C[d].copy()
        else:
            intercept = np.zeros(C.shape[1], dtype=C.dtype)
        return {"coef_": coef, "intercept_": intercept}

    def _set_coef(self, C, d):
        """Store ``coef_`` and ``intercept_`` (see :meth:`_coef_attributes`)."""
        for name, value in self._coef_attributes(C, d).items():
            setattr(self, name, value)

    # -------------------------------------------------------------- predicting
    def _linear_predictor(self, X, *, relative=False):
        """The linear predictor ``X @ coef_.T + intercept_``.

        Samples far enough out give values beyond the floating-point range:
        those are ``+inf`` or ``-inf`` with the right sign (never NaN, never a
        warning). With ``relative=True`` and several outputs, such a row is
        instead given relative to its largest value, ``z - max(z)`` computed
        without overflow (its largest entry stays finite): what a softmax and an
        argmax need, as both are unchanged by a shift of the row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        relative : bool, default=False
            Shift the rows that overflow by their largest value (see above).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One column per output; raveled when there is one output.
        """
        check_is_fitted(self)
        # Finite samples near the largest float make scikit-learn's finiteness
        # check (a sum) and the product overflow; both are legitimate here.
        with np.errstate(over="ignore", invalid="ignore"):
            X = validate_data(
                self, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32], reset=False
            )
            Z = np.asarray(X @ np.atleast_2d(self.coef_).T) + self.intercept_
        overflowed = np.flatnonzero(~np.all(np.isfinite(Z), axis=1))
        if overflowed.size:
            Z[overflowed] = self._overflowing_rows(X[overflowed], relative)
        return Z.ravel() if Z.shape[1] == 1 else Z

    def _overflowing_rows(self, X, relative):
        """The linear predictor of rows whose product overflowed, without NaN.

        Each row is divided by its largest magnitude ``m`` (a finite, positive
        number), so that ``u = (x / m) @ coef_.T`` is finite; then ``m * u``
        overflows to a signed infinity at worst, where ``x @ coef_.T`` could
        give ``inf - inf``.
        """
        X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
        scale = np.max(np.abs(X), axis=1, keepdims=True)
        U = (X / scale) @ np.atleast_2d(self.coef_).T
        if relative and U.shape[1] > 1:
            U = U - U.max(axis=1, keepdims=True)
        with np.errstate(over="ignore"):
            return U * scale + self.intercept_


fit_context = _fit_context


def _searchsorted(classes, block):
    """Labels of a chunk of ``y`` as indices into ``classes``."""
    return np.searchsorted(classes, block)


def _take(values, block):
    """``values[block]`` (per-class weights of a chunk of labels)."""
    return values[block]
