"""Estimator layer: the scikit-learn facade shared by the three estimators.

Parameters and their validation (each estimator spells out its ``__init__``),
the transactional fit driver, fitted attributes, warnings and the linear
predictor live here; the link, the targets and the starting intercept are the
loss's (:mod:`sklearn_gd._loss`). What the data are is the input backend's
business (:mod:`sklearn_gd._inputs`), running the solver the trainer's
(:mod:`sklearn_gd._trainer`), the mathematics the layers below. An estimator
never branches on its solver's name (it reads the solver's capability
attributes) nor on the kind of array it is given.
"""

import functools
import inspect
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._available_if import _AvailableIfDescriptor
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _migration
from ._inputs import TrainingData, inputs_for, normalised_weights
from ._loss import weighted_column_means
from ._penalty import ElasticNetPenalty
from ._trainer import RunSettings, train
from ._training import (
    CallbackBridge,
    CallbackSupportMixin,
    ValidationMonitor,
    ValidationRecorder,
    combine,
    fitted_copy,
    run_summary,
)
from .constraints import Constraint, NonNegative
from .schedules import SCHEDULES, Schedule, make_schedule
from .solvers import SOLVERS, Solver, resolve_solver, solver_names, solvers_with
from .solvers._base import StopReason
from .solvers._first_order import FirstOrderSolver
from .solvers._precision import rounded_optimality


def _quoted(names):
    return ", ".join(f'``"{name}"``' for name in names)


