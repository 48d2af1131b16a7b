"""MNIST-style IDX files (``train-images-idx3-ubyte`` and friends, optionally ``.gz``) -> :class:`DataBundle`.

The format (http://yann.lecun.com/exdb/mnist/): two zero bytes, a type code, the number of dimensions,
then each dimension as a big-endian uint32, then the values in C order.
"""

from __future__ import annotations

import gzip
import math
import re
import zlib
from pathlib import Path

import numpy as np

from sizeup.data.arrays import array_bundle
from sizeup.data.bundle import DataBundle
from sizeup.errors import SizeupError

__all__ = ["read_idx", "find_idx", "load_idx_folder"]

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_NAME = re.compile(r"^(train|t10k|test)-(images|labels)[-.]idx([13])-ubyte(\.gz)?$", re.IGNORECASE)


def read_idx(path: Path, *, origin: str) -> np.ndarray:
    """One IDX file (gzipped or not) -> a numpy array of its dimensions."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as exc:  # a damaged .gz raises zlib.error, not OSError
        raise SizeupError(f"{origin}: cannot read it ({exc}); download the file again") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise SizeupError(f"{origin}: not an IDX file (bad magic number {raw[:4].hex()}); give the original MNIST file")
    ndim = raw[3]
    start = 4 + 4 * ndim
    if not 1 <= ndim <= 4 or len(raw) < start:
        raise SizeupError(f"{origin}: the IDX header declares {ndim} dimensions (MNIST files have 1 or 3); "
                          "the file is corrupt — download it again")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_TYPES[raw[2]])
    need = math.prod(dims) * dtype.itemsize  # Python ints: a corrupt header cannot overflow the product
    if len(raw) - start != need:
        raise SizeupError(
            f"{origin}: holds {len(raw) - start} bytes of values but its header promises {need} for shape {dims}; "
            "the file is truncated or corrupt — download it again"
        )
    return np.frombuffer(raw, dtype=dtype, offset=start).reshape(dims).astype(dtype.newbyteorder("="))


def find_idx(folder: Path) -> dict[tuple[str, str], Path]:
    """``{("train"|"test", "images"|"labels"): path}`` for the IDX files in ``folder``."""
    found = {}
    for p in sorted(folder.iterdir()):
        m = _NAME.match(p.name)
        if m and p.is_file():
            split = "train" if m.group(1).lower() == "train" else "test"
            found[(split, m.group(2).lower())] = p
    return found


def load_idx_folder(folder: Path, spec, *, origin: str) -> DataBundle:
    """Train images/labels are required; the official ``t10k`` test files are used when present."""
    if spec.task != "classification":
        raise SizeupError(f"{origin}: MNIST IDX files are classification data; set [data] task = \"classification\"")
    files = find_idx(folder)
    arrays = {}
    for split, kind in (("train", "images"), ("train", "labels"), ("test", "images"), ("test", "labels")):
        expected = f"{'train' if split == 'train' else 't10k'}-{kind}-idx{3 if kind == 'images' else 1}-ubyte"
        path = files.get((split, kind))
        if path is None:
            if split == "train" or (split, "images" if kind == "labels" else "labels") in files:
                raise SizeupError(f"{origin}: file {expected!r} (or {expected}.gz) not found; add it to the folder")
            continue
        arrays[(split, kind)] = read_idx(path, origin=f"{origin}/{path.name}")
    for split in ("train", "test"):
        if (split, "images") in arrays:
            x, y = arrays[(split, "images")], arrays[(split, "labels")]
            if x.ndim not in (3, 4) or y.ndim != 1 or len(x) != len(y):
                raise SizeupError(
                    f"{origin}: {split} images have shape {x.shape} and labels {y.shape}; "
                    "expected [N, H, W] images and [N] labels"
                )
    has_test = ("test", "images") in arrays
    return array_bundle(
        name=folder.name, spec=spec, x=arrays[("train", "images")], y=arrays[("train", "labels")],
        x_test=arrays.get(("test", "images")), y_test=arrays.get(("test", "labels")), kind="image", origin=origin,
        notes={"source": "idx", "official_test": has_test},
    )
