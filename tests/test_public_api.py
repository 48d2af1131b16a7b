"""The public Python surface: the verbs DESIGN.md promises, however the user imported things."""

from __future__ import annotations

import subprocess
import sys


def test_verbs_are_plain_functions_even_after_their_packages_are_imported():
    code = (
        "import types, sizeup.selection.leaderboard, sizeup.estimation._catalog, sizeup.measurement, sizeup\n"
        "verbs = [sizeup.search, sizeup.estimate, sizeup.measure, sizeup.compress, sizeup.explain, sizeup.train, sizeup.load]\n"
        "assert all(isinstance(v, types.FunctionType) for v in verbs), verbs\n"
        "print(sizeup.estimate('gpt2', hardware='h100').params)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert int(out) > 100_000_000


def test_import_sizeup_does_not_import_heavy_optional_parts():
    code = "import sys, sizeup; print(sorted(m for m in ('torch', 'optuna', 'onnx', 'transformers') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
