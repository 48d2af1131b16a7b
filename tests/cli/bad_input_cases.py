"""Malformed task files, data files and run folders, each with the command that reads it and the words its
one-line error must contain (the file, key or column it names).

Every case writes its files into its own folder; the command runs with that folder as the working
directory, so a relative ``[data] source`` and the default ``runs/`` both land there. ``SHARED`` models
(a saved tabular MLP and a saved character GPT) live in one folder that every run-folder case reads.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

SENTINEL = "PWNED"  # the file a hostile pickle would create if sizeup ran its code


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path, Path], list[str]]  # (case folder, shared folder) -> argv after "sizeup"
    words: tuple[str, ...]  # what the error line must name

    @property
    def command(self) -> str:
        return self.id.split("-", 1)[0]


CASES: list[Case] = []


def case(id_: str, *words: str):
    def register(fn: Callable[[Path, Path], list[str]]):
        CASES.append(Case(id_, fn, words))
        return fn

    return register


# ----- file writers --------------------------------------------------------------------------------------


def _text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _task(d: Path, data: str = 'source = "data.csv"', extra: str = "", name: str = "t") -> str:
    _text(d / "task.toml", _toml(data, extra, name))
    return "task.toml"


def _train(d: Path, data: str = 'source = "data.csv"', extra: str = "") -> list[str]:
    return ["train", _task(d, data, extra), "--family", "mlp", "--epochs", "1"]


def _csv(rows: int = 40, classes: int = 3, *, header: str = "a,b,label") -> str:
    body = "".join(f"{i % 7},{(i * 3) % 5},{i % classes}\n" for i in range(rows))
    return header + "\n" + body


def _npz(path: Path, **arrays) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return path


class _Hostile:
    """Unpickling this calls ``open(SENTINEL, "w")``: it would create a file in the working directory."""

    def __reduce__(self):
        return (open, (SENTINEL, "w"))


def hostile_pickle(inner_key: bytes = b"data") -> bytes:
    """A CIFAR-looking batch whose data entry runs code when unpickled by plain ``pickle``."""
    return pickle.dumps({inner_key: _Hostile(), b"labels": [0, 1]}, protocol=2)


def _idx(path: Path, array: np.ndarray, *, code: int = 0x08) -> Path:
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return _bytes(path, header + array.astype(">u1").tobytes())


def _png(size: tuple[int, int] = (8, 8), mode: str = "L", value: int = 128) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new(mode, size, value).save(buf, format="PNG")
    return buf.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG signature and IHDR chunk claiming a huge image: opening it must not decode 400 M pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    end = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + chunk + end


def _cifar_batch(path: Path, payload: dict) -> Path:
    return _bytes(path, pickle.dumps(payload, protocol=2))


def _run_folder(d: Path, config: str | None = None, weights: bytes | None = None) -> str:
    folder = d / "run"
    folder.mkdir(parents=True, exist_ok=True)
    if config is not None:
        _text(folder / "config.json", config)
    if weights is not None:
        _bytes(folder / "model.safetensors", weights)
    return "run"


def _copy_model(shared: Path, d: Path, name: str, *, config_edit: Callable[[dict], None] | None = None,
                weights: bytes | None = None) -> str:
    """A copy of a shared model folder with its config or weights damaged."""
    import json

    src = shared / name
    dst = d / name
    dst.mkdir(parents=True)
    config = json.loads((src / "config.json").read_text(encoding="utf-8"))
    if config_edit is not None:
        config_edit(config)
    _text(dst / "config.json", json.dumps(config))
    _bytes(dst / "model.safetensors", weights if weights is not None else (src / "model.safetensors").read_bytes())
    return name


# ----- the task file: syntax, keys, types, ranges, names ------------------------------------------------


def _toml(data: str = 'source = "digits"', extra: str = "", name: str = "t") -> str:
    return f'name = "{name}"\n[data]\n{data}\n{extra}'


# (id, the bytes of task.toml, the words the error must hold); "train-..." runs `sizeup train task.toml --family
# mlp`, "search-..." runs `sizeup search task.toml --trials 1`
TOML_CASES = [
    ("train-toml-syntax", 'name = "t"\n[data\nsource = "digits"\n', ("task.toml", "malformed TOML", "line 2")),
    ("train-toml-duplicate-key", 'name = "t"\nname = "u"\n[data]\nsource = "digits"\n', ("task.toml", "malformed TOML")),
    ("train-task-not-utf8", b'name = "\xff\xfe"\n[data]\nsource = "digits"\n', ("task.toml", "UTF-8")),
    ("train-task-binary", bytes(range(256)) * 4, ("task.toml",)),
    ("train-task-empty", b"", ("task.toml", "name", "missing")),
    ("train-unknown-top-level-key", 'name = "t"\nnmae = "u"\n[data]\nsource = "digits"\n',
     ("task.toml", "unknown key", "nmae")),
    ("train-unknown-section", _toml(extra="[trian]\nepochs = 2\n"), ("task.toml", "[trian]")),
    ("train-unknown-data-key", _toml('source = "digits"\nsorce = "x.csv"'), ("task.toml", "[data] sorce")),
    ("train-missing-data-section", 'name = "t"\n', ("task.toml", "data", "missing")),
    ("train-missing-data-source", _toml('task = "classification"'), ("task.toml", "[data] source", "missing")),
    ("train-data-is-a-string", 'name = "t"\ndata = "digits"\n', ("task.toml", "data", "'digits'")),
    ("train-name-wrong-type", 'name = 5\n[data]\nsource = "digits"\n', ("task.toml", "name", "5")),
    ("train-val-fraction-wrong-type", _toml('source = "digits"\nval_fraction = "a tenth"'),
     ("task.toml", "[data] val_fraction", "'a tenth'")),
    ("train-val-fraction-out-of-range", _toml('source = "digits"\nval_fraction = 1.5'),
     ("task.toml", "[data] val_fraction", "1.5")),
    ("train-max-params-negative", _toml(extra="[constraints]\nmax_params = -1\n"),
     ("task.toml", "[constraints] max_params", "-1")),
    ("train-budget-not-a-duration", _toml(extra='[budget]\ntime = "soon"\n'), ("task.toml", "[budget] time", "soon")),
    ("search-budget-trials-zero", _toml(extra="[budget]\ntrials = 0\n"), ("task.toml", "[budget] trials", "0")),
    ("train-epochs-zero", _toml(extra="[train]\nepochs = 0\n"), ("task.toml", "[train] epochs", "0")),
    ("train-optimizer-unknown", _toml(extra='[train]\noptimizer = "lion"\n'),
     ("task.toml", "[train] optimizer", "lion", "adamw")),
    ("train-lr-wrong-type", _toml(extra='[train]\nlr = "fast"\n'), ("task.toml", "[train] lr", "fast")),
    ("train-seed-negative", _toml(extra="[train]\nseed = -1\n"), ("task.toml", "[train] seed", "-1")),
    ("train-task-kind-unknown", _toml('source = "digits"\ntask = "clustering"'),
     ("task.toml", "[data] task", "clustering", "classification")),
    ("train-tokenizer-unknown", _toml('source = "digits"\ntokenizer = "sentencepiece"'),
     ("task.toml", "[data] tokenizer", "sentencepiece")),
    ("train-image-size-one-number", _toml('source = "digits"\nimage_size = [8]'),
     ("task.toml", "[data] image_size", "[8]")),
    ("train-features-empty", _toml('source = "digits"\nfeatures = []'), ("task.toml", "[data] features", "[]")),
    ("search-families-empty", _toml(extra="[search]\nfamilies = []\n"), ("task.toml", "[search] families", "[]")),
    ("search-family-unknown", _toml(extra='[search]\nfamilies = ["resnet"]\n'), ("resnet", "mlp")),
    ("train-metric-unknown", _toml(extra='[search]\nmetric = "acc"\n'),
     ("task.toml", "[search] metric", "acc", "accuracy")),
    ("train-metric-of-another-task", _toml(extra='[search]\nmetric = "rmse"\n'),
     ("task.toml", "[search] metric", "rmse", "classification")),
    ("search-compress-method-unknown", _toml(extra='[search]\ncompress = ["zip"]\n'),
     ("task.toml", "[search] compress", "zip")),
    ("train-name-pattern", _toml(name="my task/1"), ("task.toml", "name", "[A-Za-z0-9]", "my task/1")),
    ("train-name-escapes-runs", _toml(name="../../escaped"), ("task.toml", "name", "../../escaped")),
    ("search-name-very-long", _toml(name="n" * 300), ("task.toml", "name", "100")),
]


def _toml_case(command: str, content: str | bytes) -> Callable[[Path, Path], list[str]]:
    def build(d: Path, s: Path) -> list[str]:
        _bytes(d / "task.toml", content.encode() if isinstance(content, str) else content)
        return ["train", "task.toml", "--family", "mlp"] if command == "train" else [
            "search", "task.toml", "--trials", "1"]

    return build


CASES += [Case(id_, _toml_case(id_.split("-", 1)[0], content), words) for id_, content, words in TOML_CASES]


@case("train-task-missing", "nope.toml", "not found")
def _(d, s):
    return ["train", "nope.toml", "--family", "mlp"]


@case("train-task-is-a-folder", "folder.toml", "is a folder")
def _(d, s):
    (d / "folder.toml").mkdir()
    return ["train", "folder.toml", "--family", "mlp"]


@case("search-resume-and-force", "--resume", "--force")
def _(d, s):
    return ["search", _task(d, 'source = "digits"'), "--resume", "--force"]


# ----- [data] source: paths and names --------------------------------------------------------------------


@case("train-source-missing", "[data] source", "nope.csv")
def _(d, s):
    return _train(d, 'source = "nope.csv"')


@case("train-source-dotdot", "[data] source", "../../../../../../etc/passwd")
def _(d, s):
    return _train(d, 'source = "../../../../../../etc/passwd"')


@case("train-source-very-long-name", "[data] source", "too long")
def _(d, s):
    return _train(d, f'source = "{"x" * 300}.csv"')


@case("train-source-device-file", "[data] source", "/dev/null")
def _(d, s):
    return _train(d, 'source = "/dev/null"')


@case("train-source-shell-metacharacters", "$(touch PWNED); x.csv", "column 'label'", "one class")
def _(d, s):
    _text(d / "$(touch PWNED); x.csv", _csv(classes=1))
    return _train(d, "source = '$(touch PWNED); x.csv'")


@case("train-source-empty-folder", "[data] source", "empty", "no data")
def _(d, s):
    (d / "empty").mkdir()
    return _train(d, 'source = "empty"')


@case("train-source-unknown-extension", "[data] source", ".xlsx")
def _(d, s):
    _bytes(d / "data.xlsx", b"PK\x03\x04 not really a workbook")
    return _train(d, 'source = "data.xlsx"')


@case("train-format-images-on-a-file", "[data] source", "images", "folder")
def _(d, s):
    _text(d / "data.csv", _csv())
    return _train(d, 'source = "data.csv"\nformat = "images"')


# ----- CSV and Parquet -----------------------------------------------------------------------------------


_TWO_ROWS = "a,b,label\n1,2,0\n3,4,1\n"
_RANDOM_BYTES = bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8))

# (id, the bytes of data.csv, the [data] table of the task file, the words the error must hold): `sizeup train`
CSV_CASES = [
    ("empty-file", b"", 'source = "data.csv"', ("data.csv", "empty")),
    ("header-only", "a,b,label\n", 'source = "data.csv"', ("data.csv", "no rows")),
    ("two-rows", _TWO_ROWS, 'source = "data.csv"', ("data.csv", "2 samples", "at least 4")),
    ("one-class", _csv(classes=1), 'source = "data.csv"', ("data.csv", "column 'label'", "one class only", "'0'")),
    ("ragged", "a,b,label\n1,2,0\n1,2,3,4\n" + _csv().split("\n", 1)[1], 'source = "data.csv"',
     ("data.csv", "not valid CSV", "line 3")),
    ("not-utf8", "a,b,label\n".encode() + "é,1,0\n".encode("latin-1") * 30, 'source = "data.csv"\ntext = "a"',
     ("data.csv", "UTF-8")),
    ("binary", _RANDOM_BYTES, 'source = "data.csv"', ("data.csv",)),
    ("nan-feature", _csv().replace("\n3,", "\nnan,", 1), 'source = "data.csv"', ("data.csv", "column 'a'", "missing")),
    ("nan-target", _csv() + "1,2,\n", 'source = "data.csv"', ("data.csv", "column 'label'", "missing")),
    ("infinite-feature", _csv() + "1,1e400,0\n", 'source = "data.csv"', ("data.csv", "column 'b'", "infinite")),
    ("target-column-missing", _csv(), 'source = "data.csv"\ntarget = "y"', ("data.csv", "column 'y'", "[data] target")),
    ("text-in-numeric-feature", _csv().replace("\n1,3,", "\n1,three,", 1), 'source = "data.csv"',
     ("data.csv", "column 'b'", "not numeric")),
    ("fractional-class-label", _csv() + "1,2,0.5\n", 'source = "data.csv"', ("data.csv", "column 'label'", "0.5")),
    ("regression-text-target", _csv().replace(",0\n", ",cat\n"), 'source = "data.csv"\ntask = "regression"',
     ("data.csv", "column 'label'", "regression")),
    ("target-among-features", _csv(), 'source = "data.csv"\nfeatures = ["a", "label"]',
     ("task.toml", "[data] features", "'label'")),
    ("feature-missing", _csv(), 'source = "data.csv"\nfeatures = ["a", "c"]',
     ("data.csv", "column 'c'", "[data] features")),
    ("text-and-features", _csv(), 'source = "data.csv"\ntext = "a"\nfeatures = ["b"]',
     ("task.toml", "[data] text", "[data] features")),
]


def _csv_case(content: str | bytes, data: str) -> Callable[[Path, Path], list[str]]:
    def build(d: Path, s: Path) -> list[str]:
        _bytes(d / "data.csv", content.encode() if isinstance(content, str) else content)
        return _train(d, data)

    return build


CASES += [Case(f"train-csv-{name}", _csv_case(content, data), words) for name, content, data, words in CSV_CASES]


@case("search-csv-two-rows", "data.csv", "2 samples", "[data] test_fraction")
def _(d, s):
    _text(d / "data.csv", _TWO_ROWS)
    return ["search", _task(d), "--trials", "1"]


@case("train-parquet-corrupt", "data.parquet", "parquet")
def _(d, s):
    _bytes(d / "data.parquet", b"PAR1" + bytes(range(200)) + b"PAR1")
    return _train(d, 'source = "data.parquet"')


@case("train-parquet-empty-file", "data.parquet", "parquet")
def _(d, s):
    _bytes(d / "data.parquet", b"")
    return _train(d, 'source = "data.parquet"')


# ----- .npz arrays ---------------------------------------------------------------------------------------


@case("train-npz-not-a-zip", "data.npz", "not an .npz")
def _(d, s):
    _text(d / "data.npz", "x,y\n1,2\n")
    return _train(d, 'source = "data.npz"')


@case("train-npz-truncated", "data.npz")
def _(d, s):
    full = _npz(d / "full.npz", x=np.zeros((40, 3)), y=np.arange(40) % 2).read_bytes()
    (d / "full.npz").unlink()
    # keep the central directory (so it still looks like a zip) but cut into the members' data
    _bytes(d / "data.npz", full[:200] + full[-300:])
    return _train(d, 'source = "data.npz"')


@case("train-npz-pickled-object-array", "data.npz", "pickled Python objects")
def _(d, s):
    hostile = np.empty(2, dtype=object)
    hostile[0] = _Hostile()
    hostile[1] = 1
    with zipfile.ZipFile(d / "data.npz", "w") as z:
        for key, arr in (("x", hostile), ("y", np.array([0, 1]))):
            buf = io.BytesIO()
            np.save(buf, arr, allow_pickle=True)
            z.writestr(f"{key}.npy", buf.getvalue())
    return _train(d, 'source = "data.npz"')


@case("train-npz-missing-y", "data.npz", "'y'", "x")
def _(d, s):
    _npz(d / "data.npz", x=np.zeros((40, 3)))
    return _train(d, 'source = "data.npz"')


@case("train-npz-member-not-an-array", "data.npz", "'x'")
def _(d, s):
    with zipfile.ZipFile(d / "data.npz", "w") as z:
        z.writestr("x", b"not an array")
        buf = io.BytesIO()
        np.save(buf, np.arange(40) % 2)
        z.writestr("y.npy", buf.getvalue())
    return _train(d, 'source = "data.npz"')


@case("train-npz-one-dimensional-x", "data.npz", "shape (40,)")
def _(d, s):
    _npz(d / "data.npz", x=np.zeros(40), y=np.arange(40) % 2)
    return _train(d, 'source = "data.npz"')


@case("train-npz-scalar-x", "data.npz", "x")
def _(d, s):
    _npz(d / "data.npz", x=np.float64(3.0), y=np.arange(40) % 2)
    return _train(d, 'source = "data.npz"')


@case("train-npz-nan", "data.npz", "NaN")
def _(d, s):
    x = np.random.default_rng(0).normal(size=(40, 3))
    x[5, 1] = np.nan
    _npz(d / "data.npz", x=x, y=np.arange(40) % 2)
    return _train(d, 'source = "data.npz"')


@case("train-npz-length-mismatch", "data.npz", "40 samples", "39")
def _(d, s):
    _npz(d / "data.npz", x=np.zeros((40, 3)), y=np.arange(39) % 2)
    return _train(d, 'source = "data.npz"')


@case("train-npz-complex-values", "data.npz", "complex")
def _(d, s):
    _npz(d / "data.npz", x=np.zeros((40, 3), dtype=complex), y=np.arange(40) % 2)
    return _train(d, 'source = "data.npz"')


@case("train-npz-labels-two-dimensional", "data.npz", "one per sample")
def _(d, s):
    _npz(d / "data.npz", x=np.zeros((40, 3)), y=np.zeros((40, 2), dtype=int))
    return _train(d, 'source = "data.npz"')


@case("train-npz-test-shape-mismatch", "data.npz", "x_test", "make them match")
def _(d, s):
    _npz(d / "data.npz", x=np.zeros((40, 3)), y=np.arange(40) % 2, x_test=np.zeros((10, 4)), y_test=np.arange(10) % 2)
    return _train(d, 'source = "data.npz"')


@case("train-npz-pixels-out-of-range", "data.npz", "pixel values")
def _(d, s):
    x = np.full((40, 1, 4, 4), 300.0)
    _npz(d / "data.npz", x=x, y=np.arange(40) % 2)
    return _train(d, 'source = "data.npz"')


@case("train-npz-one-class", "data.npz", "one class")
def _(d, s):
    _npz(d / "data.npz", x=np.random.default_rng(0).normal(size=(40, 3)), y=np.zeros(40, dtype=int))
    return _train(d, 'source = "data.npz"')


@case("train-npz-too-few-samples", "data.npz", "2 samples", "[data] val_fraction")
def _(d, s):
    _npz(d / "data.npz", x=np.zeros((2, 2)), y=np.array([0, 1]))
    return _train(d, 'source = "data.npz"')


# ----- MNIST IDX -----------------------------------------------------------------------------------------


def _idx_pair(d: Path, n_images: int = 20, n_labels: int = 20) -> None:
    rng = np.random.default_rng(0)
    _idx(d / "mnist" / "train-images-idx3-ubyte", rng.integers(0, 256, (n_images, 4, 4)))
    _idx(d / "mnist" / "train-labels-idx1-ubyte", np.arange(n_labels) % 3)


@case("train-idx-bad-magic", "train-images-idx3-ubyte", "magic")
def _(d, s):
    _idx_pair(d)
    _bytes(d / "mnist" / "train-images-idx3-ubyte", b"\x01\x02\x03\x04" + bytes(100))
    return _train(d, 'source = "mnist"')


@case("train-idx-truncated", "train-images-idx3-ubyte", "truncated")
def _(d, s):
    _idx_pair(d)
    path = d / "mnist" / "train-images-idx3-ubyte"
    _bytes(path, path.read_bytes()[:-7])
    return _train(d, 'source = "mnist"')


@case("train-idx-header-too-many-dims", "train-images-idx3-ubyte", "header")
def _(d, s):
    _idx_pair(d)
    _bytes(d / "mnist" / "train-images-idx3-ubyte", bytes([0, 0, 8, 200]) + bytes(16))
    return _train(d, 'source = "mnist"')


@case("train-idx-header-overflows", "train-images-idx3-ubyte", "header")
def _(d, s):
    _idx_pair(d)
    _bytes(d / "mnist" / "train-images-idx3-ubyte", bytes([0, 0, 8, 3]) + struct.pack(">3I", 2**32 - 1, 2**32 - 1, 2**31))
    return _train(d, 'source = "mnist"')


@case("train-idx-gzip-corrupt", "train-images-idx3-ubyte.gz")
def _(d, s):
    _idx_pair(d)
    path = d / "mnist" / "train-images-idx3-ubyte"
    packed = gzip.compress(path.read_bytes())
    path.unlink()
    _bytes(d / "mnist" / "train-images-idx3-ubyte.gz", packed[:12] + b"\xff" * 20 + packed[32:])
    return _train(d, 'source = "mnist"')


@case("train-idx-labels-missing", "train-labels-idx1-ubyte", "not found")
def _(d, s):
    _idx_pair(d)
    (d / "mnist" / "train-labels-idx1-ubyte").unlink()
    _idx(d / "mnist" / "train-images-idx3-ubyte", np.zeros((20, 4, 4)))
    return _train(d, 'source = "mnist/train-images-idx3-ubyte"')


@case("train-idx-count-mismatch", "mnist", "labels", "(19,)")
def _(d, s):
    _idx_pair(d, n_labels=19)
    return _train(d, 'source = "mnist"')


# ----- CIFAR-10 python batches (pickles) -----------------------------------------------------------------


@case("train-cifar-hostile-pickle", "data_batch_1", "refusing to load")
def _(d, s):
    _bytes(d / "cifar" / "data_batch_1", hostile_pickle())
    return _train(d, 'source = "cifar"')


@case("train-cifar-hostile-meta", "batches.meta", "refusing")
def _(d, s):
    rng = np.random.default_rng(0)
    _cifar_batch(d / "cifar" / "data_batch_1", {b"data": rng.integers(0, 256, (20, 3072), dtype=np.uint8),
                                                b"labels": list(np.arange(20) % 3)})
    _bytes(d / "cifar" / "batches.meta", pickle.dumps({b"label_names": _Hostile()}, protocol=2))
    return _train(d, 'source = "cifar"')


@case("train-cifar-not-a-pickle", "data_batch_1", "CIFAR-10")
def _(d, s):
    _bytes(d / "cifar" / "data_batch_1", bytes(np.random.default_rng(1).integers(0, 256, 500, dtype=np.uint8)))
    return _train(d, 'source = "cifar"')


@case("train-cifar-pickled-list", "data_batch_1", "list")
def _(d, s):
    _bytes(d / "cifar" / "data_batch_1", pickle.dumps([1, 2, 3]))
    return _train(d, 'source = "cifar"')


@case("train-cifar-labels-missing", "data_batch_1", "b'labels'")
def _(d, s):
    _cifar_batch(d / "cifar" / "data_batch_1", {b"data": np.zeros((4, 3072), dtype=np.uint8)})
    return _train(d, 'source = "cifar"')


@case("train-cifar-wrong-shape", "data_batch_1", "3072")
def _(d, s):
    _cifar_batch(d / "cifar" / "data_batch_1", {b"data": np.zeros((4, 100), dtype=np.uint8), b"labels": [0, 1, 2, 3]})
    return _train(d, 'source = "cifar"')


@case("train-cifar-data-not-numbers", "data_batch_1", "b'data'")
def _(d, s):
    _cifar_batch(d / "cifar" / "data_batch_1", {b"data": ["a", "b"], b"labels": [0, 1]})
    return _train(d, 'source = "cifar"')


# ----- image folders -------------------------------------------------------------------------------------


def _images(d: Path, classes=("cat", "dog"), per_class: int = 12) -> None:
    for c in classes:
        for i in range(per_class):
            _bytes(d / "imgs" / c / f"{i}.png", _png(value=20 * i))


@case("train-image-corrupt", "imgs/dog/3.png", "not a readable image")
def _(d, s):
    _images(d)
    _bytes(d / "imgs" / "dog" / "3.png", b"this is not a png")
    return _train(d, 'source = "imgs"')


@case("train-image-truncated", "imgs/cat/0.png", "image")
def _(d, s):
    _images(d)
    png = _png((16, 16), "RGB", 7)
    _bytes(d / "imgs" / "cat" / "0.png", png[: len(png) // 2])
    return _train(d, 'source = "imgs"')


@case("train-image-decompression-bomb", "imgs/cat/0.png", "pixels")
def _(d, s):
    _images(d)
    _bytes(d / "imgs" / "cat" / "0.png", _png_header_only(40_000, 40_000))
    return _train(d, 'source = "imgs"')


@case("train-image-one-class", "imgs", "one class only", "'cat'")
def _(d, s):
    _images(d, classes=("cat",))
    return _train(d, 'source = "imgs"')


@case("train-image-no-class-folders", "[data] source", "sub-folder per class")
def _(d, s):
    for i in range(3):
        _bytes(d / "imgs" / f"{i}.png", _png())
    return _train(d, 'source = "imgs"')


@case("train-image-empty-class-folder", "imgs/dog", "no PNG/JPEG")
def _(d, s):
    _images(d, classes=("cat",))
    (d / "imgs" / "dog").mkdir()
    return _train(d, 'source = "imgs"')


@case("train-image-sizes-differ", "imgs/dog/0.png", "image_size")
def _(d, s):
    _images(d)
    _bytes(d / "imgs" / "dog" / "0.png", _png((9, 8)))
    return _train(d, 'source = "imgs"')


@case("train-image-16-bit", "imgs/cat/0.png", "8-bit")
def _(d, s):
    _images(d)
    _bytes(d / "imgs" / "cat" / "0.png", _png(mode="I;16", value=40000))
    return _train(d, 'source = "imgs"')


# ----- text corpora --------------------------------------------------------------------------------------


def _corpus_case(content: bytes) -> Callable[[Path, Path], list[str]]:
    def build(d: Path, s: Path) -> list[str]:
        _bytes(d / "corpus.txt", content)
        return ["train", _task(d, 'source = "corpus.txt"\ntask = "language-modeling"'), "--family", "gpt"]

    return build


CASES += [Case(f"train-corpus-{name}", _corpus_case(content), words) for name, content, words in (
    ("empty", b"   \n", ("corpus", "empty")),
    ("not-utf8", "naïve café ".encode("latin-1") * 100, ("corpus.txt", "UTF-8")),
    ("too-short", b"a short text.", ("corpus", "[data] block_size")),
)]


@case("train-corpus-for-classification", "corpus.txt", "language-modeling")
def _(d, s):
    _text(d / "corpus.txt", "some words " * 100)
    return _train(d, 'source = "corpus.txt"')


# ----- run folders: compress, explain, report, generate --------------------------------------------------


@case("compress-run-missing", "nowhere", "not found")
def _(d, s):
    return ["compress", "nowhere", "-m", "int8"]


@case("compress-folder-without-model", "run", "no model")
def _(d, s):
    _run_folder(d)
    return ["compress", "run", "-m", "int8"]


@case("compress-config-not-json", "config.json", "not valid JSON")
def _(d, s):
    return ["compress", _run_folder(d, config="{not json", weights=b"x"), "-m", "int8"]


@case("compress-config-without-family", "config.json", "'family'")
def _(d, s):
    return ["compress", _copy_model(s, d, "mlp", config_edit=lambda c: c.pop("family")), "-m", "int8"]


@case("compress-config-unknown-family", "config.json", "resnet")
def _(d, s):
    return ["compress", _copy_model(s, d, "mlp", config_edit=lambda c: c.update(family="resnet")), "-m", "int8"]


@case("compress-config-bad-knob", "config.json", "width")
def _(d, s):
    return ["compress", _copy_model(s, d, "mlp", config_edit=lambda c: c["config"].update(width=-3)), "-m", "int8"]


@case("compress-weights-corrupt", "model.safetensors")
def _(d, s):
    return ["compress", _copy_model(s, d, "mlp", weights=b"\x08\x00\x00\x00\x00\x00\x00\x00{garbage"), "-m", "int8"]


@case("compress-weights-of-another-model", "model.safetensors", "size mismatch")
def _(d, s):
    return ["compress", _copy_model(s, d, "mlp", config_edit=lambda c: c["config"].update(width=48)), "-m", "int8"]


@case("compress-method-unknown", "zip", "int8")
def _(d, s):
    return ["compress", str(s / "mlp"), "-m", "zip"]


@case("compress-task-does-not-fit", "do not fit", "--task")
def _(d, s):
    return ["compress", str(s / "mlp"), "-m", "int8", "--task", _task(d, 'source = "digits"')]


@case("compress-task-metric-unknown", "task.toml", "[search] metric", "acc")
def _(d, s):
    task = _task(d, f"source = '{s / 'data.csv'}'", '[search]\nmetric = "acc"\n')
    return ["compress", str(s / "mlp"), "-m", "int8", "--task", task]


@case("explain-run-missing", "nowhere", "neither a run folder")
def _(d, s):
    return ["explain", "nowhere"]


@case("explain-samples-zero", "--samples")
def _(d, s):
    return ["explain", str(s / "mlp"), "--samples", "0"]


@case("explain-weights-truncated", "model.safetensors")
def _(d, s):
    weights = (s / "mlp" / "model.safetensors").read_bytes()
    task = _task(d, f"source = '{s / 'data.csv'}'")
    return ["explain", _copy_model(s, d, "mlp", weights=weights[: len(weights) // 2]), "--task", task]


@case("explain-task-file-broken", "task.toml", "malformed TOML")
def _(d, s):
    _text(d / "task.toml", "name = ")
    return ["explain", str(s / "mlp"), "--task", "task.toml"]


@case("report-run-missing", "nowhere")
def _(d, s):
    return ["report", "nowhere"]


@case("report-not-a-run", "folder")
def _(d, s):
    _text(d / "folder" / "notes.txt", "hello")
    return ["report", "folder"]


@case("report-unfinished-run", "recommendation.json", "not found")
def _(d, s):  # the report reads the run folder's files; a search that never finished wrote no recommendation
    _bytes(d / "run" / "study.db", b"SQLite format 3\x00" + bytes(200))
    _text(d / "run" / "leaderboard.csv", "trial,model\n")
    return ["report", "run"]


@case("report-recommendation-corrupt", "recommendation.json", "not valid JSON")
def _(d, s):
    _text(d / "run" / "leaderboard.csv", "id,trial,model,status\n")
    _text(d / "run" / "recommendation.json", "{not json")
    return ["report", "run"]


@case("generate-run-missing", "nowhere", "not found")
def _(d, s):
    return ["generate", "nowhere", "--prompt", "the"]


@case("generate-classifier", "mlp", "language")
def _(d, s):
    return ["generate", str(s / "mlp"), "--prompt", "the"]


@case("generate-zero-tokens", "max_new_tokens", "0")
def _(d, s):
    return ["generate", str(s / "gpt"), "--prompt", "the", "-n", "0"]


@case("generate-negative-temperature", "temperature", "-1")
def _(d, s):
    return ["generate", str(s / "gpt"), "--prompt", "the", "--temperature", "-1"]


@case("generate-config-not-json", "config.json", "not valid JSON")
def _(d, s):
    return ["generate", _run_folder(d, config="[1, 2", weights=b""), "--prompt", "the"]


# ----- estimate ------------------------------------------------------------------------------------------


@case("estimate-model-unknown", "llama-9", "catalog id")
def _(d, s):
    return ["estimate", "llama-9"]


@case("estimate-hardware-unknown", "h1000")
def _(d, s):
    return ["estimate", "llama-3.1-8b", "--hardware", "h1000"]


@case("estimate-dtype-unknown", "fp7")
def _(d, s):
    return ["estimate", "llama-3.1-8b", "--dtype", "fp7"]


@case("estimate-batch-zero", "batch", "0")
def _(d, s):
    return ["estimate", "llama-3.1-8b", "--batch", "0"]


@case("estimate-config-not-json", "config.json", "JSON")
def _(d, s):
    _text(d / "hf" / "config.json", "{'hidden_size': 4096")
    return ["estimate", "hf/config.json"]


@case("estimate-config-missing-keys", "config.json", "hidden_size")
def _(d, s):
    _text(d / "hf" / "config.json", '{"model_type": "llama"}')
    return ["estimate", "hf/config.json"]


@case("estimate-safetensors-header-not-a-table", "model.safetensors")
def _(d, s):
    import json

    _text(d / "hf" / "config.json", json.dumps({
        "model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 100, "max_position_embeddings": 128}))
    header = b'{"w": 5}'
    _bytes(d / "hf" / "model.safetensors", struct.pack("<Q", len(header)) + header)
    return ["estimate", "hf"]


@case("estimate-zoo-spec-unknown-family", "resnet")
def _(d, s):
    return ["estimate", "resnet:width=3", "--task", _task(d, 'source = "digits"')]


@case("estimate-zoo-spec-without-task", "--task")
def _(d, s):
    return ["estimate", "cnn:width=32"]


@case("estimate-zoo-spec-broken-task", "task.toml", "[data] source")
def _(d, s):
    _text(d / "task.toml", 'name = "t"\n[data]\nsorce = "digits"\n')
    return ["estimate", "cnn:width=32", "--task", "task.toml"]
