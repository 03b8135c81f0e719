"""scikit-learn's estimator checks for every estimator with every solver.

Run with pandas installed and ``SCIPY_ARRAY_API=1`` so that no check is
skipped; there are no expected failures.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_gd import (
    SOLVERS,
    Adam,
    GDLinearRegression,
    GDLogisticRegression,
    GDSoftmaxClassifier,
    Momentum,
)

ESTIMATORS = [GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier]

INSTANCES = [cls(solver=solver) for cls in ESTIMATORS for solver in SOLVERS] + [
    GDLinearRegression(solver=Momentum(momentum=0.5, nesterov=True)),
    GDLogisticRegression(solver=Adam(beta_1=0.8)),
    GDSoftmaxClassifier(solver=Adam(beta_1=0.8)),
]


@parametrize_with_checks(INSTANCES)
def test_sklearn_compatible(estimator, check):
    check(estimator)
