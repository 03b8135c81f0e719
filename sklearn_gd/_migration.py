"""Coming from scikit-learn: scikit-learn's parameters and what to write instead.

One table, :data:`EQUIVALENTS`, read by the estimators' errors (an unknown
``__init__`` keyword such as ``C=``, an invalid value such as
``solver="saga"``, see :func:`advice`) and by the documentation's page "Coming
from scikit-learn", which prints the whole table. The rows of kind
``"meaning"`` are parameters both libraries accept whose scale or default
differs: they never raise, the page lists them.

This module belongs to the estimator layer; it reads the solver registry's
capability flags so that the solvers it names stay true.
"""

from dataclasses import dataclass

from .solvers import solvers_with

#: ``value`` of a row that applies whatever the value.
ANY = "<any value>"


@dataclass(frozen=True)
class Equivalent:
    """One row: a scikit-learn parameter (or value of it) and what to write instead.

    Attributes
    ----------
    parameter : str
        The scikit-learn parameter name (``"C"``, ``"solver"``).
    value : object
        The value the row is about, or :data:`ANY`.
    estimators : str
        The scikit-learn estimators that take it.
    instead : str
        What to write instead, in reStructuredText (literals in double backquotes).
    kind : str
        ``"keyword"``: the parameter does not exist here (``__init__`` raises
        ``TypeError``); ``"value"``: the parameter exists but not that value
        (``fit`` raises ``InvalidParameterError``); ``"meaning"``: both
        accept it, with another scale or default (documentation only).
    """

    parameter: str
    value: object
    estimators: str
    instead: str
    kind: str = "keyword"

    def matches(self, parameter, value):
        """Whether this row is about ``parameter=value`` (exactly, not through :data:`ANY`)."""
        if self.parameter != parameter or self.value is ANY:
            return False
        return type(self.value) is type(value) and self.value == value


def _literals(names):
    return ", ".join(f'``"{name}"``' for name in names)


_L1 = _literals(solvers_with("supports_l1"))
_STOCHASTIC = _literals(solvers_with("stochastic"))
_LOGISTIC = "LogisticRegression"
_SGD = "SGDClassifier, SGDRegressor"
_NO_LOSS = (
    "no ``loss=``: the estimator is the loss: ``GDLinearRegression`` (squared error), "
    "``GDLogisticRegression`` (log loss, one-vs-rest) or ``GDSoftmaxClassifier`` "
    "(multinomial log loss)"
)

