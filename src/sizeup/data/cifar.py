"""CIFAR-10 "python version" batches (``data_batch_1..5``, ``test_batch``, ``batches.meta``) -> :class:`DataBundle`.

Each batch is a pickled dict with ``b'data'`` (``[N, 3072]`` uint8, channel-major 32x32) and ``b'labels'``.
The pickles are read with an unpickler that only rebuilds numpy arrays, so a crafted file cannot run code.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from sizeup.data.arrays import array_bundle
from sizeup.data.bundle import DataBundle
from sizeup.errors import SizeupError

__all__ = ["is_cifar_folder", "load_cifar_folder", "read_batch"]

_ALLOWED = {
    ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
}


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def read_batch(path: Path, *, origin: str) -> dict:
    """One pickled batch -> its dict, with ``bytes`` keys as in the official files."""
    try:
        with open(path, "rb") as f:
            d = _ArraysOnly(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, OSError, ValueError, TypeError, AttributeError, KeyError,
            IndexError) as exc:  # what a damaged pickle stream raises
        raise SizeupError(f"{origin}: not a CIFAR-10 python batch ({exc}); use the 'python version' download") from None
    if not isinstance(d, dict):
        raise SizeupError(
            f"{origin}: holds a {type(d).__name__}, not a CIFAR-10 batch dict; "
            "use the 'python version' files"
        )
    return d


def is_cifar_folder(folder: Path) -> bool:
    return (folder / "batches.meta").is_file() or (folder / "data_batch_1").is_file()


def _batch_arrays(path: Path, *, origin: str) -> tuple[np.ndarray, np.ndarray]:
    d = read_batch(path, origin=origin)
    for key in (b"data", b"labels"):
        if key not in d:
            keys = ", ".join(repr(k) for k in d)
            raise SizeupError(f"{origin}: key {key!r} not found; keys present: {keys} — give a CIFAR-10 batch file")
    try:
        x = np.asarray(d[b"data"], dtype=np.uint8)
        y = np.asarray(d[b"labels"], dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        raise SizeupError(f"{origin}: b'data' and b'labels' must hold uint8 pixels and integer labels; "
                          "give a CIFAR-10 batch file") from None
    if y.ndim != 1:
        raise SizeupError(f"{origin}: b'labels' has shape {y.shape}; expected one integer label per image")
    if x.ndim != 2 or x.shape[1] != 3 * 32 * 32 or len(x) != len(y):
        raise SizeupError(f"{origin}: data has shape {x.shape} for {len(y)} labels; expected [N, 3072] uint8 rows")
    return x.reshape(-1, 3, 32, 32), y


def load_cifar_folder(folder: Path, spec, *, origin: str) -> DataBundle:
    """The training batches present (``data_batch_1`` at least) and the official ``test_batch``."""
    if spec.task != "classification":
        raise SizeupError(f"{origin}: CIFAR-10 is classification data; set [data] task = \"classification\"")
    batches = sorted(folder.glob("data_batch_*"), key=lambda p: p.name)
    if not batches:
        raise SizeupError(
            f"{origin}: no training batch ('data_batch_1' .. 'data_batch_5') found; "
            "add them to the folder"
        )
    train = [_batch_arrays(p, origin=f"{origin}/{p.name}") for p in batches]
    test = folder / "test_batch"
    x_test, y_test = _batch_arrays(test, origin=f"{origin}/test_batch") if test.is_file() else (None, None)
    names = [str(i) for i in range(10)]
    if (folder / "batches.meta").is_file():
        meta = read_batch(folder / "batches.meta", origin=f"{origin}/batches.meta")
        if b"label_names" in meta:
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in meta[b"label_names"]]
    y = np.concatenate([b[1] for b in train])
    top = int(max(y.max(), -1 if y_test is None else y_test.max()))
    if y.min() < 0 or top >= len(names):
        raise SizeupError(f"{origin}: label {top} is outside the {len(names)} classes in batches.meta; check the files")
    return array_bundle(
        name=folder.name, spec=spec, x=np.concatenate([b[0] for b in train]), y=y,
        x_test=x_test, y_test=y_test, class_names=names, kind="image", origin=origin,
        notes={"source": "cifar10", "batches": [p.name for p in batches], "official_test": x_test is not None},
    )
