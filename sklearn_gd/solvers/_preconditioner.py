r"""A block preconditioner from the objective's curvature, shared by lbfgs and newton.

The objective offers ``curvature_block(theta)``: a small ``(n_dof, n_dof)``
matrix ``M`` such that its Hessian is close to ``M`` for every output
(``H ~ M (x) I_k``), computed on a few thousand rows. With ``D`` the square
root of its diagonal and ``D^-1 M D^-1 = L L^T`` (Cholesky), the change of
variables

.. math:: \theta = P u, \qquad P = D^{-1} L^{-T} \text{ (per output column)}

turns the objective into one whose Hessian is close to the identity, so
L-BFGS needs far fewer iterations, and ``P P^T ~ M^{-1}`` preconditions
conjugate gradient. It changes the path, never the objective: the solvers stop
on the gradient in ``theta``. Everything here is on ``(n_dof, n_dof)``
matrices, independent of the number of samples.

Beyond :data:`MAX_DOF` coefficient rows (wide sparse data: text, one-hot
features) the dense factor is out of reach, and :class:`DiagonalPreconditioner`
keeps only the diagonal of the curvature, computed on every row in one pass
(Jacobi): ``theta = D^-1 u``. It equalises the scales of the columns, which on
such data differ by orders of magnitude (a word present in half the documents
and one present in ten), at the cost of one pass over ``X``.
:func:`preconditioner_for` picks the block when it applies, else the diagonal.
"""

import numpy as np

#: Largest number of coefficient rows (``n_features + fit_intercept``) for which
#: the dense ``(n_dof, n_dof)`` factor is formed.
MAX_DOF = 2000
#: It is formed only when its one-off cost (the factorisation and inverse,
#: about ``2 n_dof^3`` multiply-adds, compute-bound) is at most this many
#: evaluations of the objective (``2 nnz(X) k`` multiply-adds, memory-bound), and
#: applying it (``2 n_dof^2 k`` per evaluation) at most a quarter of one: on
#: small or very sparse problems an evaluation is too cheap for it to pay.
SETUP_EVALUATIONS = 20
#: Nor on problems whose evaluation costs fewer multiply-adds than this: there
#: the plain coordinates are as fast, and small problems (the ones a test suite
#: compares across equivalent inputs: integer weights or repeated rows, other
#: row orders) keep the exact path they always had.
MIN_EVALUATION = 1 << 16
#: Smallest pivot of the Cholesky factor of the unit-diagonal block accepted.
#: A (nearly) singular block means a (nearly) singular Hessian, whose minimisers
#: are not unique: there the solvers keep the plain coordinates, in which the
#: iterates from zero stay in the row space of ``X`` (the minimum-norm solution).
MIN_PIVOT = 1e-10


def _round_to_bits(x, bits):
    """``x`` rounded to ``bits`` significant bits (any magnitude, no overflow)."""
    mantissa, exponent = np.frexp(x)
    return np.ldexp(np.round(mantissa * 2.0**bits) / 2.0**bits, exponent)


