"""The layering contract (``[tool.importlinter]`` in pyproject.toml): each stage imports only the stages below it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"]


def _lint(src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([*LINT, "--config", str(ROOT / "pyproject.toml"), "--no-cache"], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_every_stage_imports_only_the_stages_below_it():
    proc = _lint(ROOT / "src")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "1 kept, 0 broken" in proc.stdout


def test_an_import_from_a_lower_stage_to_a_higher_one_breaks_the_contract(tmp_path):
    shutil.copytree(ROOT / "src" / "sizeup", tmp_path / "sizeup", ignore=shutil.ignore_patterns("__pycache__"))
    zoo = tmp_path / "sizeup" / "zoo" / "__init__.py"
    zoo.write_text(zoo.read_text() + "\nfrom sizeup.report import write_report  # noqa: E402,F401\n")
    proc = _lint(tmp_path)
    assert proc.returncode != 0
    assert "sizeup.zoo is not allowed to import sizeup.report" in proc.stdout