_SHARED_DOC_TEMPLATE = """
    solver : str or Solver, default="lbfgs"
        The optimisation method: one of {solver_names}, or a
        solver object from :mod:`sklearn_gd.solvers` carrying its own
        hyperparameters (e.g. ``Adam(beta_1=0.8)``, searchable as
        ``solver__beta_1``). A name stands for that solver with default settings.
    alpha : float >= 0
        Strength of the penalty
        ``alpha * (l1_ratio * ||w||_1 + (1 - l1_ratio) / 2 * ||w||_2^2)``.
    l1_ratio : float in [0, 1], default=0.0
        Share of L1 in the penalty. ``l1_ratio > 0`` needs a solver that handles
        L1: {l1_names}.
    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept.
    max_iter : int >= 1, default=1000
        Maximum iterations (full-batch solvers) or epochs (mini-batch solvers).
    tol : float >= 0 or None, default=1e-4
        Tolerance of the solver's stopping criterion: the largest entry of the
        gradient (or gradient mapping) for the full-batch solvers, the epoch's
        objective improvement for the mini-batch solvers. ``None`` (scikit-learn
        SGD's spelling) means no tolerance stop: mini-batch runs go
        ``max_iter`` epochs without plateau reductions of the learning rate,
        full-batch runs use ``tol=0`` (they stop at ``max_iter`` or an exact
        stationary point); reaching ``max_iter`` then gives no ConvergenceWarning.
    learning_rate : "auto" or float > 0, default="auto"
        Step size of the solvers that take one ({learning_rate_names}; for
        ``ista`` the initial step of its backtracking). ``"auto"`` is ``1 / L``
        from a Lipschitz estimate of the objective, or, for the adaptive rules,
        their own base rate (0.01 for Adam) times ``max(1, D)``, ``D`` the
        largest coordinate-wise Newton step at the start. Ignored by the others.
    schedule : None, str, Schedule or callable, default=None
        How the learning rate of {schedule_names} changes with the epoch (or
        iteration) count ``t``: None for the solver's default (``"adaptive"`` -
        divided by 5 on each plateau - for {stochastic_names} and mini-batch
        runs of the others, ``"constant"`` otherwise); a name
        ({schedule_options}); a schedule object of
        :mod:`sklearn_gd.schedules` with its parameters (searchable as
        ``schedule__<param>``), e.g. ``LinearWarmup(CosineAnnealing())``; or any
        callable ``t -> learning rate``. Ignored by the other solvers.
    batch_size : "auto" or int >= 1, default="auto"
        Mini-batch size of the first-order solvers: ``"auto"`` is
        ``min(200, n_samples)`` for {minibatch_names} and the full batch for the
        others. Ignored by the full-batch solvers.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        the classifiers; or use ``fit``'s ``X_val``, ``y_val`` when given),
        score the model on it (``score``: R^2 or accuracy) after every
        iteration or epoch, stop once it has not improved by ``tol``
        for ``n_iter_no_change`` of them, and keep the best coefficients. Works
        with every solver. ``partial_fit`` refuses it (``ValueError``), as
        scikit-learn's SGD estimators do.
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
        When > 0, print a table as the fit runs: a header, then one row per
        iteration or epoch (the objective, the optimality measure compared
        with ``tol`` under its own name, the step size, the elapsed time and,
        with validation data, the validation loss and score), and a closing
        line saying why the run stopped, after how many iterations and how
        long, with the final objective and optimality.
    positive : bool, default=False
        Constrain the weights to be non-negative (scikit-learn's spelling, as
        in ``LinearRegression`` and ``Lasso``): ``constraint=NonNegative()``.
    constraint : Constraint or None, default=None
        A constraint on the weights from :mod:`sklearn_gd.constraints`
        (``Box``, ``NonNegative``, ``L2Ball``, ``Simplex``; searchable as
        ``constraint__<param>``), never on the intercept. Solvers with a
        proximal step project onto it, ``lbfgs`` takes a box as bounds, the
        others refuse it naming those that can.
    warm_start : bool, default=False
        Start ``fit`` from the coefficients of the previous fit when they fit
        the data. The run itself starts afresh, as scikit-learn's SGD and MLP
        estimators do: the learning rate, its schedule and plateau reductions,
        and the optimiser's buffers (momentum, Adam's moments) begin anew, so a
        warm refit can move as far as a cold one. ``partial_fit`` is the way to
        continue a run: it resumes all of that from its previous call.
    average : bool or int, default=False
        Averaged iterates (scikit-learn's ``SGDClassifier(average=...)``) for
        {first_order_names}: ``True`` reports the running mean of the
        iterates of the run (one per update) as ``coef_`` / ``intercept_``; an
        int ``n`` starts that mean once ``n`` rows have been stepped from.
        ``partial_fit`` reports the mean and goes on from the last iterate.
        Ignored by the other solvers.
    record_batches : bool, default=False
        Record the objective of every mini-batch at the iterate it was
        stepped from, in ``history_["batch_objective"]`` (one entry per
        update; {first_order_names}).
"""
#: The fitted attributes every estimator documents after its coefficients.
_FITTED_DOC = """    n_iter_ : int
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
        fit, callbacks excluded); with a validation set (``fit(..., X_val=,
        y_val=)`` or ``early_stopping=True``) ``"validation_loss"`` (the data
        term, weighted mean loss without penalty, on it) and
        ``"validation_score"``; with ``record_batches=True``
        ``"batch_objective"`` (one entry per mini-batch update).
        ``partial_fit`` appends to it.
    loss_curve_ : list of float
        ``history_["objective"]`` as a list (as in ``MLPClassifier``).
    validation_scores_ : ndarray of shape (`n_iter_`,) or None
        The score on the validation data (held out by ``early_stopping=True``,
        or ``X_val``) after each iteration or epoch, else None.
    best_validation_score_ : float or None
        The best of ``validation_scores_`` (whose coefficients are kept with
        early stopping); None without validation data.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` had string column names.
"""

_SHARED_DOC = _SHARED_DOC_TEMPLATE.format(
    solver_names=_quoted(SOLVERS),
    l1_names=_quoted(solvers_with("supports_l1")),
    learning_rate_names=_quoted(solvers_with("uses_learning_rate")),
    schedule_names=_quoted(solvers_with("uses_schedule")),
    schedule_options=_quoted(SCHEDULES),
    stochastic_names=_quoted(solvers_with("stochastic")),
    first_order_names=_quoted(solver_names(lambda cls: issubclass(cls, FirstOrderSolver))),
    minibatch_names=_quoted(solver_names(lambda cls: not getattr(cls, "full_batch_default", True))),
)