class BlockPreconditioner:
    """``theta = P u`` with ``P = D^-1 L^-T`` applied to each output column.

    Parameters
    ----------
    M : ndarray of shape (n_dof, n_dof)
        Symmetric positive definite curvature block; a singular or nearly
        singular one raises ``LinAlgError``.
    shape : tuple (n_dof, n_outputs)
        Shape of the coefficient matrix.
    """

    def __init__(self, M, shape):
        self.shape = shape
        # Rounded to 24 significant bits: a preconditioner needs no more, and two
        # fits of the same problem whose curvature differs only by rounding
        # (rows in another order, integer weights instead of repeated rows)
        # then get the very same P and follow the same path.
        M = _round_to_bits(np.asarray(M, dtype=np.float64), 24)
        diag = np.array(np.diag(M), dtype=np.float64)
        top = float(np.max(diag, initial=0.0))
        if not np.isfinite(top) or top <= 0:
            raise np.linalg.LinAlgError("the curvature block has no positive diagonal")
        # Columns without curvature (all zeros in the rows read) keep their scale.
        self.scale = np.sqrt(np.where(diag > 1e-12 * top, diag, top))
        scaled = M / self.scale[:, None] / self.scale[None, :]
        L = np.linalg.cholesky(scaled)  # raises LinAlgError when not positive definite
        pivots = np.diag(L) ** 2
        if not np.all(np.isfinite(L)) or np.min(pivots) < MIN_PIVOT:
            raise np.linalg.LinAlgError("the curvature block is nearly singular")
        self.L = L
        # Explicit P (upper triangular up to rounding): theta = P u and the
        # gradient g_u = P^T g use the same matrix, so they stay consistent.
        self.P = np.linalg.inv(L).T / self.scale[:, None]

    @classmethod
    def for_objective(cls, objective, theta):
        """The preconditioner at ``theta``, or None when it does not apply or fails."""
        n_dof, k = objective.shape
        if n_dof > MAX_DOF or not hasattr(objective, "curvature_block"):
            return None
        evaluation = objective.evaluation_cost
        if (
            evaluation < MIN_EVALUATION
            or 2 * n_dof**3 > SETUP_EVALUATIONS * evaluation
            or 8 * n_dof**2 * k > evaluation
        ):
            return None
        try:
            M = objective.curvature_block(theta)
            if not np.all(np.isfinite(M)):
                return None
            return cls(M, objective.shape)
        except np.linalg.LinAlgError:
            return None

    def to_theta(self, u):
        """``theta = P u`` (flat in, flat out)."""
        return (self.P @ np.reshape(u, self.shape)).ravel()

    def to_u(self, theta):
        """``u = P^-1 theta = L^T D theta``."""
        return (self.L.T @ (self.scale[:, None] * np.reshape(theta, self.shape))).ravel()

    def gradient_to_u(self, grad):
        """The gradient in ``u``: ``P^T g``."""
        return (self.P.T @ np.reshape(grad, self.shape)).ravel()

    def inverse_curvature(self, v):
        """``P P^T v``, approximately ``M^-1 v``: the preconditioner of CG."""
        return self.to_theta(self.gradient_to_u(v))


class DiagonalPreconditioner:
    """``theta = D^-1 u`` with ``D = sqrt(diag(M))`` per coefficient row (Jacobi).

    Parameters
    ----------
    diagonal : ndarray of shape (n_dof,)
        The diagonal of the curvature block; rows without curvature keep scale 1.
    shape : tuple (n_dof, n_outputs)
        Shape of the coefficient matrix.
    """

    def __init__(self, diagonal, shape):
        self.shape = shape
        diagonal = _round_to_bits(np.asarray(diagonal, dtype=np.float64), 24)
        top = float(np.max(diagonal, initial=0.0))
        if not np.isfinite(top) or top <= 0:
            raise np.linalg.LinAlgError("the curvature has no positive diagonal")
        # Columns without curvature (all zeros) are left as they are.
        self.scale = np.sqrt(np.where(diagonal > 1e-12 * top, diagonal, top))[:, None]

    @classmethod
    def for_objective(cls, objective, theta):
        """The preconditioner at ``theta``, or None when it does not apply or fails."""
        if not (
            hasattr(objective, "curvature_diagonal")
            and hasattr(objective.design, "weighted_square_sums")
            and objective.evaluation_cost >= MIN_EVALUATION
        ):
            return None
        try:
            diagonal = objective.curvature_diagonal(theta)
            if not np.all(np.isfinite(diagonal)):
                return None
            return cls(diagonal, objective.shape)
        except np.linalg.LinAlgError:
            return None

    def to_theta(self, u):
        """``theta = D^-1 u`` (flat in, flat out)."""
        return (np.reshape(u, self.shape) / self.scale).ravel()

    def to_u(self, theta):
        """``u = D theta``."""
        return (np.reshape(theta, self.shape) * self.scale).ravel()

    def gradient_to_u(self, grad):
        """The gradient in ``u``: ``D^-1 g``."""
        return (np.reshape(grad, self.shape) / self.scale).ravel()

    def inverse_curvature(self, v):
        """``D^-2 v``, approximately ``M^-1 v``."""
        return (np.reshape(v, self.shape) / self.scale**2).ravel()


def preconditioner_for(objective, theta):
    """The dense block preconditioner when it applies, else the diagonal one, else None.

    The block needs at most :data:`MAX_DOF` coefficient rows and a setup that
    pays (see :meth:`BlockPreconditioner.for_objective`); the diagonal is taken
    only for sparse ``X`` beyond that, where one pass over the stored entries
    costs about one evaluation.
    """
    block = BlockPreconditioner.for_objective(objective, theta)
    if block is not None:
        return block
    if getattr(objective.design, "is_sparse", False):
        return DiagonalPreconditioner.for_objective(objective, theta)
    return None
