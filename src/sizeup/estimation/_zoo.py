"""sizeup's own models: a zoo spec (``cnn:width=32,depth=3`` + a task) or a saved model folder, built on the
meta device from their config and measured exactly (see :mod:`sizeup.estimation._module`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from sizeup.estimation._catalog import Hardware
from sizeup.estimation._module_estimate import estimate_module
from sizeup.estimation._types import Estimate, Setup
from sizeup._knobs import parse_spec as _parse
from sizeup.errors import SizeupError

__all__ = ["estimate_zoo_spec", "estimate_saved_model", "parse_spec", "meta_inputs"]


def parse_spec(text: str) -> tuple[str, dict[str, Any]]:
    """``"cnn:width=32,depth=3"`` -> ``("cnn", {"width": 32, "depth": 3})`` (``sizeup._knobs.parse_spec``)."""
    family, bare, knobs = _parse(text)
    if bare or "" in knobs:
        item = bare[0] if bare else f"={knobs['']}"
        raise SizeupError(f"zoo spec {text!r}: {item!r} is not key=value; write e.g. cnn:width=32,depth=3")
    return family, knobs


def meta_inputs(info: Any, batch: int) -> tuple[torch.Tensor, ...]:
    """Inputs for one batch shaped like the data ``info`` describes (token ids for sequences)."""
    ints = info.input_kind in ("tokens", "lm", "seq2seq")
    x = torch.zeros((batch, *info.input_shape), dtype=torch.long if ints else torch.float32, device="meta")
    if info.input_kind == "seq2seq":
        return x, torch.zeros((batch, max(1, info.seq_len - 1)), dtype=torch.long, device="meta")
    return (x,)


def _build_and_estimate(family: str, info: Any, *, setup: Setup, dtype: str | None, hardware: Hardware,
                        source: str, name: str, config: Any = None, knobs: dict[str, Any] | None = None) -> Estimate:
    from sizeup.zoo import build

    with torch.device("meta"):
        model = build(family, info, config=config, **(knobs or {}))
    return estimate_module(model, meta_inputs(info, setup.batch), hardware=hardware, mode=setup.mode, dtype=dtype,
                           optimizer=setup.optimizer, name=name, source=source)


def estimate_zoo_spec(text: str, *, task: Any, setup: Setup, dtype: str | None, hardware: Hardware) -> Estimate:
    family, knobs = parse_spec(text)
    if task is None:
        raise SizeupError(f"zoo spec {text!r} needs a task to know the data shape; pass --task examples/mnist1d.toml")
    from sizeup.data import load_data
    from sizeup.task import Task

    t = task if isinstance(task, Task) else Task.from_toml(task)
    info = load_data(t).info
    return _build_and_estimate(family, info, setup=setup, dtype=dtype, hardware=hardware, source="zoo", name=text, knobs=knobs)


def estimate_saved_model(folder: Path, meta: dict[str, Any], *, setup: Setup, dtype: str | None,
                         hardware: Hardware) -> Estimate:
    from sizeup.checkpoint import rebuild

    model, info = rebuild(meta, device="meta")
    return estimate_module(model, meta_inputs(info, setup.batch), hardware=hardware, mode=setup.mode, dtype=dtype,
                           optimizer=setup.optimizer, name=f"{meta['family']} ({folder})", source="saved")