#: The docstring of ``partial_fit``; ``{y}``: the estimator's ``y`` (and ``classes``).
_PARTIAL_FIT_DOC = """One pass (epoch) over ``X``, continuing from the previous calls.

        For the solvers that keep a state between passes (those whose
        ``supports_partial_fit`` is set: ``solvers_with("supports_partial_fit")``
        lists them); other solvers have no ``partial_fit``. Everything the run
        changes is kept between calls: the optimiser's buffers (momentum,
        Adam's moments and step count), the learning rate (``"auto"`` is
        resolved on the first call), the schedule's position and its plateau
        reductions. With ``batch_size="auto"`` a call's batches are
        ``min(200, n_samples)`` rows for every solver, taken as mini-batch
        steps (a block of up to 200 rows is one step; ``batch_size=1`` steps
        once per row). ``early_stopping=True`` raises a
        ``ValueError`` (as in scikit-learn's SGD estimators): use ``fit`` for it.

        Parameters
        ----------
        X : {{array-like, sparse matrix}} of shape (n_samples, n_features)
            A block of training data; later calls must have the same features.
{y}        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.

        Returns
        -------
        self : object
            The updated estimator.
        """


def documented(template, **fields):
    """Decorator: the function's docstring is ``template`` with ``fields`` filled in.

    For a method the estimators document alike but for a few lines (their
    ``y``), whose signatures differ.
    """

    def decorate(function):
        function.__doc__ = template.format(**fields)
        return function

    return decorate


def predicts_rows(method):
    """A prediction method that takes any array its estimator's inputs accept.

    In-memory arrays go to ``method`` itself; dask arrays get it mapped lazily
    over their row chunks (:mod:`sklearn_gd._dask_inputs`).
    """

    @functools.wraps(method)
    def predict(self, X):
        return inputs_for(X).predict(self, method, X)

    return predict


class OrderedStrOptions(StrOptions):
    """``StrOptions`` whose message lists the names in the order given.

    scikit-learn's lists a set, whose order changes from one run to the next;
    this one lists a registry's names in registry order.
    """

    def __init__(self, names):
        self.order = list(names)
        super().__init__(set(self.order))

    def __str__(self):
        return f"a str among {{{', '.join(map(repr, self.order))}}}"


#: Parameters taking an instance of one of these classes: the class itself is a slip.
_INSTANCE_PARAMETERS = {"solver": Solver, "schedule": Schedule, "constraint": Constraint}


def validate_parameters(estimator):
    """scikit-learn's parameter validation, with advice for a scikit-learn user.

    The same :class:`InvalidParameterError` as ``BaseEstimator._validate_params``
    (a ``ValueError`` and a ``TypeError``), extended by the migration table's
    row for the rejected value (``solver="saga"``: what to write instead), or
    by "did you mean ``Adam()``" for a class given where an instance belongs.
    """
    caller = type(estimator).__name__
    constraints = estimator._parameter_constraints
    for name, value in estimator.get_params(deep=False).items():
        base = _INSTANCE_PARAMETERS.get(name)
        if isinstance(value, type) and base is not None and issubclass(value, base):
            raise InvalidParameterError(
                f"The {name!r} parameter of {caller} must be an instance, not the class "
                f"{value.__name__}: did you mean `{value.__name__}()`?"
            )
        if name not in constraints:
            continue
        try:
            validate_parameter_constraints(
                {name: constraints[name]}, {name: value}, caller_name=caller
            )
        except InvalidParameterError as exc:
            advice = _migration.advice(name, value)
            if advice is None:
                raise
            raise InvalidParameterError(f"{exc} Coming from scikit-learn: {advice}.") from None


