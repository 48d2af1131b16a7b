"""The public Python surface: the verbs DESIGN.md promises, however the user imported things."""

from __future__ import annotations

import subprocess
import sys


def test_verbs_stay_callable_after_their_submodules_are_imported():
    code = (
        "import sizeup.search.leaderboard, sizeup.estimate._catalog, sizeup.measure, sizeup\n"
        "assert callable(sizeup.search) and callable(sizeup.estimate) and callable(sizeup.measure)\n"
        "assert callable(sizeup.train) and callable(sizeup.load)\n"
        "print(sizeup.estimate('gpt2', hardware='h100').params)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert int(out) > 100_000_000


def test_import_sizeup_does_not_import_heavy_optional_parts():
    code = "import sys, sizeup; print(sorted(m for m in ('torch', 'optuna', 'onnx', 'transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
