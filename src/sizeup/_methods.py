"""Compression methods as strings (``int8``, ``prune:0.5``, ``distill:family=cnn,width=16``) -> :class:`Method`.

This module imports nothing heavy and sits below every stage, so the task file can validate ``[search] compress``
with it; the string is read by the one ``key=value`` parser, ``sizeup._knobs.parse_spec``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sizeup._knobs import parse_spec
from sizeup.errors import SizeupError

__all__ = ["Method", "parse_method", "METHODS"]

METHODS = {
    "int8": "dynamic int8 (ONNX Runtime): Linear/MatMul, LSTM, attention",
    "int8-static": "static int8 with calibration on training samples (ONNX Runtime, QDQ): CNNs",
    "int4-weight": "int4 weight-only MatMul (ONNX Runtime MatMulNBits): large linear layers",
    "fp16": "cast weights and activations to float16 (a GPU method: tensor cores; a CPU computes it slower)",
    "bf16": "cast weights and activations to bfloat16 (a GPU method, compute capability 8.0+; a CPU computes it slower)",
    "prune": "structured channel pruning with Torch-Pruning, then a short fine-tune: prune:0.5",
    "prune-unstructured": "unstructured magnitude pruning (torch.nn.utils.prune): prune-unstructured:0.5",
    "distill": "knowledge distillation into a smaller student: distill[:family=...,width=...,epochs=...]",
}
_RATIO = {"prune", "prune-unstructured"}
_OPTIONS = {"prune": {"epochs", "lr"}, "prune-unstructured": {"epochs", "lr"},
            "distill": {"family", "preset", "epochs", "temperature", "alpha", "lr", "time"}}
HINT = "e.g. int8, int8-static, int4-weight, fp16, bf16, prune:0.5, prune-unstructured:0.5, distill:family=cnn,width=16"


@dataclass(frozen=True)
class Method:
    """A parsed method: its ``name``, the pruning ``ratio`` and ``options`` (student knobs, epochs ...)."""

    name: str
    ratio: float | None = None
    options: dict[str, Any] = field(default_factory=dict)
    text: str = ""

    @property
    def slug(self) -> str:
        """A folder- and family-safe name: ``prune-0.5``, ``distill-family-cnn-width-16``."""
        return "-".join(p for p in self.text.replace(":", "-").replace(",", "-").replace("=", "-").split("-") if p)

    @property
    def quantized(self) -> bool:
        """Integer quantization through ONNX Runtime's CPU provider: a CPU method, whatever ``--device`` says."""
        return self.name.startswith(("int8", "int4"))

    @property
    def cast(self) -> bool:
        """A half-precision cast, measured on the device the model serves on."""
        return self.name in ("fp16", "bf16")


def parse_method(text: str) -> Method:
    """Parse and validate one method string; the error names the string and what would work."""
    raw = str(text).strip()
    name, bare, given = parse_spec(raw)
    if name not in METHODS:
        raise SizeupError(f"unknown compression method {raw!r}; choose one of: {HINT}")
    if len(bare) > (1 if name in _RATIO else 0):
        raise SizeupError(f"compression method {raw!r}: unexpected {bare[-1]!r}; {HINT}")
    ratio = bare[0] if bare else None
    if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio < 1):
        raise SizeupError(f"compression method {raw!r}: the pruning ratio must be a fraction in (0, 1), got {ratio!r}")
    for key in given:
        # distill takes the student's size knobs too; the zoo checks them when the student is built
        if key not in _OPTIONS.get(name, set()) and not (name == "distill" and key):
            allowed = ", ".join(sorted(_OPTIONS.get(name, set()))) or "none"
            raise SizeupError(f"compression method {raw!r}: unknown option {key!r}; options of {name}: {allowed}")
    if name in _RATIO and ratio is None:
        raise SizeupError(f"compression method {raw!r} needs a ratio, e.g. {name}:0.5")
    return Method(name, None if ratio is None else float(ratio), given, raw)
