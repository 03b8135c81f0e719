"""Estimator layer: :class:`GDLinearRegression`, least squares by the solver you name.

Its model is the squared loss's (:class:`~sklearn_gd._loss.SquaredLoss`: identity
link, real targets, the weighted mean as the intercept-only model).
"""

import numpy as np
from sklearn.base import RegressorMixin

from ._estimator import (
    _FITTED_DOC,
    _PARTIAL_FIT_DOC,
    _SHARED_DOC,
    GDLinearModel,
    available_with_solver,
    documented,
    fit_context,
    predicts_rows,
)
from ._loss import SquaredLoss


class GDLinearRegression(RegressorMixin, GDLinearModel):
    __doc__ = (
        r"""Linear least squares trained by gradient descent or a variant of it.

    Minimises, with sample weights :math:`s_i` and :math:`S = \sum_i s_i`,

    .. math::

        \frac{1}{S} \sum_i s_i \frac{1}{2} (y_i - x_i \cdot w - b)^2
        + \alpha \Big( \rho \lVert w \rVert_1
        + \frac{1 - \rho}{2} \lVert w \rVert_2^2 \Big)

    With ``alpha=0`` (the default) this is ordinary least squares and every
    deterministic solver lands on the normal equation's solution. It equals
    scikit-learn's ``Ridge(alpha=alpha * S)`` for ``l1_ratio=0`` and
    ``Lasso(alpha=alpha)`` / ``ElasticNet(alpha, l1_ratio)`` (unweighted).

    The objective is *half* the mean squared error, so (with ``alpha=0``) its
    gradient in :math:`(w, b)` is
    :math:`\frac{1}{S} \sum_i s_i (x_i \cdot w + b - y_i)\, (x_i, 1)`: a
    gradient-descent loop on the full mean squared error with step
    :math:`\eta` takes the steps of ``solver="gd", learning_rate=2 * eta,
    schedule="constant"``, and the losses it prints are twice
    ``history_["objective"]`` (see the user guide's derivations page).

    Parameters
    ----------"""
        + _SHARED_DOC.replace("alpha : float >= 0", "alpha : float >= 0, default=0.0")
        + """
    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Weights ``w``; one row per target when ``y`` had several columns. A
        column ``y`` of shape (n_samples, 1) gives shape (n_features,), as
        scikit-learn's ``Ridge``, ``Lasso`` and ``SGDRegressor`` (not
        ``LinearRegression``, whose (1, n_features) scikit-learn's own tests
        mark as breaking its contract).
    intercept_ : float or ndarray of shape (n_targets,)
        Intercept ``b`` (0.0 when ``fit_intercept=False``); an array when ``y``
        was 2-D (of shape (1,) for a column ``y``, as ``Ridge``).
"""
        + _FITTED_DOC
        + """
    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_gd import GDLinearRegression
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> y = 2 * X.ravel() + 1
    >>> reg = GDLinearRegression(solver="gd", tol=1e-8, max_iter=2000).fit(X, y)
    >>> print(round(float(reg.coef_[0]), 6), round(float(reg.intercept_), 6))
    2.0 1.0
    """
    )

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
        positive=False,
        constraint=None,
        warm_start=False,
        average=False,
        record_batches=False,
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
        self.positive = positive
        self.constraint = constraint
        self.warm_start = warm_start
        self.average = average
        self.record_batches = record_batches

    @available_with_solver
    @fit_context(prefer_skip_nested_validation=True)
    @documented(
        _PARTIAL_FIT_DOC,
        y="""        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets; numeric strings are read as numbers. A 2-D ``y`` fits
            one model per column (the objective sums their squared losses).
""",
    )
    def partial_fit(self, X, y, sample_weight=None):
        return self._fit(X, y, sample_weight, partial=True)

    def _loss(self):
        return SquaredLoss()

    def _encode_targets(self, y, sample_weight, *, partial=False, classes=None):
        """Targets as floats: numeric strings are numbers, as in ``LinearRegression``."""
        if y.dtype.kind in "USO":
            y = y.astype(np.float64)  # letters: "could not convert string to float"
            if not np.all(np.isfinite(y)):
                raise ValueError("y must be finite; it contains NaN or infinity.")
        if partial and hasattr(self, "coef_") and (y.ndim == 2) != self._multi_output_:
            raise ValueError(
                f"y has {y.ndim} dimension(s); the previous calls to partial_fit had "
                f"{2 if self._multi_output_ else 1}."
            )
        self._multi_output_ = y.ndim == 2
        return y, sample_weight

    def _coef_attributes(self, C, d):
        """``coef_`` 1-D for one target, as ``Ridge``: also for ``y`` of shape (n_samples, 1).

        The intercept of a 2-D ``y`` stays an array (of shape (1,) for a column).
        """
        attributes = super()._coef_attributes(C, d)
        if C.shape[1] == 1:
            attributes["coef_"] = attributes["coef_"].ravel()
        if not getattr(self, "_multi_output_", False):
            attributes["intercept_"] = attributes["intercept_"][0]
        return attributes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    @predicts_rows
    def predict(self, X):
        """Predict ``X @ coef_ + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predicted values; 2-D when ``y`` had several columns (1-D for a
            column ``y`` of shape (n_samples, 1), as ``Ridge`` and ``Lasso``).
        """
        return self._loss().inverse_link(self._linear_predictor(X))
