r"""Convex constraints on the weights, for projected (proximal) gradient methods.

A constraint :math:`w \in C` enters the objective as the indicator function
:math:`\iota_C(w)` (0 on :math:`C`, :math:`+\infty` outside), a part of the
non-smooth term next to the L1 penalty:

.. math::

    \min_{W, b}\ f(W, b) + \lambda \lVert W \rVert_1 + \iota_C(W) .

So a solver that handles the L1 part through its proximal operator handles a
constraint with no change: the proximal operator of :math:`t\lambda\lVert\cdot\rVert_1
+ \iota_C` replaces soft-thresholding, and with :math:`\lambda = 0` it is the
Euclidean projection :math:`\Pi_C`, which turns gradient descent into projected
gradient descent, :math:`w_{t+1} = \Pi_C(w_t - \eta \nabla f(w_t))`.

Constraints act on the weights only, never on the intercept; for several
outputs (one-vs-rest or softmax) :class:`L2Ball` and :class:`Simplex` hold for
each output's column of weights separately. Each object is a plain parameter
object (``get_params`` / ``set_params``), so ``GridSearchCV`` can search
``constraint__radius``.
"""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval


def soft_threshold(W, threshold):
    """``sign(W) * max(|W| - threshold, 0)``, the proximal operator of ``threshold * |.|_1``."""
    return np.sign(W) * np.maximum(np.abs(W) - threshold, 0.0)


class Constraint(BaseEstimator):
    """Base class: a closed convex set of weight matrices.

    Subclasses implement ``_project`` and, where it differs from
    ``_project(soft_threshold(W, t))``, ``_prox_l1``.
    """

    #: Whether the set is a product of intervals, one per coefficient. Only then
    #: is a projection taken with a different step per coordinate (AdaGrad,
    #: RMSProp, Adam) the proximal step of the scaled problem.
    separable = False

    def project(self, W):
        """Euclidean projection of ``W`` onto the set.

        Parameters
        ----------
        W : ndarray of shape (n_features, n_outputs)
            Weights (no intercept).

        Returns
        -------
        ndarray of shape (n_features, n_outputs)
            The nearest point of the set.
        """
        return self._project(np.asarray(W, dtype=np.float64))

    def _project(self, W):
        raise NotImplementedError

    def prox_l1(self, W, threshold):
        """Proximal operator of ``threshold * |.|_1 + indicator of the set`` at ``W``.

        The default, projecting the soft-thresholded ``W``, is exact for every
        constraint of this module (see each class).

        Parameters
        ----------
        W : ndarray of shape (n_features, n_outputs)
            Weights (no intercept).
        threshold : float or ndarray broadcastable to ``W``
            Step times the L1 strength (0 for a plain projection).

        Returns
        -------
        ndarray of shape (n_features, n_outputs)
            ``argmin_X 1/2 |X - W|^2 + threshold * |X|_1`` over the set.
        """
        return self._prox_l1(np.asarray(W, dtype=np.float64), threshold)

    def _prox_l1(self, W, threshold):
        return self._project(soft_threshold(W, threshold))

    def contains(self, W, atol=1e-10):
        """Whether ``W`` lies in the set.

        Parameters
        ----------
        W : ndarray of shape (n_features, n_outputs)
            Weights (no intercept).
        atol : float, default=1e-10
            Largest distance to the set still counted as inside.

        Returns
        -------
        bool
            Whether the projection moves ``W`` by at most ``atol``.
        """
        return bool(np.max(np.abs(self.project(W) - W), initial=0.0) <= atol)


