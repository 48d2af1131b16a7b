"""Small, fast search tasks on real data (digits), shared by the search tests."""

from __future__ import annotations

import sys
from pathlib import Path

SIZEUP = [sys.executable, "-c", "from sizeup.cli import main; main()"]


def write_task(folder: Path, name: str = "tiny", *, families=("linear", "mlp"), constraints: str = "", extra: str = "") -> Path:
    fams = ", ".join(f'"{f}"' for f in families)
    path = folder / f"{name}.toml"
    path.write_text(f"""name = "{name}"
[data]
source = "digits"
[search]
families = [{fams}]
{constraints}
{extra}
""", encoding="utf-8")
    return path
