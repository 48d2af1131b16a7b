"""The door for user data: resolve ``[data] source``, pick the format, dispatch to the reader for it."""

from __future__ import annotations

import stat
from pathlib import Path

from sizeup.data.bundle import DataBundle
from sizeup.errors import SizeupError

__all__ = ["load_files", "detect_format", "FORMATS"]

_SUFFIXES = {".csv": "csv", ".csv.gz": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
             ".npz": "npz", ".txt": "text"}
_FILE_FORMATS = ("csv", "parquet", "npz", "text")
FORMATS = ("csv", "parquet", "npz", "text", "images", "idx", "cifar10")


def load_files(task) -> DataBundle:
    """``[data] source`` as a path (relative to the task file), ``hf:NAME`` or ``torchvision:NAME`` -> a bundle."""
    spec = task.data
    origin = spec.source
    if origin.startswith(("hf:", "torchvision:")):
        from sizeup.data.online import load_hf, load_torchvision

        prefix, _, name = origin.partition(":")
        return (load_hf if prefix == "hf" else load_torchvision)(name, spec, origin=origin)
    path = task.resolve_path(origin)
    _check_exists(path, origin=origin)
    try:
        fmt = detect_format(path, origin=origin) if spec.format == "auto" else spec.format
        if fmt in ("idx", "cifar10") and path.is_file():
            path, origin = path.parent, str(Path(origin).parent)  # one file of the set names its folder
        if (fmt in _FILE_FORMATS) != path.is_file():
            what = "a file" if fmt in _FILE_FORMATS else "a folder"
            raise SizeupError(
                f"[data] source {origin!r}: format {fmt!r} reads {what}, but this is not one; "
                "fix the path or set [data] format = \"auto\""
            )
        return _read(fmt, path, spec, origin=origin)
    except PermissionError as exc:
        raise SizeupError(f"{exc.filename}: permission denied; make it readable or copy the data elsewhere") from None


def _check_exists(path: Path, *, origin: str) -> None:
    """A file or a folder must be there; a name the system refuses (too long, a loop) or a device is one line."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        from sizeup.data.bundled import BUNDLED

        raise SizeupError(
            f"[data] source {origin!r}: no such file or folder ({path}); fix the path (relative to the task file) "
            f"or use a bundled data set: {', '.join(BUNDLED)}"
        ) from None
    except OSError as exc:
        raise SizeupError(f"[data] source {origin!r}: cannot open it ({exc.strerror}); fix the path") from None
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise SizeupError(f"[data] source {origin!r} is not a regular file or folder (a device or a pipe); "
                          "point it at a data file or folder")


def _read(fmt: str, path: Path, spec, *, origin: str) -> DataBundle:
    if fmt in ("csv", "parquet"):
        from sizeup.data.tables import read_table, table_bundle

        df = read_table(path, fmt, origin=origin)
        return table_bundle({"train": df}, spec, name=_stem(path), origin=origin)
    if fmt == "npz":
        from sizeup.data.arrays import load_npz

        return load_npz(path, spec, origin=origin)
    if fmt == "text":
        return _read_corpus(path, spec, origin=origin)
    if fmt == "images":
        from sizeup.data.images import load_image_folder

        return load_image_folder(path, spec, origin=origin)
    if fmt == "idx":
        from sizeup.data.idx import load_idx_folder

        return load_idx_folder(path, spec, origin=origin)
    from sizeup.data.cifar import load_cifar_folder

    return load_cifar_folder(path, spec, origin=origin)


def detect_format(path: Path, *, origin: str) -> str:
    """By extension for a file; for a folder: CIFAR-10 batches, IDX files, or class sub-folders of images."""
    from sizeup.data.cifar import is_cifar_folder
    from sizeup.data.idx import find_idx
    from sizeup.data.images import IMAGE_SUFFIXES, is_image_folder

    name = path.name.lower()
    if path.is_file():
        for suffix, fmt in _SUFFIXES.items():
            if name.endswith(suffix):
                return fmt
        if find_idx(path.parent) and path in find_idx(path.parent).values():
            return "idx"
        if name.startswith(("data_batch_", "test_batch", "batches.meta")):
            return "cifar10"
        raise SizeupError(
            f"[data] source {origin!r}: unknown file type {path.suffix or name!r}; "
            "use .csv, .tsv, .parquet, .npz or .txt "
            "(or a folder of images, IDX or CIFAR-10 files), or set [data] format"
        )
    if is_cifar_folder(path):
        return "cifar10"
    if find_idx(path):
        return "idx"
    if is_image_folder(path):
        return "images"
    if any(p.suffix.lower() in IMAGE_SUFFIXES for p in path.iterdir()):
        raise SizeupError(
            f"[data] source {origin!r}: images must sit in one sub-folder per class (e.g. {origin}/cat/1.png); "
            "move them into class folders"
        )
    raise SizeupError(
        f"[data] source {origin!r}: this folder holds no data sizeup recognises; expected class sub-folders of "
        "PNG/JPEG images, MNIST IDX files (train-images-idx3-ubyte, ...) or CIFAR-10 batches (data_batch_1, ...)"
    )


def _read_corpus(path: Path, spec, *, origin: str) -> DataBundle:
    if spec.task != "language-modeling":
        raise SizeupError(
            f"[data] source {origin!r}: a .txt file is a corpus for task = \"language-modeling\", not {spec.task!r}; "
            "for labelled text give a CSV with a text column and a label column, and set text = \"<column>\""
        )
    from sizeup.data.corpus import corpus_bundle

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SizeupError(f"[data] source {origin!r}: not UTF-8 text; save the corpus as UTF-8") from None
    return corpus_bundle(text, name=_stem(path), spec=spec)


def _stem(path: Path) -> str:
    return path.name.split(".")[0] or path.name
