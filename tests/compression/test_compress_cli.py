"""``sizeup compress`` end to end: a before/after table or JSON; bad input is one line and exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SIZEUP = [sys.executable, "-c", "from sizeup.cli import main; main()"]


def _run(*args):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # one thread, like the one_thread fixture: steady on a shared machine
    return subprocess.run([*SIZEUP, "compress", *map(str, args)], capture_output=True, text=True, timeout=120, env=env)


def test_compress_prints_before_and_after_figures_as_json(trained, tmp_path):
    proc = _run(trained, "--method", "int8", "--out", tmp_path / "q", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    (result,) = doc["results"]
    assert [r["name"] for r in result["rows"]] == ["before", "onnx float (reference)", "after (int8)"]
    assert result["speedup"] > 0 and result["size_ratio"] > 1


def test_compress_table_names_every_row(trained, tmp_path):
    proc = _run(trained, "-m", "prune:0.5,epochs=1", "--out", tmp_path / "p")
    assert proc.returncode == 0, proc.stderr
    assert "before" in proc.stdout and "after (prune" in proc.stdout, proc.stdout
    assert "prune:0.5,epochs=1: batch-1 latency" in proc.stdout and "smaller" in proc.stdout


def test_bad_method_and_missing_folder_fail_with_one_line(trained, tmp_path):
    for args in ((trained, "-m", "int9"), (tmp_path / "nope", "-m", "int8"), (trained, "-m", "int8", "-m", "prune:0.5", "--out", tmp_path)):
        proc = _run(*args)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and proc.stderr.strip().count("\n") == 0 and "error:" in proc.stderr
