"""The ``sizeup`` command run for real, as a user runs it, and the check of the one-line error it must give."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SIZEUP = Path(sys.executable).parent / "sizeup"
CMD = [str(SIZEUP)] if SIZEUP.exists() else [sys.executable, "-c", "from sizeup.cli import main; main()"]


def run(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([*CMD, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


def assert_one_line_error(proc: subprocess.CompletedProcess, *words: str) -> str:
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert "Traceback" not in proc.stderr
    assert len(err.splitlines()) == 1, err
    assert err.startswith("error:")
    for w in words:
        assert w in err, err
    return err
