"""Compression: quantization (ONNX Runtime), pruning (Torch-Pruning, ``torch.nn.utils.prune``) and
knowledge distillation, each re-measured on this device against the original."""

from __future__ import annotations

from sizeup.compression._impl import CompressResult, Figures, compress
from sizeup._methods import METHODS, Method, parse_method

__all__ = ["compress", "CompressResult", "Figures", "parse_method", "Method", "METHODS"]
