"""One test example as JSON-able data for the report: numbers for signals and tables, token strings for
text, PNG files for images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from sizeup.data.bundle import DataInfo
from sizeup.explanation._png import image_heatmap, image_thumb, signal_thumb

__all__ = ["tokens_of", "describe_input", "describe_attribution"]


def tokens_of(info: DataInfo, ids: torch.Tensor) -> list[str]:
    """The token strings of one id sequence, up to its padding (id 0)."""
    vocab = info.vocab or []
    kept = ids[: int((ids != 0).nonzero().max()) + 1] if bool((ids != 0).any()) else ids[:0]
    return [vocab[i] if i < len(vocab) else f"<{i}>" for i in kept.tolist()]


def describe_input(info: DataInfo, x: torch.Tensor, folder: Path, stem: str) -> dict[str, Any]:
    """What the report shows of an input: a thumbnail PNG (images, signals), its tokens, or its values."""
    if info.input_kind == "image":
        return {"png": image_thumb(x, folder / f"{stem}.png").name}
    if info.input_kind == "signal":
        return {"png": signal_thumb(x, folder / f"{stem}.png").name}
    if info.input_kind == "tokens":
        return {"tokens": tokens_of(info, x)}
    return {"values": [round(float(v), 4) for v in x.flatten()]}


def describe_attribution(info: DataInfo, x: torch.Tensor, values: torch.Tensor, folder: Path, stem: str) -> dict[str, Any]:
    """The attribution in the input's own terms: a heat-map PNG, a coloured signal, coloured tokens, bars."""
    if info.input_kind == "image":
        return {"png": image_heatmap(x, values, folder / f"{stem}.png").name}
    if info.input_kind == "signal":
        return {"signal": x.tolist(), "attribution": values.tolist()}
    if info.input_kind == "tokens":
        tokens = tokens_of(info, x)
        return {"tokens": tokens, "attribution": values[: len(tokens)].tolist()}
    return {"values": x.flatten().tolist(), "attribution": values.flatten().tolist()}
