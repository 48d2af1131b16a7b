"""Online sources: ``hf:NAME[:CONFIG]`` (Hugging Face ``datasets``) and ``torchvision:NAME``; both download once."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from sizeup._imports import optional_import
from sizeup.data.arrays import array_bundle
from sizeup.data.bundle import DataBundle
from sizeup.errors import SizeupError

__all__ = ["load_hf", "load_torchvision", "cache_dir"]

_HF_SPLITS = {"train": "train", "validation": "val", "valid": "val", "dev": "val", "test": "test"}


def cache_dir() -> Path:
    """Where downloads are kept: ``$SIZEUP_DATA_DIR`` or ``~/.cache/sizeup``."""
    return Path(os.environ.get("SIZEUP_DATA_DIR", "~/.cache/sizeup")).expanduser()


def load_hf(name: str, spec, *, origin: str) -> DataBundle:
    """A Hugging Face data set: an image column becomes images, anything else goes through the table reader."""
    datasets = optional_import("datasets", extra="online", feature=f"[data] source = {origin!r}")
    repo, _, config = name.partition(":")
    try:
        dd = datasets.load_dataset(repo, config or None, cache_dir=str(cache_dir() / "hf"))
    except Exception as exc:  # noqa: BLE001 - the hub raises many types; the user needs one line
        raise SizeupError(
            f"{origin}: cannot load it ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
            "check the name"
        ) from None
    splits = {_HF_SPLITS[k]: dd[k] for k in dd if k in _HF_SPLITS}
    if "train" not in splits:
        raise SizeupError(f"{origin}: no 'train' split (splits are: {', '.join(dd)}); pick a data set with one")
    features = splits["train"].features
    images = [c for c, f in features.items() if isinstance(f, datasets.Image)]
    label = features.get(spec.target)
    names = list(label.names) if isinstance(label, datasets.ClassLabel) else None
    if images and spec.text is None:
        return _hf_images(splits, images[0], names, spec, name=repo, origin=origin)
    from sizeup.data.tables import table_bundle

    frames = {k: ds.to_pandas() for k, ds in splits.items()}
    if names is not None and spec.task == "classification":
        for df in frames.values():
            df[spec.target] = [names[i] for i in df[spec.target]]
    return table_bundle(frames, spec, name=repo, origin=origin)


def _hf_images(splits, column: str, names, spec, *, name: str, origin: str) -> DataBundle:
    if spec.target not in splits["train"].features:
        cols = ", ".join(splits["train"].features)
        raise SizeupError(f"{origin}: column {spec.target!r} not found; columns are: {cols} — set [data] target")
    mode = "L" if all(im.mode in ("L", "1") for im in splits["train"][:64][column]) else "RGB"

    def arrays(ds):
        x = np.stack([np.asarray(im.convert(mode), dtype=np.uint8) for im in ds[column]])
        return (x[..., None] if mode == "L" else x), np.asarray(ds[spec.target])

    x, y = arrays(splits["train"])
    x_test, y_test = arrays(splits["test"]) if "test" in splits else (None, None)
    return array_bundle(
        name=name, spec=spec, x=x, y=y, x_test=x_test, y_test=y_test, class_names=names, kind="image",
        origin=origin, notes={"source": origin, "official_test": x_test is not None},
    )


def load_torchvision(name: str, spec, *, origin: str) -> DataBundle:
    """A torchvision data set with ``train=`` splits and ``.data``/``.targets`` (MNIST family, CIFAR10/100)."""
    tv = optional_import("torchvision", extra=None, feature=f"[data] source = {origin!r}",
                         hint="install the torchvision release built for your torch (an unpinned one may replace torch)")
    cls = getattr(tv.datasets, name, None)
    if cls is None:
        raise SizeupError(
            f"{origin}: torchvision has no data set {name!r}; "
            "use e.g. torchvision:MNIST or torchvision:CIFAR10"
        )
    root = cache_dir() / "torchvision"
    try:
        train, test = (cls(root=str(root), train=flag, download=True) for flag in (True, False))
    except TypeError:
        raise SizeupError(
            f"{origin}: {name} has no train/test split in torchvision; "
            "use an MNIST-like or CIFAR data set"
        ) from None
    except (OSError, RuntimeError) as exc:
        raise SizeupError(
            f"{origin}: download failed ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); "
            f"check the network or copy the files into {root}"
        ) from None
    as_np = lambda a: a.numpy() if hasattr(a, "numpy") else np.asarray(a)  # noqa: E731
    names = [str(c) for c in getattr(train, "classes", [])] or None
    return array_bundle(
        name=name, spec=spec, x=as_np(train.data), y=as_np(train.targets), x_test=as_np(test.data),
        y_test=as_np(test.targets), class_names=names, kind="image", origin=origin,
        notes={"source": origin, "official_test": True},
    )
