"""A tiny tabular task (a CSV the tests write) that DP-SGD trains in about a second."""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROWS = 600  # 432 training rows after the default 20 % test and 10 % validation splits


def write_table(folder: Path, *, rows: int = ROWS, seed: int = 0) -> Path:
    """Three Gaussian classes in 6 dimensions, well apart: learnable in a few private epochs."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, rows)
    centers = rng.normal(0, 2.0, (3, 6))
    x = centers[y] + rng.normal(0, 1.0, (rows, 6))
    path = folder / "blobs.csv"
    lines = ["a,b,c,d,e,f,label"] + [",".join(f"{v:.4f}" for v in row) + f",{c}" for row, c in zip(x, y)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_task(folder: Path, *, privacy: str = "epsilon = 2.0", train: str = "epochs = 3\nbatch_size = 64") -> Path:
    write_table(folder)
    path = folder / "blobs.toml"
    path.write_text(f'name = "blobs"\n[data]\nsource = "blobs.csv"\n[train]\n{train}\n[privacy]\n{privacy}\n',
                    encoding="utf-8")
    return path
