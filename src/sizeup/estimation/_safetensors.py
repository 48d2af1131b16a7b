"""Per-dtype parameter counts from a ``.safetensors`` header: 8 bytes of length, then JSON; no weights are read.

Format: https://github.com/huggingface/safetensors#format
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

from sizeup.errors import SizeupError

__all__ = ["safetensors_counts"]

_MAX_HEADER = 100 * 2**20  # the format caps the header at 100 MB


def safetensors_counts(*paths: str | Path) -> dict[str, int]:
    """``{"BF16": 8030261248, ...}`` summed over the files (shards of one model)."""
    counts: dict[str, int] = {}
    for path in paths:
        header = _read_header(Path(path))
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            shape = entry.get("shape", []) if isinstance(entry, dict) else None
            if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
                raise SizeupError(f"{path}: tensor {name!r} has no valid shape in the header; the file is not safetensors")
            dtype = str(entry.get("dtype", "?"))
            counts[dtype] = counts.get(dtype, 0) + math.prod(shape)
    return counts


def _read_header(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            raw = fh.read(8)
            if len(raw) != 8:
                raise SizeupError(f"{path}: too short to be a safetensors file; give a .safetensors file")
            (size,) = struct.unpack("<Q", raw)
            if size > _MAX_HEADER:
                raise SizeupError(f"{path}: header length {size} is not plausible; the file is not safetensors")
            header = json.loads(fh.read(size))
            if not isinstance(header, dict):
                raise SizeupError(f"{path}: the header is not a JSON object; the file is not safetensors")
            return header
    except FileNotFoundError:
        raise SizeupError(f"{path} not found; give an existing .safetensors file") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SizeupError(f"{path}: the header is not valid JSON; the file is not safetensors") from None
