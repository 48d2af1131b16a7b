"""The benchmark runner executes and regenerates its doc (a smoke check: no figure here is a result).

The full ``benchmarks/run.py --quick`` takes a few minutes on 2 busy cores, more than this suite should spend,
so the test runs a subset of its cases (latency and estimate_memory, the quickest) into a temporary folder;
``python benchmarks/run.py --quick`` runs them all. Neither test touches docs/ or benchmarks/results/.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "benchmarks" / "run.py"
SUBSET = ["latency", "estimate_memory"]


def _run(*args: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUNNER), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.slow
def test_quick_run_of_a_subset_writes_each_case_json_and_the_doc(tmp_path):
    doc = tmp_path / "doc" / "benchmarks.md"
    proc = _run("--quick", "--only", ",".join(SUBSET), "--results-dir", str(tmp_path / "results"), "--doc", str(doc),
                timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for name in SUBSET:
        payload = json.loads((tmp_path / "results" / f"{name}-quick.json").read_text())
        assert payload["command"].startswith("python benchmarks/run.py")
        assert payload["machine"]["versions"]["torch"]
        assert payload["summary"] and all({"figure", "value", "bar", "met"} <= set(r) for r in payload["summary"])
    text = doc.read_text()
    assert "quick smoke run" in text and "## Summary" in text
    assert "sizeup.measure / torch.utils.benchmark.Timer" in text
    assert "Not run yet" in text  # the cases left out of --only are listed, not invented


def test_doc_only_renders_every_existing_result_without_running(tmp_path):
    doc = tmp_path / "benchmarks.md"
    proc = _run("--doc-only", "--doc", str(doc), timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = doc.read_text()
    for name in ("train_loop", "time_to_accuracy", "search_bars", "search_efficiency"):
        if (ROOT / "benchmarks" / "results" / f"{name}.json").is_file():
            assert f'<a id="{name.replace("_", "-")}"></a>' in text
            assert f"Not run yet: `python benchmarks/run.py --only {name}`" not in text


def test_only_rejects_an_unknown_case_and_names_the_known_ones(tmp_path):
    proc = _run("--only", "nope", "--results-dir", str(tmp_path), "--doc", str(tmp_path / "d.md"), timeout=60)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "unknown case(s) nope" in proc.stderr and "train_loop" in proc.stderr


def _latency_results(folder: Path, scale: float) -> None:
    """A copy of the recorded latency case with sizeup's timings scaled by ``scale`` (its ratios move with it)."""
    payload = json.loads((ROOT / "benchmarks" / "results" / "latency.json").read_text())
    for model in payload["models"].values():
        model["sizeup_ms"] = [v * scale for v in model["sizeup_ms"]]
        model["ratio_of_medians"] *= scale
    folder.mkdir(parents=True)
    (folder / "latency.json").write_text(json.dumps(payload))


@pytest.mark.parametrize(("scale", "within"), [(1.1, True), (1.3, False)])
def test_compare_checks_every_ratio_of_a_second_run_within_20_percent(tmp_path, scale, within):
    _latency_results(tmp_path / "first", 1.0)
    _latency_results(tmp_path / "second", scale)
    doc = tmp_path / "benchmarks.md"
    proc = _run("--doc-only", "--results-dir", str(tmp_path / "first"), "--compare", str(tmp_path / "second"),
                "--doc", str(doc), timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rep = json.loads((tmp_path / "first" / "reproduction.json").read_text())
    latency = [r for r in rep["rows"] if r["case"] == "latency"]
    assert len(latency) == 3 and all(abs(r["change"] - (scale - 1)) < 1e-9 for r in latency)
    assert rep["all_within"] is within and "train_loop" in rep["missing"]
    # 1.3x takes sizeup.measure / Timer outside its own ±10 % bar: the three verdicts flip, and the doc lists them
    assert len(rep["flipped"]) == (0 if within else 3)
    text = doc.read_text()
    assert "## Reproduction: a second run" in text
    assert f"**3 of 3 ratios within ±20 %** (met)" in text if within else "**0 of 3 ratios within ±20 %**" in text
    assert ("machine's speed): none." in text) is within


def test_compare_names_a_missing_folder_and_the_command_that_fills_it(tmp_path):
    proc = _run("--doc-only", "--compare", str(tmp_path / "nope"), "--doc", str(tmp_path / "d.md"), timeout=120)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "is not a folder of results" in proc.stderr and "--results-dir" in proc.stderr
