"""The demo (``python -m sklearn_gd.demo``): every row converges, with one BLAS thread."""

import pytest
from threadpoolctl import threadpool_info

from sklearn_gd import SOLVERS, demo


def _rows(out):
    """The table's rows: those naming a case's estimator and data set."""
    (_, estimator_width, _), (_, dataset_width, _) = demo.COLUMNS[:2]
    starts = tuple(
        f"{cls.__name__:<{estimator_width}}  {dataset:<{dataset_width}}"
        for cls, dataset, _ in demo.CASES
    )
    return [line for line in out.splitlines() if line.startswith(starts)]


@pytest.mark.slow
def test_every_row_of_the_demo_converges(capsys):
    """Each solver with the settings the demo gives it meets its stopping criterion:
    a ``warn`` (ConvergenceWarning) or ``diverged`` row fails."""
    demo.main()
    out = capsys.readouterr().out
    rows = _rows(out)
    assert len(rows) == len(demo.CASES) * len(SOLVERS)
    stopped_short = [row for row in rows if not row.endswith("  ok")]
    assert not stopped_short, "\n".join(stopped_short)
    assert demo.ADVICE.split()[0] in out
    assert "BLAS threads: 1" in out


def test_demo_fits_with_one_blas_thread_and_says_so(monkeypatch, capsys):
    threads = []

    def fake_fit(estimator_class, solver, *data):
        threads.append({info["num_threads"] for info in threadpool_info()
                        if info["user_api"] == "blas"})  # fmt: skip
        return [solver, "1.0", 1, "0.1", "0.5", "ok"]

    monkeypatch.setattr(demo, "fit_one", fake_fit)
    demo.main()
    out = capsys.readouterr().out
    assert len(_rows(out)) == len(demo.CASES) * len(SOLVERS)
    assert all(found <= {1} for found in threads)
    assert "BLAS threads: 1 (threadpoolctl.threadpool_limits)" in out
    assert out.rstrip().endswith(demo.ADVICE.split()[-1])


def test_first_order_solvers_get_more_iterations_and_sgd_tolerance():
    for name, cls in SOLVERS.items():
        settings = demo.solver_settings(name)
        assert settings["random_state"] == 0
        assert ("max_iter" in settings) == cls.uses_schedule
