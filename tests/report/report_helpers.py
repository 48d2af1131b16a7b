"""Real, tiny runs for the report tests: a mnist1d search (signals) and a text search whose class names,
column names and texts try to break out of the HTML."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SIZEUP = [sys.executable, "-c", "from sizeup.cli import main; main()"]
EVIL = "<script>alert(1)</script>"


def mnist1d_task(folder: Path) -> Path:
    path = folder / "m1d.toml"
    path.write_text("""name = "m1d"
[data]
source = "mnist1d"
[budget]
trials = 2
[constraints]
max_params = 200_000
[search]
families = ["linear", "transformer"]
[train]
epochs = 1
""", encoding="utf-8")
    return path


def evil_text_task(folder: Path) -> Path:
    """Short texts whose second class is named ``<script>alert(1)</script>``; the text column too."""
    rng = np.random.default_rng(0)
    words = ["good", "fine", "bad", "awful"]
    rows = []
    for i in range(240):
        label = i % 2
        text = " ".join(rng.choice(words[2 * label : 2 * label + 2], size=3)) + (" </script><b>x" if i % 7 == 0 else "")
        rows.append({EVIL: text, "label": ["ok", EVIL][label]})
    pd.DataFrame(rows).to_csv(folder / "evil.csv", index=False)
    path = folder / "evil.toml"
    path.write_text(f"""name = "evil"
[data]
source = "evil.csv"
text = "{EVIL}"
max_length = 32
[budget]
trials = 1
[search]
families = ["transformer"]
""", encoding="utf-8")
    return path
