"""A small trained model on real data (digits), shared by the compression tests."""

from __future__ import annotations

from pathlib import Path

import pytest

import sizeup

from compress_helpers import write_task


@pytest.fixture(scope="module")
def trained(tmp_path_factory, one_thread) -> Path:
    """A ``sizeup train`` run folder: model.safetensors + config.json with the task saved in it."""
    folder = tmp_path_factory.mktemp("compress")
    out = folder / "train-cnn"
    sizeup.train(write_task(folder), "cnn", knobs={"width": 16, "depth": 2}, epochs=4, out=out)
    return out
