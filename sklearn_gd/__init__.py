"""sklearn-gd: scikit-learn linear models trained by the optimiser you choose.

Estimators: :class:`GDLinearRegression`, :class:`GDLogisticRegression`,
:class:`GDSoftmaxClassifier`. Solvers (by name or as objects): see
:mod:`sklearn_gd.solvers`; learning-rate schedules: :mod:`sklearn_gd.schedules`;
loss-curve plots (matplotlib optional): :class:`LossCurveDisplay`.
"""

from .exceptions import DivergenceError, NoCurvatureBoundError
from .linear_regression import GDLinearRegression
from .logistic import GDLogisticRegression
from .plotting import LossCurveDisplay
from .softmax import GDSoftmaxClassifier
from .solvers import (
    ADMM,
    BFGS,
    ISTA,
    LBFGS,
    SGD,
    SOLVERS,
    AdaGrad,
    Adam,
    AdamW,
    CoordinateDescent,
    GradientDescent,
    Momentum,
    Newton,
    RMSProp,
    TrustRegion,
)

__version__ = "0.1.0"

__all__ = [
    "SOLVERS",
    "ADMM",
    "BFGS",
    "ISTA",
    "LBFGS",
    "SGD",
    "AdaGrad",
    "Adam",
    "AdamW",
    "CoordinateDescent",
    "DivergenceError",
    "GDLinearRegression",
    "GDLogisticRegression",
    "GDSoftmaxClassifier",
    "GradientDescent",
    "LossCurveDisplay",
    "Momentum",
    "Newton",
    "NoCurvatureBoundError",
    "RMSProp",
    "TrustRegion",
]
