"""What every solver's ``minimize`` shares: why it stopped (``SolverResult.reason``).

Each registered solver, from :data:`sklearn_gd.SOLVERS`, is run three ways on a
small logistic problem: capped by ``max_iter``, to convergence, and stopped by
its callback; the reason each run reports is pinned.
"""

import numpy as np
import pytest
from conftest import classification_data

from sklearn_gd import SOLVERS
from sklearn_gd._data import Design
from sklearn_gd._loss import LogisticLoss
from sklearn_gd._objective import Objective
from sklearn_gd._penalty import ElasticNetPenalty
from sklearn_gd.solvers import SolverResult, StopReason, solvers_with

REPORTING = solvers_with("reports_iterates")


def logistic_objective():
    X, y = classification_data(0, 60, 3, 2)[:2]
    Y = y.astype(np.float64)[:, None]
    return Objective(
        Design(X, True), LogisticLoss(), Y, np.ones(len(y)), ElasticNetPenalty(0.05, 0.0)
    )


def run(name, **settings):
    objective = logistic_objective()
    return SOLVERS[name]().minimize(objective, np.zeros(objective.n_coef), **settings)


@pytest.mark.parametrize("name", list(SOLVERS))
def test_a_run_capped_by_max_iter_says_so(name):
    result = run(name, max_iter=2, tol=1e-14)
    assert result.reason is StopReason.MAX_ITER
    assert not result.converged
    assert result.n_iter == 2


@pytest.mark.parametrize("name", list(SOLVERS))
def test_a_converged_run_says_so(name):
    result = run(name, max_iter=5000, tol=1e-3)
    assert result.reason is StopReason.CONVERGED
    assert result.converged
    assert result.n_iter < 5000


@pytest.mark.parametrize("name", REPORTING)
def test_a_run_its_callback_stopped_says_so(name):
    calls = []

    def stop_at_the_second(theta):
        calls.append(np.array(theta))
        return len(calls) == 2

    result = run(name, max_iter=5000, tol=1e-14, callback=stop_at_the_second)
    assert result.reason is StopReason.CALLBACK
    assert result.converged  # a callback's stop counts as converged (early stopping)
    assert len(calls) == 2 and result.n_iter == 2


def test_converged_is_the_reasons():
    assert {reason for reason in StopReason if reason.converged} == {
        StopReason.CONVERGED,
        StopReason.CALLBACK,
    }
    coef = np.zeros(2)
    with pytest.raises(ValueError, match="disagrees"):
        SolverResult(coef, 1, True, 0.0, reason=StopReason.MAX_ITER)
    with pytest.raises(TypeError, match="StopReason"):
        SolverResult(coef, 1, False, 0.0)