class Box(Constraint):
    r"""``lower <= w_j <= upper`` for every weight (bounds may differ per feature).

    Projection: :math:`\mathrm{clip}(w, l, u)`. With an L1 part the proximal
    operator is the clipped soft-threshold
    :math:`\mathrm{clip}(\mathrm{sign}(w)\max(|w| - t, 0), l, u)`, exact because
    both terms are separable and one-dimensional. ``lbfgs`` passes a box to
    L-BFGS-B's ``bounds``.

    Parameters
    ----------
    lower : float or array-like of shape (n_features,), default=-inf
        Lower bounds (``-np.inf`` for none).
    upper : float or array-like of shape (n_features,), default=inf
        Upper bounds (``np.inf`` for none); ``lower <= upper`` elementwise.
    """

    separable = True

    def __init__(self, lower=-np.inf, upper=np.inf):
        self.lower = lower
        self.upper = upper

    def bounds(self, n_features):
        """The bounds as float arrays, one entry per feature.

        Parameters
        ----------
        n_features : int
            Number of weights per output.

        Returns
        -------
        lower, upper : ndarray of shape (n_features,)
            Raises ValueError when some ``lower > upper`` or a bound is NaN.
        """
        try:
            lower = np.broadcast_to(np.asarray(self.lower, dtype=np.float64), (n_features,))
            upper = np.broadcast_to(np.asarray(self.upper, dtype=np.float64), (n_features,))
        except ValueError:
            raise ValueError(
                f"{type(self).__name__} needs scalar bounds or one per feature "
                f"({n_features}); got lower={self.lower!r}, upper={self.upper!r}."
            ) from None
        if np.any(np.isnan(lower)) or np.any(np.isnan(upper)) or np.any(lower > upper):
            raise ValueError(
                f"{type(self).__name__} needs lower <= upper for every feature (and no "
                f"NaN); got lower={self.lower!r}, upper={self.upper!r}."
            )
        return lower, upper

    def _project(self, W):
        lower, upper = self.bounds(W.shape[0])
        return (
            np.clip(W, lower[:, None], upper[:, None]) if W.ndim == 2 else np.clip(W, lower, upper)
        )


class NonNegative(Box):
    r"""``w_j >= 0`` for every weight (scikit-learn's ``positive=True``).

    Projection :math:`\max(w, 0)`; with an L1 part the proximal operator is
    :math:`\max(w - t, 0)` (on the non-negative orthant :math:`|w| = w`).
    """

    def __init__(self):
        pass

    @property
    def lower(self):
        return 0.0

    @property
    def upper(self):
        return np.inf

    def _project(self, W):
        return np.maximum(W, 0.0)

    def _prox_l1(self, W, threshold):
        return np.maximum(W - threshold, 0.0)


class L2Ball(Constraint):
    r"""``||w||_2 <= radius`` for each output's weights.

    Projection :math:`w \min(1, r / \lVert w \rVert_2)`. With an L1 part the
    proximal operator is the projection of the soft-thresholded point: exact,
    because the ball's indicator depends on :math:`\lVert w \rVert_2` only
    (the decomposition behind the sparse group lasso, Yu 2013).

    Parameters
    ----------
    radius : float > 0, default=1.0
        Radius of the ball.
    """

    _parameter_constraints = {"radius": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, radius=1.0):
        self.radius = radius

    def _project(self, W):
        norms = np.linalg.norm(W, axis=0)
        factor = np.minimum(1.0, self.radius / np.maximum(norms, np.finfo(float).tiny))
        return W * factor


class Simplex(Constraint):
    r"""``w_j >= 0`` and ``sum_j w_j = 1`` for each output's weights (a probability vector).

    Projection by sorting (Held et al. 1974; Duchi et al. 2008):
    :math:`\Pi(w) = \max(w - \tau, 0)` with :math:`\tau` chosen so that the
    result sums to 1. On the simplex :math:`\lVert w \rVert_1 = 1` is constant,
    so an L1 part changes nothing: the proximal operator is the projection
    (exact).
    """

    def __init__(self):
        pass

    def _project(self, W):
        W = np.asarray(W, dtype=np.float64)
        column = W.ndim == 1
        V = W[:, None] if column else W
        d = V.shape[0]
        U = -np.sort(-V, axis=0)  # each column in decreasing order
        cumulative = np.cumsum(U, axis=0) - 1.0
        ranks = np.arange(1, d + 1)[:, None]
        positive = U - cumulative / ranks > 0
        last = d - 1 - np.argmax(positive[::-1], axis=0)  # last index where positive
        tau = cumulative[last, np.arange(V.shape[1])] / (last + 1)
        P = np.maximum(V - tau, 0.0)
        return P[:, 0] if column else P

    def _prox_l1(self, W, threshold):
        return self._project(W)
