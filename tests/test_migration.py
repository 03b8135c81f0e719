"""Coming from scikit-learn: the errors say what to write instead.

* An unknown ``__init__`` keyword of scikit-learn's (``C=``, ``penalty=``,
  ``eta0=``...) stays a ``TypeError``, as in scikit-learn, and quotes the row
  of the migration table for it; an invalid value of a known parameter
  (``solver="saga"``, ``learning_rate="optimal"``) stays an
  ``InvalidParameterError`` and quotes its row.
* The valid solver and schedule names are listed in registry order, the same
  in every run.
* A solver, schedule or constraint class given instead of an instance asks
  whether its instance was meant.
* ``partial_fit`` of a solver without it is an ``AttributeError`` (``hasattr``
  False) that names the solvers with it; ``partial_fit`` with
  ``early_stopping=True`` is refused, as scikit-learn's SGD refuses it.
"""

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_gd import (
    SOLVERS,
    GDLinearRegression,
    GDLogisticRegression,
    GDSoftmaxClassifier,
)
from sklearn_gd._migration import ANY, EQUIVALENTS
from sklearn_gd.constraints import NonNegative
from sklearn_gd.schedules import SCHEDULES, CosineAnnealing
from sklearn_gd.solvers import Adam, solvers_with

ESTIMATORS = [GDLinearRegression, GDLogisticRegression, GDSoftmaxClassifier]


def _data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    return X, (X[:, 0] > 0).astype(int)


def _example_value(row):
    return 1.0 if row.value is ANY else row.value


def _plain(text):
    return text.replace("``", "`")


@pytest.mark.parametrize(
    "row", [row for row in EQUIVALENTS if row.kind == "keyword"], ids=lambda r: r.parameter
)
def test_sklearn_keyword_raises_type_error_with_what_to_write(row):
    value = _example_value(row)
    for estimator in ESTIMATORS:
        with pytest.raises(TypeError) as info:
            estimator(**{row.parameter: value})
        assert _plain(row.instead) in str(info.value)
        assert f"{row.parameter}={value!r}" in str(info.value)


def test_c_and_penalty_messages_give_the_formula_and_l1_ratio():
    with pytest.raises(TypeError, match=r"alpha = 1 / \(C \* n_samples\)"):
        GDLogisticRegression(C=1.0)
    with pytest.raises(TypeError, match="l1_ratio=1") as info:
        GDLogisticRegression(penalty="l1")
    assert '`solver="cd"`' in str(info.value)
    with pytest.raises(TypeError, match=r"InverseScaling\(power_t=power_t\)"):
        GDLogisticRegression(power_t=0.5)


@pytest.mark.parametrize(
    "row",
    [row for row in EQUIVALENTS if row.kind == "value" and row.value is not ANY],
    ids=lambda r: f"{r.parameter}={r.value}",
)
def test_sklearn_value_raises_invalid_parameter_with_what_to_write(row):
    X, y = _data()
    with pytest.raises(InvalidParameterError) as info:
        GDLogisticRegression(**{row.parameter: row.value}).fit(X, y)
    assert _plain(row.instead) in str(info.value)
    assert f"Got {row.value!r} instead" in str(info.value)


def test_valid_solvers_and_schedules_are_listed_in_registry_order():
    X, y = _data()
    with pytest.raises(InvalidParameterError) as info:
        GDLogisticRegression(solver="no-such-solver").fit(X, y)
    assert "{" + ", ".join(map(repr, SOLVERS)) + "}" in str(info.value)
    with pytest.raises(InvalidParameterError) as info:
        GDLogisticRegression(schedule="no-such-schedule").fit(X, y)
    assert "{" + ", ".join(map(repr, SCHEDULES)) + "}" in str(info.value)


@pytest.mark.parametrize(
    "name, cls", [("solver", Adam), ("schedule", CosineAnnealing), ("constraint", NonNegative)]
)
def test_class_instead_of_instance_asks_for_the_instance(name, cls):
    X, y = _data()
    with pytest.raises(InvalidParameterError, match=rf"did you mean `{cls.__name__}\(\)`"):
        GDLogisticRegression(**{name: cls}).fit(X, y)


def test_partial_fit_attribute_error_names_the_solvers_that_have_it():
    solver = next(name for name, cls in SOLVERS.items() if not cls.supports_partial_fit)
    X, y = _data()
    model = GDLogisticRegression(solver=solver)
    assert not hasattr(model, "partial_fit")
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as info:
        model.partial_fit(X, y, classes=[0, 1])
    assert ", ".join(solvers_with("supports_partial_fit")) in str(info.value)
    assert f"solver={solver!r}" in str(info.value)


def test_partial_fit_refuses_early_stopping_as_sklearn_sgd_does():
    X, y = _data()
    solver = solvers_with("supports_partial_fit")[0]
    model = GDLogisticRegression(solver=solver, early_stopping=True)
    with pytest.raises(ValueError, match="early_stopping"):
        model.partial_fit(X, y, classes=[0, 1])
    assert not hasattr(model, "coef_")
    GDLinearRegression(solver=solver).partial_fit(X, y.astype(float))
