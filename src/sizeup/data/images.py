"""A folder of images, one sub-folder per class (optionally under ``train/`` and ``test/``) -> :class:`DataBundle`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

# What opening or decoding a damaged, hostile or unusual image raises (a decompression bomb is refused
# before it is decoded: Pillow checks the declared size against Image.MAX_IMAGE_PIXELS on open).
_IMAGE_ERRORS = (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError)
_WIDE_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N", "F")

from sizeup.data.arrays import array_bundle
from sizeup.data.bundle import DataBundle
from sizeup.errors import SizeupError

__all__ = ["IMAGE_SUFFIXES", "load_image_folder", "is_image_folder"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _class_dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def is_image_folder(folder: Path) -> bool:
    """True when some class sub-folder (directly, or under ``train/``) holds a PNG/JPEG image."""
    root = folder / "train" if (folder / "train").is_dir() else folder
    return any(_images_in(d) for d in _class_dirs(root))


def _scan(root: Path, *, origin: str) -> list[tuple[Path, str]]:
    """(image path, class name) for every image under ``root/<class>/``."""
    classes = _class_dirs(root)
    if not classes:
        raise SizeupError(
            f"{origin}: no class sub-folders found; put the images in one folder per class, e.g. {origin}/cat/1.png"
        )
    items = []
    for d in classes:
        found = _images_in(d)
        if not found:
            raise SizeupError(f"{origin}/{d.name}: no PNG/JPEG images in this class folder; add images or remove it")
        items += [(p, d.name) for p in found]
    return items


def _read(items: list[tuple[Path, str]], spec, *, root: Path, origin: str) -> tuple[np.ndarray, str]:
    """Decode all images to one uint8 array ``[N, C, H, W]``: grayscale when every image is, RGB otherwise."""
    shown = lambda p: f"{origin}/{p.relative_to(root).as_posix()}"  # noqa: E731
    opened = []
    for path, _ in items:
        try:
            with Image.open(path) as im:
                opened.append((im.mode, im.size))
        except _IMAGE_ERRORS as exc:
            raise SizeupError(f"{shown(path)}: not a readable image ({_why(exc)}); replace or delete it") from None
        if opened[-1][0] in _WIDE_MODES:  # converting would clip every value above 255 to white
            raise SizeupError(f"{shown(path)}: a {opened[-1][0]} image (16- or 32-bit values); sizeup reads 8-bit "
                              "images — save it as an 8-bit PNG or JPEG")
    mode = "L" if all(m in ("L", "1") for m, _ in opened) else "RGB"
    if spec.image_size is not None:  # the task file checks it holds two positive numbers
        want = (int(spec.image_size[1]), int(spec.image_size[0]))  # Pillow sizes are (width, height)
    else:
        want = opened[0][1]
        for (path, _), (_, size) in zip(items, opened):
            if size != want:
                raise SizeupError(
                    f"{shown(path)}: image is {size[1]}x{size[0]} (HxW) but {shown(items[0][0])} is "
                    f"{want[1]}x{want[0]}; resize them all to one size "
                    f"or set image_size = [{want[1]}, {want[0]}] in [data]"
                )
    pixels = []
    for path, _ in items:
        try:
            with Image.open(path) as im:
                im = im.convert(mode)
                if im.size != want:
                    im = im.resize(want, Image.Resampling.BILINEAR)
                pixels.append(np.asarray(im, dtype=np.uint8))
        except _IMAGE_ERRORS as exc:
            raise SizeupError(f"{shown(path)}: not a readable image ({_why(exc)}); replace or delete it") from None
    x = np.stack(pixels)
    x = x[..., None] if mode == "L" else x
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2)), mode


def _why(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__


def load_image_folder(folder: Path, spec, *, origin: str) -> DataBundle:
    """Classes are the sub-folder names; a ``train/`` + ``test/`` layout keeps its official test split."""
    if spec.task != "classification":
        raise SizeupError(f"{origin}: an image folder is classification data; set [data] task = \"classification\"")
    split_layout = (folder / "train").is_dir() and (folder / "test").is_dir()
    train = _scan(folder / "train" if split_layout else folder, origin=f"{origin}/train" if split_layout else origin)
    test = _scan(folder / "test", origin=f"{origin}/test") if split_layout else []
    names = sorted({c for _, c in train})
    unknown = sorted({c for _, c in test} - set(names))
    if unknown:
        raise SizeupError(
            f"{origin}/test: class folder {unknown[0]!r} has no match in {origin}/train; "
            "add it there or remove it"
        )
    x, mode = _read(train + test, spec, root=folder, origin=origin)
    index = {c: i for i, c in enumerate(names)}
    y = np.array([index[c] for _, c in train + test], dtype=np.int64)
    n = len(train)
    return array_bundle(
        name=folder.name, spec=spec, x=x[:n], y=y[:n],
        x_test=x[n:] if test else None, y_test=y[n:] if test else None, class_names=names, kind="image", origin=origin,
        notes={"source": "image folder", "color": "grayscale" if mode == "L" else "RGB",
               "resized_to": spec.image_size, "official_test": bool(test)},
    )
