"""In-memory arrays -> :class:`DataBundle`: the shared core of ``.npz``, IDX, CIFAR and online sources."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sizeup.data.assemble import assemble, class_labels
from sizeup.data.bundle import DataBundle, Split
from sizeup.errors import SizeupError

__all__ = ["array_bundle", "load_npz", "to_nchw", "split_labels"]

_KIND_BY_NDIM = {2: "tabular", 3: "signal", 4: "image"}


def to_nchw(x: np.ndarray, *, origin: str) -> np.ndarray:
    """Images as ``[N, C, H, W]``: add a channel to ``[N, H, W]``, move 1 or 3 trailing channels to the front."""
    if x.ndim == 3:
        return x[:, None]
    if x.ndim == 4 and x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    if x.ndim != 4:
        raise SizeupError(f"{origin}: images have shape {x.shape}; expected [N, C, H, W] or [N, H, W, C]")
    return x


def _scale_images(x: np.ndarray, *, origin: str) -> tuple[torch.Tensor, str]:
    """Images to float32 in [0, 1]: 8-bit values (or floats above 1) are divided by 255."""
    if x.dtype == np.uint8 or (x.size and float(x.max()) > 1.0):
        if x.size and (float(x.min()) < 0 or float(x.max()) > 255):
            raise SizeupError(
                f"{origin}: pixel values span [{x.min()}, {x.max()}]; give 0..255 or 0..1 values"
            )
        return torch.tensor(x, dtype=torch.float32) / 255.0, "divided by 255"
    return torch.tensor(x, dtype=torch.float32), "as given (already in [0, 1])"


def split_labels(
    y_train: Any, y_test: Any | None, *, task: str, origin: str
) -> tuple[torch.Tensor, torch.Tensor | None, list[str] | None]:
    """Targets for both splits with ONE class mapping (so a class keeps its id in train and test)."""
    y_train = np.asarray(y_train)
    n = len(y_train)
    both = np.array(y_train) if y_test is None else np.concatenate([y_train, np.asarray(y_test)])
    if task == "regression":
        if both.dtype.kind not in "iufb":
            raise SizeupError(f"{origin}: regression targets must be numbers, got {both.dtype} values")
        if both.size and np.isnan(both.astype(np.float64)).any():
            raise SizeupError(f"{origin}: a regression target is missing (NaN); fill or drop those rows")
        y, names = torch.tensor(both, dtype=torch.float32), None
    else:
        if both.ndim != 1:
            raise SizeupError(f"{origin}: class labels must be one per sample, got shape {both.shape}")
        y, names = class_labels(both, origin=origin)
    return y[:n], (None if y_test is None else y[n:]), names


def _inputs(x: np.ndarray, x_test: np.ndarray | None, *, kind: str, origin: str) -> tuple[list[torch.Tensor], str]:
    """float32 tensors for x (and x_test): images go to NCHW in [0, 1]; NaN and non-numbers are refused."""
    if x.dtype.kind not in "iufb":
        raise SizeupError(f"{origin}: x holds {x.dtype} values; give numbers")
    xs = [x] if x_test is None else [x, x_test]
    if kind == "image":
        xs = [to_nchw(a, origin=origin) for a in xs]
    if x_test is not None and xs[0].shape[1:] != xs[1].shape[1:]:
        raise SizeupError(
            f"{origin}: x_test samples have shape {xs[1].shape[1:]} but x samples {xs[0].shape[1:]}; make them match"
        )
    pixels = ""
    if kind == "image":
        scaled = [_scale_images(a, origin=origin) for a in xs]
        tensors, pixels = [t for t, _ in scaled], scaled[0][1]
    else:
        tensors = [torch.tensor(a, dtype=torch.float32) for a in xs]
    for t in tensors:
        if not torch.isfinite(t).all():
            raise SizeupError(f"{origin}: x holds NaN or infinite values; fill or drop those samples")
    return tensors, pixels


def array_bundle(
    *,
    name: str,
    spec,
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    class_names: list[str] | None = None,
    kind: str | None = None,
    origin: str,
    notes: dict[str, Any] | None = None,
) -> DataBundle:
    """Pick the input kind from ``x.ndim`` (2 tabular, 3 signal, 4 image), map labels, carve missing splits.

    ``kind="image"`` forces images (``[N, H, W]`` then gains a channel).
    ``class_names`` given means the labels are already ids ``0..K-1`` (IDX/CIFAR style) and are kept.
    """
    if spec.task not in ("classification", "regression"):
        raise SizeupError(
            f"{origin}: arrays support task = \"classification\" or \"regression\", not {spec.task!r}; "
            "change [data] task"
        )
    if x.ndim == 0 or y.ndim == 0:
        raise SizeupError(f"{origin}: x has shape {x.shape} and y {y.shape}; give one row of x and one target per sample")
    if len(x) != len(y):
        raise SizeupError(f"{origin}: x has {len(x)} samples but y has {len(y)}; give one target per sample")
    if x_test is not None and len(x_test) != len(y_test):
        raise SizeupError(
            f"{origin}: x_test has {len(x_test)} samples but y_test has {len(y_test)}; give one target per sample"
        )
    kind = kind or _KIND_BY_NDIM.get(x.ndim)
    if kind is None:
        raise SizeupError(
            f"{origin}: x has shape {x.shape}; expected 2 dims (tabular), 3 (signal [N, C, L]) or 4 (images)"
        )
    notes = dict(notes or {})
    tensors, pixels = _inputs(x, x_test, kind=kind, origin=origin)
    if pixels:
        notes["pixels"] = pixels
    if class_names is not None:
        ys = [torch.tensor(np.asarray(v), dtype=torch.long) for v in ([y] if y_test is None else [y, y_test])]
        y_tr, y_te = ys[0], (ys[1] if len(ys) > 1 else None)
    else:
        y_tr, y_te, class_names = split_labels(y, y_test, task=spec.task, origin=origin)
    test = None if x_test is None else Split(tensors[1], y_te)
    return assemble(
        name=name, input_kind=kind, task=spec.task, train=Split(tensors[0], y_tr), test=test,
        val_fraction=spec.val_fraction, test_fraction=spec.test_fraction,
        class_names=class_names if spec.task == "classification" else None, notes=notes, origin=origin,
    )


def load_npz(path: Path, spec, *, origin: str) -> DataBundle:
    """``x``, ``y`` and optionally ``x_test``, ``y_test`` (the official test split) from one ``.npz`` file."""
    if not zipfile.is_zipfile(path):
        raise SizeupError(
            f"{origin}: not an .npz file (not a zip archive); "
            "save the arrays with np.savez(path, x=..., y=...)"
        )
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise SizeupError(f"{origin}: an array holds pickled Python objects, which sizeup never loads (unpickling "
                              "can run code); save plain numeric arrays") from None
        raise SizeupError(
            f"{origin}: cannot read the arrays ({str(exc).split('.')[0]}); "
            "save plain numeric arrays"
        ) from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise SizeupError(f"{origin}: not a readable .npz file ({exc}); save it with np.savez") from None
    present = ", ".join(sorted(arrays)) or "none"
    for key, value in arrays.items():
        if not isinstance(value, np.ndarray):  # a zip member that is not an .npy array reads as raw bytes
            raise SizeupError(f"{origin}: member {key!r} is not a numpy array; save the arrays with np.savez")
    for key in ("x", "y"):
        if key not in arrays:
            raise SizeupError(
                f"{origin}: array {key!r} not found; arrays present: {present} — "
                "save with np.savez(path, x=..., y=...)"
            )
    if ("x_test" in arrays) != ("y_test" in arrays):
        missing = "y_test" if "x_test" in arrays else "x_test"
        raise SizeupError(
            f"{origin}: array {missing!r} not found; "
            f"arrays present: {present} — give both x_test and y_test or neither"
        )
    return array_bundle(
        name=path.stem, spec=spec, x=arrays["x"], y=arrays["y"],
        x_test=arrays.get("x_test"), y_test=arrays.get("y_test"), origin=origin,
        notes={"source": "npz", "official_test": "x_test" in arrays},
    )