#: The table, in the order the documentation prints it.
EQUIVALENTS = (
    Equivalent(
        "C",
        ANY,
        f"{_LOGISTIC}, LinearSVC",
        "``alpha = 1 / (C * n_samples)`` (``n_samples``: the sum of the sample weights "
        "when given): ``LogisticRegression()``'s ``C=1.0`` is ``alpha=1 / n_samples``",
    ),
    Equivalent("penalty", "l2", f"{_LOGISTIC}, {_SGD}", "``l1_ratio=0`` (the default)"),
    Equivalent(
        "penalty",
        "l1",
        f"{_LOGISTIC}, {_SGD}",
        f'``l1_ratio=1`` with a solver that handles L1: ``solver="cd"`` or ``"ista"`` '
        f"(all of them: {_L1})",
    ),
    Equivalent(
        "penalty",
        "elasticnet",
        f"{_LOGISTIC}, {_SGD}",
        '``0 < l1_ratio < 1`` (the same ``l1_ratio``) with ``solver="cd"`` or ``"ista"``',
    ),
    Equivalent("penalty", None, f"{_LOGISTIC}, {_SGD}", "``alpha=0``"),
    Equivalent(
        "penalty",
        ANY,
        f"{_LOGISTIC}, {_SGD}",
        "``l1_ratio`` sets the kind of penalty: 0 for L2, 1 for L1, in between for "
        "elastic net; ``alpha`` its strength",
    ),
    Equivalent(
        "loss",
        "log_loss",
        "SGDClassifier",
        '``GDLogisticRegression(solver="sgd")`` (or ``GDSoftmaxClassifier`` for a '
        "multinomial model): the estimator is the loss",
    ),
    Equivalent(
        "loss", "squared_error", "SGDRegressor", '``GDLinearRegression(solver="sgd")``'
    ),
    Equivalent(
        "loss", ANY, _SGD, _NO_LOSS + "; hinge, huber and the other losses have no equivalent"
    ),
    Equivalent(
        "learning_rate",
        "optimal",
        _SGD,
        '``learning_rate="auto"`` (the default: ``1 / L`` from a Lipschitz estimate, '
        "no tuning) with the default ``\"adaptive\"`` schedule; scikit-learn's "
        "``1 / (alpha (t + t0))`` has no equivalent",
        "value",
    ),
    Equivalent(
        "learning_rate",
        "invscaling",
        _SGD,
        "``learning_rate=eta0, schedule=InverseScaling(power_t=power_t)`` "
        "(``sklearn_gd.schedules``; per epoch, ``PerUpdate(InverseScaling(power_t))`` "
        "per mini-batch)",
        "value",
    ),
    Equivalent(
        "learning_rate",
        "constant",
        _SGD,
        '``learning_rate=eta0, schedule="constant"``',
        "value",
    ),
    Equivalent(
        "learning_rate",
        "adaptive",
        _SGD,
        '``learning_rate=eta0, schedule="adaptive"`` (divided by 5 on each plateau of '
        "``n_iter_no_change`` epochs, as scikit-learn's)",
        "value",
    ),
    Equivalent(
        "learning_rate",
        ANY,
        _SGD,
        '``learning_rate`` is the initial step size itself (a float, or ``"auto"``); '
        "how it changes is ``schedule=``",
        "value",
    ),
    Equivalent(
        "eta0",
        ANY,
        f"{_SGD}, Perceptron",
        "``learning_rate=eta0`` (a float: the step size; its decay is ``schedule=``)",
    ),
    Equivalent(
        "learning_rate_init", ANY, "MLPClassifier, MLPRegressor", "``learning_rate=``"
    ),
    Equivalent(
        "power_t",
        ANY,
        _SGD,
        "``schedule=InverseScaling(power_t=power_t)`` (``sklearn_gd.schedules``)",
    ),
    Equivalent(
        "shuffle",
        ANY,
        _SGD,
        f"nothing: the mini-batch solvers ({_STOCHASTIC}) reshuffle the rows every "
        "epoch, seeded by ``random_state``; there is no ``shuffle=False``",
    ),
    Equivalent(
        "multi_class",
        "multinomial",
        _LOGISTIC,
        "``GDSoftmaxClassifier``",
    ),
    Equivalent(
        "multi_class",
        "ovr",
        _LOGISTIC,
        "``GDLogisticRegression`` (one-vs-rest for more than two classes)",
    ),
    Equivalent(
        "multi_class",
        ANY,
        _LOGISTIC,
        "the estimator: ``GDSoftmaxClassifier`` (multinomial) or "
        "``GDLogisticRegression`` (one-vs-rest)",
    ),
    Equivalent(
        "n_jobs",
        ANY,
        f"{_LOGISTIC}, {_SGD}, LinearRegression",
        "nothing: the work is matrix products, threaded by NumPy's BLAS; limit its "
        "threads with ``threadpoolctl.threadpool_limits``",
    ),
    Equivalent("dual", ANY, f"{_LOGISTIC}, LinearSVC", "nothing: the primal problem is solved"),
    Equivalent(
        "intercept_scaling",
        ANY,
        f"{_LOGISTIC}, LinearSVC",
        "nothing: the intercept is never penalised",
    ),
    Equivalent(
        "copy_X",
        ANY,
        "LinearRegression, Ridge, Lasso, ElasticNet",
        "nothing: the caller's arrays are never modified",
    ),
    Equivalent(
        "selection",
        ANY,
        "Lasso, ElasticNet",
        '``solver="cd"`` (working-set coordinate descent; no random order)',
    ),
    Equivalent(
        "solver",
        "saga",
        f"{_LOGISTIC}, Ridge",
        '``solver="cd"`` or ``"ista"`` for L1 and elastic net; ``"sgd"`` or ``"adam"`` '
        "for a stochastic method",
        "value",
    ),
    Equivalent(
        "solver",
        "sag",
        f"{_LOGISTIC}, Ridge",
        '``solver="sgd"`` (stochastic) or ``"lbfgs"``',
        "value",
    ),
    Equivalent(
        "solver",
        "liblinear",
        _LOGISTIC,
        '``solver="cd"`` for L1 (coordinate descent, as liblinear), ``"lbfgs"`` or '
        '``"newton"`` for L2',
        "value",
    ),
    Equivalent(
        "solver",
        "newton-cg",
        _LOGISTIC,
        '``solver="trust-region"`` (Newton-CG in a trust region) or '
        '``solver=Newton(inner_solver="cg")``',
        "value",
    ),
    Equivalent(
        "solver",
        "newton-cholesky",
        _LOGISTIC,
        '``solver="newton"`` (Cholesky on the Hessian up to ``max_cholesky_coef`` '
        "coefficients)",
        "value",
    ),
    Equivalent(
        "solver",
        "svd",
        "Ridge",
        '``solver="newton"`` (one Cholesky solve for squared loss) or ``"lbfgs"``',
        "value",
    ),
    Equivalent(
        "solver",
        "cholesky",
        "Ridge",
        '``solver="newton"`` (one Cholesky solve for squared loss) or ``"lbfgs"``',
        "value",
    ),
    Equivalent(
        "solver",
        "lsqr",
        "Ridge",
        '``solver="lbfgs"`` or ``solver=Newton(inner_solver="cg")`` (Hessian-vector '
        "products, no Hessian formed)",
        "value",
    ),
    Equivalent(
        "solver",
        "sparse_cg",
        "Ridge",
        '``solver="lbfgs"`` or ``solver=Newton(inner_solver="cg")``',
        "value",
    ),
    Equivalent("solver", "auto", "Ridge", '``solver="lbfgs"`` (the default)', "value"),
    Equivalent(
        "alpha",
        "Ridge(alpha=a)",
        "Ridge",
        "``GDLinearRegression(alpha=a / n_samples)``: Ridge does not divide the squared "
        "error by ``n_samples``; ``Ridge()`` is ``alpha=1 / n_samples``",
        "meaning",
    ),
    Equivalent(
        "alpha",
        "Lasso(alpha=a), ElasticNet(alpha=a)",
        "Lasso, ElasticNet",
        '``GDLinearRegression(alpha=a, l1_ratio=1, solver="cd")`` (or the elastic net\'s '
        "``l1_ratio``): the same objective",
        "meaning",
    ),
    Equivalent(
        "alpha",
        "SGDClassifier(alpha=a)",
        _SGD,
        "the same ``alpha`` (both default to ``1e-4``)",
        "meaning",
    ),
    Equivalent(
        "alpha",
        "default",
        _LOGISTIC,
        "``GDLogisticRegression()``'s ``alpha=1e-4`` is ``C = 1 / (1e-4 n_samples)``, a "
        "far weaker penalty than ``LogisticRegression()``'s ``C=1``: write "
        "``alpha=1 / n_samples`` for the same model",
        "meaning",
    ),
    Equivalent(
        "alpha",
        "LinearRegression()",
        "LinearRegression",
        "``GDLinearRegression()`` (``alpha=0``): it is LinearRegression, not ``Ridge()``",
        "meaning",
    ),
    Equivalent(
        "max_iter",
        "default",
        f"{_LOGISTIC}, {_SGD}",
        "``1000`` iterations (full-batch solvers) or epochs (mini-batch solvers); "
        "LogisticRegression's default is 100, SGD's 1000 epochs",
        "meaning",
    ),
    Equivalent(
        "tol",
        "default",
        f"{_LOGISTIC}, {_SGD}",
        "``1e-4`` on the largest entry of the gradient (full-batch solvers) or on the "
        "epoch's objective change (mini-batch solvers); SGD's default is ``1e-3`` on "
        "its loss; ``tol=None`` means no tolerance stop in both",
        "meaning",
    ),
)


def advice(parameter, value):
    """What to write instead of scikit-learn's ``parameter=value``, or None.

    Parameters
    ----------
    parameter : str
        A parameter name.
    value : object
        Its value.

    Returns
    -------
    str or None
        The row's advice for exactly that value, else for any value of the
        parameter, as plain text (single backquotes); None without a row.
    """
    rows = [row for row in EQUIVALENTS if row.kind != "meaning" and row.parameter == parameter]
    exact = [row for row in rows if row.matches(parameter, value)]
    general = [row for row in rows if row.value is ANY]
    for row in exact + general:
        return f"for scikit-learn's {parameter}={value!r} ({row.estimators}) write " + (
            row.instead.replace("``", "`")
        )
    return None