class _AvailableWithSolver(_AvailableIfDescriptor):
    """``available_if`` whose ``AttributeError`` keeps the reason the check gave.

    scikit-learn's says only "has no attribute"; ``hasattr`` stays False all the same.
    """

    def _check(self, obj, owner):
        try:
            super()._check(obj, owner)
        except AttributeError as exc:
            reason = exc.__cause__
            if reason is None:
                raise
            raise AttributeError(f"{exc}: {reason}") from reason


def available_with_solver(method):
    """Decorator: ``method`` exists only for solvers with ``supports_partial_fit``."""
    return _AvailableWithSolver(method, GDLinearModel._check_partial_fit, method.__name__)


class GDLinearModel(CallbackSupportMixin, BaseEstimator):
    """Base class of the estimators: parameters, the fit driver, the linear predictor.

    Subclasses provide an explicit ``__init__`` and ``_loss()`` (the loss owns the
    link, the targets and the intercept-only model); classifiers override
    ``_encode_targets``.
    """

    _parameter_constraints = {
        "solver": [OrderedStrOptions(SOLVERS), Solver],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "learning_rate": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "schedule": [None, OrderedStrOptions(SCHEDULES), Schedule, callable],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "positive": ["boolean"],
        "constraint": [None, Constraint],
        "average": [Interval(Integral, 0, None, closed="left"), "boolean"],
        "record_batches": ["boolean"],
    }

    def __new__(cls, *args, **params):
        """Refuse unknown keywords before ``__init__`` does, with migration advice.

        Each estimator spells out its parameters in an explicit ``__init__``
        (what ``get_params``, ``clone``, IDEs and the documentation read). A
        keyword it lacks is a ``TypeError``, as Python's own, that also quotes
        the migration table's row for it (``C=``: what to write instead).
        """
        taken = [name for name in inspect.signature(cls.__init__).parameters if name != "self"]
        unknown = sorted(set(params) - set(taken))
        if unknown:
            advice = [_migration.advice(name, params[name]) for name in unknown]
            advice = "".join(f" Coming from scikit-learn: {text}." for text in advice if text)
            raise TypeError(
                f"{cls.__name__}.__init__() got unexpected keyword argument(s) "
                f"{', '.join(map(repr, unknown))}; it takes {', '.join(taken)}.{advice}"
            )
        return super().__new__(cls)

    def set_params(self, **params):
        """Set parameters; ``solver__<param>`` works with a solver given by name.

        A name stands for that solver with its defaults, so a nested parameter
        of a named solver (``GDLogisticRegression(solver="adam")
        .set_params(solver__beta_1=0.5)``, or ``solver__beta_1`` in a
        ``GridSearchCV`` grid) first replaces the name by the solver object it
        stands for (``Adam()``), then sets the parameter on that object:
        afterwards ``solver`` is ``Adam(beta_1=0.5)``. The same holds for a
        schedule given by name and ``schedule__<param>``.

        Parameters
        ----------
        **params : dict
            Estimator parameters, nested ones as ``<component>__<param>``.

        Returns
        -------
        self : estimator instance
        """
        for name, resolve in (("solver", resolve_solver), ("schedule", make_schedule)):
            value = params.get(name, getattr(self, name))
            if isinstance(value, str) and any(key.startswith(name + "__") for key in params):
                params[name] = resolve(value)
        return super().set_params(**params)

    def _validate_params(self):
        validate_parameters(self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def __sklearn_is_fitted__(self):
        # Fitted means a complete model: a failed fit leaves no coef_ (see _fit).
        return hasattr(self, "coef_")

    # ---------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        coef_init=None,
        intercept_init=None,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 stays float32.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels for the classifiers. For ``GDLinearRegression``, the
            targets: numeric strings are read as numbers, and a 2-D ``y`` fits
            one model per column (the objective sums their squared losses).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an integer weight equals repeating the row.
        coef_init : array-like of shape (n_outputs, n_features), default=None
            Coefficients to start from (scikit-learn SGD's spelling); a model
            with one output also takes shape (n_features,). None: zero.
        intercept_init : array-like of shape (n_outputs,), default=None
            Intercept(s) to start from. None: the intercept that is optimal
            for the starting coefficients when those are zero, see the user
            guide (for given ``coef_init``, still that of zero coefficients).
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            A validation set of your own (scikit-learn's
            ``HistGradientBoosting*`` spelling): after every iteration or epoch
            the data term of the objective on it (the weighted mean loss,
            without the penalty) goes into ``history_["validation_loss"]`` and
            the estimator's ``score`` on it into ``history_["validation_score"]``.
            With ``early_stopping=True`` it is the set early stopping watches,
            instead of a held-out ``validation_fraction`` of ``X``.
        y_val : array-like of shape (n_val,), default=None
            Targets of ``X_val``.
        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of ``X_val`` (class weights are applied to them too).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        val = None if X_val is None and y_val is None else (X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, init=self._init(coef_init, intercept_init), val=val)

    def _fitted_state(self):
        """The attributes fit sets: public ones ending in ``_`` and the solver state."""
        return {
            name: value
            for name, value in vars(self).items()
            if (name.endswith("_") and not name.startswith("__"))
            or name in ("_solver_state", "_shuffle_rng")
        }

    def _fit(self, X, y, sample_weight, *, partial=False, classes=None, init=None, val=None):
        """What ``fit`` and ``partial_fit`` share: validate, encode, solve, store.

        Never leaves a half-updated model: validation sets ``n_features_in_``
        and ``classes_`` before the solver runs, so on any error (a
        ``DivergenceError`` too) every fitted attribute is removed again. A
        failed ``fit`` leaves the estimator unfitted; a failed ``partial_fit``
        leaves it as it was before that call.
        """
        if partial and self.early_stopping:
            raise ValueError(
                "early_stopping should be False with partial_fit (as in scikit-learn's "
                "SGD estimators): one pass over a block has no held-out data to stop on. "
                "Use fit with early_stopping=True, or fit(X, y, X_val=, y_val=)."
            )
        previous = self._fitted_state() if partial else {}
        try:
            return self._fit_unguarded(
                X, y, sample_weight, partial=partial, classes=classes, init=init, val=val
            )
        except BaseException:
            for name in self._fitted_state():
                delattr(self, name)
            for name, value in previous.items():
                setattr(self, name, value)
            raise

    def _fit_unguarded(self, X, y, sample_weight, *, partial, classes, init=None, val=None):
        data = inputs_for(X, y).prepare(self, X, y, sample_weight, partial=partial, classes=classes)
        solver = resolve_solver(self.solver)
        solver._validate_params()
        random_state = self._shuffle_generator(partial)
        validation = None if val is None else self._validation_data(*val)
        watched = (self.early_stopping and not partial) or validation is not None
        if watched and not solver.reports_iterates:
            raise ValueError(
                f"early_stopping=True and X_val need a solver that reports its iterates; "
                f"solver={solver.name!r} does not. Use one of: "
                f"{', '.join(solvers_with('reports_iterates'))}."
            )
        if self.early_stopping and not partial and validation is None:
            data, validation = data.split(
                self.validation_fraction, is_classifier(self), random_state
            )
        penalty = ElasticNetPenalty(self.alpha, self.l1_ratio, constraint=self._constraint())
        objective = data.objective(self._loss(), penalty, self.fit_intercept)
        solver.check_objective(objective)
        d, dtype = data.n_features, data.dtype

        def attributes(theta):
            return self._coef_attributes(objective.coef_matrix(theta).astype(dtype), d)

        monitor = recorder = None
        if validation is not None:

            def validation_score(theta):
                model = fitted_copy(self, attributes(theta))
                return model.score(
                    validation.X, validation.y, sample_weight=validation.sample_weight
                )

            data_term = validation.objective(
                self._loss(), ElasticNetPenalty(0.0, 0.0), self.fit_intercept
            )
            recorder = ValidationRecorder(data_term, validation_score)
        if recorder is not None and self.early_stopping and not partial:
            tol = -np.inf if self.tol is None else self.tol
            monitor = ValidationMonitor(
                lambda theta: recorder.last_score, self.n_iter_no_change, tol
            )
        bridge = None
        if CallbackBridge.wanted(self):
            max_iter = 1 if partial else self.max_iter
            bridge = CallbackBridge(self, max_iter, data.X, data.y, data.sample_weight, attributes)
        theta0, state = self._starting_point(objective, partial, data, init)
        record = train(
            solver,
            objective,
            theta0,
            self._run_settings(random_state, solver, objective.n_samples),
            partial=partial,
            state=state,
            monitor=monitor,
            recorder=recorder,
            callback=combine([recorder, monitor, bridge]),
        )
        if not np.all(np.isfinite(record.coef)):
            raise ValueError(
                f"solver={solver.name!r} produced non-finite coefficients; the data "
                "may hold extreme values. Scale the features (e.g. StandardScaler)."
            )
        if bridge is not None:
            bridge.close(attributes(record.coef))
        if not partial:
            self._report(solver, objective.n_samples, record, monitor)
            if record.result.converged and record.coef is record.result.coef:
                self._check_rounded_coefficients(solver, objective, record.result, dtype)
        self._record_history(record, monitor, partial)
        self._solver_state = record.result.state
        for name, value in attributes(record.coef).items():
            setattr(self, name, value)
        return self

    def _report(self, solver, n_samples, record, monitor):
        """The end of a fit: a ConvergenceWarning if it stopped short, ``verbose``'s last line."""
        result = record.result
        if not result.converged and not self._max_iter_asked_for(result):
            warnings.warn(
                f"solver={solver.name!r} did not converge ({result.message}; "
                f"max_iter={self.max_iter}): "
                f"{result.optimality_name} is {result.optimality:.3g}, tol={self.tol}. "
                f"{result.remedy}",
                ConvergenceWarning,
                stacklevel=5,
            )
        if self.verbose:
            unit = "epoch" if self._mini_batches(solver, n_samples) else "iteration"
            print(run_summary(solver.name, unit, result, record.history, monitor, self.tol))

    def _shuffle_generator(self, partial):
        """The generator of a run's shuffles and samples.

        ``fit`` starts one from ``random_state``; each ``partial_fit`` call
        continues the stream of the calls before it, so that ``k`` calls over
        the same data shuffle as the ``k`` epochs of one ``fit`` do.
        """
        if not (partial and hasattr(self, "_shuffle_rng")):
            self._shuffle_rng = check_random_state(self.random_state)
        return self._shuffle_rng

    def _check_rounded_coefficients(self, solver, objective, result, dtype):
        """Warn when the coefficients kept in ``dtype`` miss the ``tol`` the solver met.

        On float32 data ``coef_`` is the float64 point the solver reached,
        rounded: that moves the gradient by about the curvature times
        ``eps * |coef|``. Only full-batch runs stop on a gradient measure.
        """
        tol = self.tol
        if np.dtype(dtype) == np.float64 or tol is None or not result.optimality <= tol:
            return
        if self._mini_batches(solver, objective.n_samples):
            return
        rounded = rounded_optimality(objective, result.coef, result.optimality, dtype, tol)
        if rounded is None or rounded <= tol:
            return
        name = np.dtype(dtype).name
        warnings.warn(
            f"solver={solver.name!r} did not converge in {name}: it reached "
            f"{result.optimality_name} {result.optimality:.3g} <= tol={tol} in float64, but "
            f"the coefficients kept in {name} (coef_, intercept_: those rounded) have "
            f"{result.optimality_name} {rounded:.3g}. tol={tol} is below the precision of "
            f"{name} coefficients on this problem; float64 data, or tol >= {rounded:.2g}, "
            "removes this warning.",
            ConvergenceWarning,
            stacklevel=5,
        )

    def _max_iter_asked_for(self, result):
        """With ``tol=None`` a run that reached ``max_iter`` did what was asked (no warning)."""
        return self.tol is None and result.reason is StopReason.MAX_ITER

    def _tolerance(self, solver, n_samples):
        """The ``tol`` a run gets: ``tol=None`` means no tolerance stop.

        Mini-batch runs get ``-inf``: no epoch ever counts as a plateau, so they
        run ``max_iter`` epochs without learning-rate reductions, as
        scikit-learn's SGD estimators do with ``tol=None``. Full-batch runs get
        ``tol=0``: they stop only at ``max_iter`` or at an exact stationary point.
        """
        if self.tol is not None:
            return self.tol
        return -np.inf if self._mini_batches(solver, n_samples) else 0.0

    def _mini_batches(self, solver, n_samples):
        """Whether ``solver`` runs on mini-batches (epochs) of ``n_samples`` rows."""
        batch_size_for = getattr(solver, "batch_size_for", None)
        return batch_size_for is not None and batch_size_for(self.batch_size, n_samples) < n_samples

    def _constraint(self):
        """The constraint on the weights: ``NonNegative()`` for ``positive=True``, a
        copy of ``constraint`` (fit never writes into it), or None."""
        if self.positive and self.constraint is not None:
            raise ValueError(
                "positive=True and constraint= both constrain the weights; pass one: "
                "positive=True is constraint=NonNegative()."
            )
        if self.positive:
            return NonNegative()
        return None if self.constraint is None else clone(self.constraint)

    def _run_settings(self, random_state, solver, n_samples):
        schedule = None if self.schedule is None else make_schedule(self.schedule, self.max_iter)
        return RunSettings(
            max_iter=self.max_iter,
            tol=self._tolerance(solver, n_samples),
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            schedule=schedule,
            n_iter_no_change=self.n_iter_no_change,
            random_state=random_state,
            verbose=self.verbose,
            average=self.average,
            record_batches=self.record_batches,
        )

    def _starting_point(self, objective, partial, data, init=None):
        """``(theta0, solver_state)`` for this run.

        ``partial_fit`` continues the previous coefficients and the solver's
        state; a warm ``fit`` starts from the previous coefficients with a new
        run. Otherwise the run starts from zero coefficients and the loss's
        intercept-only model (:meth:`~sklearn_gd._loss.Loss.intercept_only`:
        the weighted mean of ``y`` for least squares, the log-odds or
        log-frequencies of the weighted classes for the classifiers), so that
        no solver spends its first iterations, or its learning rate, on moving
        the intercept to where the targets are. The first ``partial_fit`` call
        takes its block's, unless the block's mean target lies on the edge of
        the loss's prediction range (a class missing from it): a class missing
        from the first block would start at log-odds of about -18, which the
        steps of the following calls take long to undo (every solver then
        predicted one class for every row of a six-row problem fitted in two
        calls), so such a block starts at zero, as scikit-learn's
        ``SGDClassifier`` does.
        """
        loss = self._loss()

        def null_intercept():
            if not partial:
                return loss.intercept_only(data.Y, data.sample_weight)
            mean = weighted_column_means(data.Y, data.sample_weight)
            if not loss.mean_inside_range(mean):
                return np.zeros_like(mean)
            return loss.intercept_of_mean(mean)

        if init is not None:
            return self._given_start(objective, *init, null_intercept), None
        if (partial or self.warm_start) and hasattr(self, "coef_"):
            C = np.atleast_2d(self.coef_).T
            if self.fit_intercept:
                C = np.vstack([C, np.atleast_1d(self.intercept_)[None, :]])
            if C.shape == objective.shape:
                state = getattr(self, "_solver_state", None) if partial else None
                return C.astype(np.float64).ravel(), state
        C = np.zeros(objective.shape)
        if self.fit_intercept:
            C[-1] = null_intercept()
        return C.ravel(), None

    @staticmethod
    def _init(coef_init, intercept_init):
        """``fit``'s chosen starting point, or None for the default one."""
        if coef_init is None and intercept_init is None:
            return None
        return coef_init, intercept_init

    def _given_start(self, objective, coef_init, intercept_init, null_intercept):
        """The starting point of ``fit(..., coef_init=, intercept_init=)``.

        Either may be None: the coefficients then start at zero, the intercept
        at ``null_intercept()``, the one optimal for zero coefficients.
        """
        n_dof, k = objective.shape
        d = n_dof - self.fit_intercept
        C = np.zeros((n_dof, k))
        if coef_init is not None:
            coef = np.asarray(coef_init, dtype=np.float64)
            if coef.size != d * k:
                raise ValueError(
                    f"coef_init has shape {coef.shape}; this model has {k} row(s) of "
                    f"{d} coefficients: pass an array of shape ({k}, {d})"
                    + (f" or ({d},)." if k == 1 else ".")
                )
            C[:d] = coef.reshape(k, d).T
        if self.fit_intercept:
            if intercept_init is None:
                C[d] = null_intercept()
            else:
                intercept = np.asarray(intercept_init, dtype=np.float64)
                if intercept.size != k:
                    raise ValueError(
                        f"intercept_init has shape {intercept.shape}; this model has {k} "
                        f"intercept(s)."
                    )
                C[d] = intercept.ravel()
        return C.ravel()

    def _record_history(self, record, monitor, partial):
        """Set ``history_``, ``loss_curve_``, ``n_iter_`` and the validation scores."""
        history = record.history
        previous = getattr(self, "history_", None) if partial else None
        if previous is not None and set(previous) == set(history):
            offset = previous["time"][-1] if previous["time"].size else 0.0
            history["time"] = history["time"] + offset
            history = {key: np.concatenate([previous[key], history[key]]) for key in history}
        self.history_ = history
        self.loss_curve_ = history["objective"].tolist()
        self.n_iter_ = max(int(history["objective"].shape[0]), 1)
        if "validation_score" in history:
            self.validation_scores_ = history["validation_score"]
            self.best_validation_score_ = (
                monitor.best_score
                if monitor is not None
                else float(np.max(history["validation_score"]))
            )
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None

    def _validation_data(self, X_val, y_val, sample_weight_val):
        """The user's validation set (``fit``'s ``X_val``...) as :class:`TrainingData`."""
        if X_val is None or y_val is None:
            raise ValueError("X_val and y_val must be given together.")
        classifier = is_classifier(self)
        X_val, y_val = validate_data(
            self,
            X_val,
            y_val,
            reset=False,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            y_numeric=not classifier,
            multi_output=not classifier,
        )
        weights = _check_sample_weight(
            sample_weight_val, X_val, dtype=np.float64, ensure_non_negative=True
        )
        targets, weights = self._encode_validation_targets(y_val, weights)
        Y = self._target_matrix(targets, X_val.dtype)
        return TrainingData(X_val, y_val, Y, normalised_weights(weights))

    def _encode_validation_targets(self, y, sample_weight):
        """The validation targets as the loss sees them (classifiers override)."""
        if y.dtype.kind in "USO":
            y = y.astype(np.float64)
        return y, sample_weight

    def _encode_targets(self, y, sample_weight, *, partial=False, classes=None):
        """The targets the loss sees and the sample weights (classifiers override)."""
        return y, sample_weight

    def _target_matrix(self, targets, dtype):
        """The encoded targets as the loss's ``(n_samples, n_outputs)`` matrix."""
        n_classes = len(self.classes_) if hasattr(self, "classes_") else None
        return self._loss().target_matrix(targets, n_classes, dtype)

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

    def _coef_attributes(self, C, d):
        """The fitted attributes for the coefficient matrix ``C`` (n_dof, k)."""
        coef = np.ascontiguousarray(C[:d].T)
        if self.fit_intercept:
            intercept = C[d].copy()
        else:
            intercept = np.zeros(C.shape[1], dtype=C.dtype)
        return {"coef_": coef, "intercept_": intercept}

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
