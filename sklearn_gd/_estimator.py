"""Estimator layer: the scikit-learn API shared by the three estimators.

Validation of parameters and data, sample and class weights, warm start,
fitted attributes and warnings live here; the mathematics lives below
(objective, solvers). An estimator never branches on its solver's name.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._data import Design
from ._objective import Objective
from ._penalty import ElasticNetPenalty
from .solvers import SOLVERS, Solver, resolve_solver

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
    batch_size : "auto" or int >= 1, default="auto"
        Mini-batch size of ``sgd``, ``adam``, ``adamw`` (``"auto"``:
        ``min(200, n_samples)``) and ``momentum`` (``"auto"``: full batch).
        Ignored by the full-batch solvers.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffling of the stochastic solvers.
    verbose : int, default=0
        Print one line per iteration or epoch when > 0.
    warm_start : bool, default=False
        Start from the coefficients of the previous fit when they fit the data.
"""


class GDLinearModel(BaseEstimator):
    """Base class of the estimators: parameters, validation and the fit driver.

    Subclasses provide ``_loss()`` and ``_encode_targets(X, y)``.
    """

    _parameter_constraints = {
        "solver": [StrOptions(set(SOLVERS)), Solver],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "learning_rate": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
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
        batch_size="auto",
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
        self.batch_size = batch_size
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ---------------------------------------------------------------- fitting
    def _validate_fit_data(self, X, y, sample_weight):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            y_numeric=not hasattr(self, "_encode_classes"),
        )
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        if not np.all(np.isfinite(sample_weight)):
            raise ValueError("sample_weight must be finite; it contains NaN or infinity.")
        return X, y, sample_weight

    def _initial_coef(self, objective):
        theta0 = np.zeros(objective.n_coef)
        if self.warm_start and hasattr(self, "coef_"):
            previous = self._coef_matrix()
            if previous.shape == objective.shape:
                theta0 = previous.astype(np.float64).ravel()
        return theta0

    def _coef_matrix(self):
        """The fitted coefficients as the solver's (n_dof, n_outputs) matrix."""
        W = np.atleast_2d(self.coef_).T
        if not self.fit_intercept:
            return W
        return np.vstack([W, np.atleast_1d(self.intercept_)[None, :]])

    def _run_solver(self, X, Y, sample_weight, loss):
        """Build the objective, run the solver, return the (n_dof, k) coefficients."""
        if sample_weight.sum() <= 0:
            raise ValueError("sample_weight must have a positive sum; all weights are zero.")
        solver = resolve_solver(self.solver)
        solver._validate_params()
        design = Design(X, self.fit_intercept)
        penalty = ElasticNetPenalty(self.alpha, self.l1_ratio)
        objective = Objective(design, loss, Y, sample_weight, penalty)
        solver.check_objective(objective)
        result = solver.minimize(
            objective,
            self._initial_coef(objective),
            max_iter=self.max_iter,
            tol=self.tol,
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            random_state=check_random_state(self.random_state),
            verbose=self.verbose,
        )
        if not np.all(np.isfinite(result.coef)):
            raise ValueError(
                f"solver={solver.name!r} produced non-finite coefficients; the data "
                "may hold extreme values. Scale the features (e.g. StandardScaler)."
            )
        if not result.converged:
            warnings.warn(
                f"solver={solver.name!r} did not converge within max_iter="
                f"{self.max_iter} ({result.message}): {result.optimality_name} is "
                f"{result.optimality:.3g}, tol={self.tol:g}. Increase max_iter, "
                "scale the data (e.g. StandardScaler), raise tol, or try another "
                "solver.",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.n_iter_ = result.n_iter
        self.loss_curve_ = list(result.history.get("objective", []))
        C = objective.coef_matrix(result.coef).astype(X.dtype)
        return C

    def _set_coef(self, C, d):
        """Store ``coef_`` of shape (k, d) and ``intercept_`` of shape (k,)."""
        self.coef_ = np.ascontiguousarray(C[:d].T)
        if self.fit_intercept:
            self.intercept_ = C[d].copy()
        else:
            self.intercept_ = np.zeros(C.shape[1], dtype=C.dtype)

    # -------------------------------------------------------------- predicting
    def _linear_predictor(self, X):
        """The linear predictor ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One column per output; raveled when there is one output.
        """
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32], reset=False
        )
        Z = np.asarray(X @ np.atleast_2d(self.coef_).T) + self.intercept_
        return Z.ravel() if Z.shape[1] == 1 else Z


fit_context = _fit_context
