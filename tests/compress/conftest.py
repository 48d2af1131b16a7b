"""A small trained model on real data (digits), shared by the compression tests."""

from __future__ import annotations

from pathlib import Path

import pytest

import sizeup


def write_task(folder: Path, *, extra: str = "") -> Path:
    path = folder / "digits.toml"
    path.write_text(f'name = "digits"\n[data]\nsource = "digits"\n[search]\nmetric = "accuracy"\n{extra}\n', encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory, one_thread) -> Path:
    """A ``sizeup train`` run folder: model.safetensors + config.json with the task saved in it."""
    folder = tmp_path_factory.mktemp("compress")
    out = folder / "train-cnn"
    sizeup.train(write_task(folder), "cnn", knobs={"width": 16, "depth": 2}, epochs=4, out=out)
    return out
