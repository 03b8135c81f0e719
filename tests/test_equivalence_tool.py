"""benchmarks/equivalence.py: two records of the same code compare identical; a change is found."""

import importlib.util
import io
import json
from pathlib import Path

import numpy as np
import pytest

from sklearn_gd import SOLVERS

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "equivalence.py"


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("benchmark_equivalence", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def subset(tool):
    """A few fits of every block (dask, sparse, float32, options), a refusal, partial fits."""
    fits = tool.grid(list(SOLVERS))
    smooth = next(name for name, cls in SOLVERS.items() if not cls.supports_l1)
    online = next(name for name, cls in SOLVERS.items() if cls.supports_partial_fit)
    refused = next(
        (block, spec)
        for block, spec in fits
        if block == "penalty" and spec["solver"] == smooth and spec["l1_ratio"] > 0
    )
    partial = next(
        fit for fit in fits if fit[1]["option"] == "partial_fit" and fit[1]["solver"] == online
    )
    return tool.quick_grid(fits, n_fits=12) + [refused, partial]


@pytest.fixture(scope="module")
def records(tool, subset, tmp_path_factory):
    folder = tmp_path_factory.mktemp("equivalence")
    paths = folder / "first.npz", folder / "second.npz"
    for path in paths:
        tool.record(path, fits=subset)
    return paths


def test_grid_covers_every_solver_estimator_input_and_dtype(tool):
    specs = [spec for _, spec in tool.grid(list(SOLVERS))]
    assert {s["solver"] for s in specs} >= set(SOLVERS)
    assert {s["estimator"] for s in specs} == set(tool.ESTIMATORS)
    assert {s["input"] for s in specs} == {"C", "F", "csr", "csc", "dask"}
    assert {s["dtype"] for s in specs} == {"float64", "float32"}
    keys = [tool.fit_key(s) for s in specs]
    assert len(set(keys)) == len(keys) > 500


def test_two_records_of_the_same_code_are_identical(tool, subset, records):
    out = io.StringIO()
    counts = tool.compare(*records, out=out)
    assert counts == {"identical": len(subset), "within": 0, "different": 0, "missing": 0}
    assert not tool.failed(counts)
    meta, fits = tool.load(records[0])
    assert {entry["block"] for entry, _ in fits.values()} == {
        "core",
        "penalty",
        "object",
        "option",
        "dask",
    }
    assert all("coef_" in arrays or entry["error"] for entry, arrays in fits.values())
    assert any(entry["error"] for entry, _ in fits.values())
    assert any(entry["warnings"] for entry, _ in fits.values())
    partial = [arrays for key, (_, arrays) in fits.items() if "option=partial_fit" in key]
    assert partial and "coef_" in partial[0]


def _edited_copy(source, target, edit):
    """Write ``source`` to ``target`` after ``edit(meta, arrays)``; return what it returns."""
    with np.load(source) as f:
        arrays = dict(f)
    meta = json.loads(str(arrays.pop("meta")))
    result = edit(meta, arrays)
    np.savez(target, meta=np.array(json.dumps(meta)), **arrays)
    return result


def _scale_first_coef(factor):
    def edit(meta, arrays):
        index = next(i for i, entry in enumerate(meta["fits"]) if entry["error"] is None)
        arrays[f"{index}:coef_"] = arrays[f"{index}:coef_"] * factor
        return meta["fits"][index]["key"]

    return edit


def test_a_changed_coefficient_is_reported_and_fails(tool, records, tmp_path):
    changed = _edited_copy(records[0], tmp_path / "changed.npz", _scale_first_coef(1 + 1e-6))
    out = io.StringIO()
    counts = tool.compare(records[0], tmp_path / "changed.npz", out=out)
    assert counts["different"] == 1 and tool.failed(counts)
    assert f"different  {changed}  [coef_ " in out.getvalue()
    assert tool.main(["compare", str(records[0]), str(tmp_path / "changed.npz")]) == 1


def test_a_rounding_level_change_is_within_tolerance(tool, records, tmp_path):
    _edited_copy(records[0], tmp_path / "rounded.npz", _scale_first_coef(1 + 1e-14))
    counts = tool.compare(records[0], tmp_path / "rounded.npz", out=io.StringIO())
    assert counts["within"] == 1 and counts["different"] == 0 and not tool.failed(counts)
    assert tool.main(["compare", str(records[0]), str(tmp_path / "rounded.npz")]) == 0


def test_a_changed_warning_or_exception_fails(tool, records, tmp_path):
    def edit(meta, arrays):
        warned = next(entry for entry in meta["fits"] if entry["warnings"])
        warned["warnings"] = []
        raised = next(entry for entry in meta["fits"] if entry["error"])
        raised["error"] = ["TypeError", raised["error"][1]]

    _edited_copy(records[0], tmp_path / "messages.npz", edit)
    counts = tool.compare(records[0], tmp_path / "messages.npz", out=io.StringIO())
    assert counts["different"] == 2 and tool.failed(counts)


def test_a_missing_fit_fails(tool, records, tmp_path):
    _edited_copy(records[0], tmp_path / "fewer.npz", lambda meta, arrays: meta["fits"].pop())
    counts = tool.compare(records[0], tmp_path / "fewer.npz", out=io.StringIO())
    assert counts["missing"] == 1 and tool.failed(counts)
