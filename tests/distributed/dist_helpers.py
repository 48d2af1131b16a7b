"""Small real tasks and the sizeup command, shared by the distributed tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SIZEUP = [sys.executable, "-c", "from sizeup.cli import main; main()"]


def write_task(folder: Path, name: str = "dist", families=("linear", "mlp")) -> Path:
    fams = ", ".join(f'"{f}"' for f in families)
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\n[data]\nsource = "digits"\n[search]\nfamilies = [{fams}]\n', encoding="utf-8")
    return path


def run_cli(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([*SIZEUP, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr[-2000:]
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error:") and "Traceback" not in err, err
    return err
