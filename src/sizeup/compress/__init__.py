"""Compression: quantization (ONNX Runtime), pruning (Torch-Pruning, ``torch.nn.utils.prune``) and
knowledge distillation, each re-measured on this device against the original."""

from __future__ import annotations

from sizeup.compress._impl import CompressResult, Figures, compress
from sizeup.compress.apply import load_compressed
from sizeup.compress.methods import METHODS, Method, parse_method

__all__ = ["compress", "CompressResult", "Figures", "load_compressed", "parse_method", "Method", "METHODS"]

from sizeup._callable import make_module_callable  # noqa: E402

make_module_callable(__name__, compress)
