"""Shared by the compression tests (a module of its own: ``conftest`` is a name every test folder uses)."""

from __future__ import annotations

from pathlib import Path


def write_task(folder: Path, *, extra: str = "") -> Path:
    path = folder / "digits.toml"
    path.write_text(f'name = "digits"\n[data]\nsource = "digits"\n[search]\nmetric = "accuracy"\n{extra}\n', encoding="utf-8")
    return path
