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
    _text(d / "task.toml", f'name = "{name}"\n[data]\n{data}\n{extra}')
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


@case("train-toml-syntax", "task.toml", "malformed TOML", "line 2")
def _(d, s):
    _text(d / "task.toml", 'name = "t"\n[data\nsource = "digits"\n')
    return ["train", "task.toml", "--family", "mlp"]


@case("train-toml-duplicate-key", "task.toml", "malformed TOML")
def _(d, s):
    _text(d / "task.toml", 'name = "t"\nname = "u"\n[data]\nsource = "digits"\n')
    return ["train", "task.toml", "--family", "mlp"]


@case("train-task-not-utf8", "task.toml", "UTF-8")
def _(d, s):
    _bytes(d / "task.toml", b'name = "\xff\xfe"\n[data]\nsource = "digits"\n')
    return ["train", "task.toml", "--family", "mlp"]


@case("train-task-binary", "task.toml")
def _(d, s):
    _bytes(d / "task.toml", bytes(range(256)) * 4)
    return ["train", "task.toml", "--family", "mlp"]


@case("train-task-empty", "task.toml", "name", "missing")
def _(d, s):
    _bytes(d / "task.toml", b"")
    return ["train", "task.toml", "--family", "mlp"]


@case("train-task-missing", "nope.toml", "not found")
def _(d, s):
    return ["train", "nope.toml", "--family", "mlp"]


@case("train-task-is-a-folder", "folder.toml", "is a folder")
def _(d, s):
    (d / "folder.toml").mkdir()
    return ["train", "folder.toml", "--family", "mlp"]


@case("train-unknown-top-level-key", "task.toml", "unknown key", "nmae")
def _(d, s):
    _text(d / "task.toml", 'name = "t"\nnmae = "u"\n[data]\nsource = "digits"\n')
    return ["train", "task.toml", "--family", "mlp"]


@case("train-unknown-section", "task.toml", "[trian]")
def _(d, s):
    return _train(d, 'source = "digits"', "[trian]\nepochs = 2\n")


@case("train-unknown-data-key", "task.toml", "[data] sorce")
def _(d, s):
    return _train(d, 'source = "digits"\nsorce = "x.csv"')


@case("train-missing-data-section", "task.toml", "data", "missing")
def _(d, s):
    _text(d / "task.toml", 'name = "t"\n')
    return ["train", "task.toml", "--family", "mlp"]


@case("train-missing-data-source", "task.toml", "[data] source", "missing")
def _(d, s):
    return _train(d, 'task = "classification"')


@case("train-data-is-a-string", "task.toml", "data", "'digits'")
def _(d, s):
    _text(d / "task.toml", 'name = "t"\ndata = "digits"\n')
    return ["train", "task.toml", "--family", "mlp"]


@case("train-name-wrong-type", "task.toml", "name", "5")
def _(d, s):
    _text(d / "task.toml", 'name = 5\n[data]\nsource = "digits"\n')
    return ["train", "task.toml", "--family", "mlp"]


@case("train-val-fraction-wrong-type", "task.toml", "[data] val_fraction", "'a tenth'")
def _(d, s):
    return _train(d, 'source = "digits"\nval_fraction = "a tenth"')


@case("train-val-fraction-out-of-range", "task.toml", "[data] val_fraction", "1.5")
def _(d, s):
    return _train(d, 'source = "digits"\nval_fraction = 1.5')


@case("train-max-params-negative", "task.toml", "[constraints] max_params", "-1")
def _(d, s):
    return _train(d, 'source = "digits"', "[constraints]\nmax_params = -1\n")


@case("train-budget-not-a-duration", "task.toml", "[budget] time", "soon")
def _(d, s):
    return _train(d, 'source = "digits"', '[budget]\ntime = "soon"\n')


@case("search-budget-trials-zero", "task.toml", "[budget] trials", "0")
def _(d, s):
    return ["search", _task(d, 'source = "digits"', "[budget]\ntrials = 0\n")]


@case("train-epochs-zero", "task.toml", "[train] epochs", "0")
def _(d, s):
    return _train(d, 'source = "digits"', "[train]\nepochs = 0\n")


@case("train-optimizer-unknown", "task.toml", "[train] optimizer", "lion", "adamw")
def _(d, s):
    return _train(d, 'source = "digits"', '[train]\noptimizer = "lion"\n')


@case("train-lr-wrong-type", "task.toml", "[train] lr", "fast")
def _(d, s):
    return _train(d, 'source = "digits"', '[train]\nlr = "fast"\n')


@case("train-seed-negative", "task.toml", "[train] seed", "-1")
def _(d, s):
    return _train(d, 'source = "digits"', "[train]\nseed = -1\n")


@case("train-task-kind-unknown", "task.toml", "[data] task", "clustering", "classification")
def _(d, s):
    return _train(d, 'source = "digits"\ntask = "clustering"')


@case("train-tokenizer-unknown", "task.toml", "[data] tokenizer", "sentencepiece")
def _(d, s):
    return _train(d, 'source = "digits"\ntokenizer = "sentencepiece"')


@case("train-image-size-one-number", "task.toml", "[data] image_size", "[8]")
def _(d, s):
    return _train(d, 'source = "digits"\nimage_size = [8]')


@case("train-features-empty", "task.toml", "[data] features", "[]")
def _(d, s):
    return _train(d, 'source = "digits"\nfeatures = []')


@case("search-families-empty", "task.toml", "[search] families", "[]")
def _(d, s):
    return ["search", _task(d, 'source = "digits"', "[search]\nfamilies = []\n"), "--trials", "1"]


@case("search-family-unknown", "resnet", "mlp")
def _(d, s):
    return ["search", _task(d, 'source = "digits"', '[search]\nfamilies = ["resnet"]\n'), "--trials", "1"]


@case("train-metric-unknown", "task.toml", "[search] metric", "acc", "accuracy")
def _(d, s):
    return _train(d, 'source = "digits"', '[search]\nmetric = "acc"\n')


@case("train-metric-of-another-task", "task.toml", "[search] metric", "rmse", "classification")
def _(d, s):
    return _train(d, 'source = "digits"', '[search]\nmetric = "rmse"\n')


@case("search-compress-method-unknown", "task.toml", "[search] compress", "zip")
def _(d, s):
    return ["search", _task(d, 'source = "digits"', '[search]\ncompress = ["zip"]\n'), "--trials", "1"]


@case("train-name-pattern", "task.toml", "name", "[A-Za-z0-9]", "my task/1")
def _(d, s):
    return ["train", _task(d, 'source = "digits"', name="my task/1"), "--family", "mlp"]


@case("train-name-escapes-runs", "task.toml", "name", "../../escaped")
def _(d, s):
    return ["train", _task(d, 'source = "digits"', name="../../escaped"), "--family", "mlp"]


@case("search-name-very-long", "task.toml", "name", "100")
def _(d, s):
    return ["search", _task(d, 'source = "digits"', name="n" * 300), "--trials", "1"]


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


@case("train-csv-empty-file", "data.csv", "empty")
def _(d, s):
    _bytes(d / "data.csv", b"")
    return _train(d)


@case("train-csv-header-only", "data.csv", "no rows")
def _(d, s):
    _text(d / "data.csv", "a,b,label\n")
    return _train(d)


@case("train-csv-two-rows", "data.csv", "2 samples", "at least 4")
def _(d, s):
    _text(d / "data.csv", "a,b,label\n1,2,0\n3,4,1\n")
    return _train(d)


@case("search-csv-two-rows", "data.csv", "2 samples", "[data] test_fraction")
def _(d, s):
    _text(d / "data.csv", "a,b,label\n1,2,0\n3,4,1\n")
    return ["search", _task(d), "--trials", "1"]


@case("train-csv-one-class", "data.csv", "column 'label'", "one class only", "'0'")
def _(d, s):
    _text(d / "data.csv", _csv(classes=1))
    return _train(d)


@case("train-csv-ragged", "data.csv", "not valid CSV", "line 3")
def _(d, s):
    _text(d / "data.csv", "a,b,label\n1,2,0\n1,2,3,4\n" + _csv().split("\n", 1)[1])
    return _train(d)


@case("train-csv-not-utf8", "data.csv", "UTF-8")
def _(d, s):
    _bytes(d / "data.csv", "a,b,label\n".encode() + "é,1,0\n".encode("latin-1") * 30)
    return _train(d, 'source = "data.csv"\ntext = "a"')


@case("train-csv-binary", "data.csv")
def _(d, s):
    _bytes(d / "data.csv", bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)))
    return _train(d)


@case("train-csv-nan-feature", "data.csv", "column 'a'", "missing")
def _(d, s):
    _text(d / "data.csv", _csv().replace("\n3,", "\nnan,", 1))
    return _train(d)


@case("train-csv-nan-target", "data.csv", "column 'label'", "missing")
def _(d, s):
    _text(d / "data.csv", _csv() + "1,2,\n")
    return _train(d)


@case("train-csv-infinite-feature", "data.csv", "column 'b'", "infinite")
def _(d, s):
    _text(d / "data.csv", _csv() + "1,1e400,0\n")
    return _train(d)


@case("train-csv-target-column-missing", "data.csv", "column 'y'", "[data] target")
def _(d, s):
    _text(d / "data.csv", _csv())
    return _train(d, 'source = "data.csv"\ntarget = "y"')


@case("train-csv-text-in-numeric-feature", "data.csv", "column 'b'", "not numeric")
def _(d, s):
    _text(d / "data.csv", _csv().replace("\n1,3,", "\n1,three,", 1))
    return _train(d)


@case("train-csv-fractional-class-label", "data.csv", "column 'label'", "0.5")
def _(d, s):
    _text(d / "data.csv", _csv() + "1,2,0.5\n")
    return _train(d)


@case("train-csv-regression-text-target", "data.csv", "column 'label'", "regression")
def _(d, s):
    _text(d / "data.csv", _csv().replace(",0\n", ",cat\n"))
    return _train(d, 'source = "data.csv"\ntask = "regression"')


@case("train-csv-target-among-features", "task.toml", "[data] features", "'label'")
def _(d, s):
    _text(d / "data.csv", _csv())
    return _train(d, 'source = "data.csv"\nfeatures = ["a", "label"]')


@case("train-csv-feature-missing", "data.csv", "column 'c'", "[data] features")
def _(d, s):
    _text(d / "data.csv", _csv())
    return _train(d, 'source = "data.csv"\nfeatures = ["a", "c"]')


@case("train-csv-text-and-features", "task.toml", "[data] text", "[data] features")
def _(d, s):
    _text(d / "data.csv", _csv())
    return _train(d, 'source = "data.csv"\ntext = "a"\nfeatures = ["b"]')


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


@case("train-corpus-empty", "corpus", "empty")
def _(d, s):
    _text(d / "corpus.txt", "   \n")
    return ["train", _task(d, 'source = "corpus.txt"\ntask = "language-modeling"'), "--family", "gpt"]


@case("train-corpus-not-utf8", "corpus.txt", "UTF-8")
def _(d, s):
    _bytes(d / "corpus.txt", "naïve café ".encode("latin-1") * 100)
    return ["train", _task(d, 'source = "corpus.txt"\ntask = "language-modeling"'), "--family", "gpt"]


@case("train-corpus-too-short", "corpus", "[data] block_size")
def _(d, s):
    _text(d / "corpus.txt", "a short text.")
    return ["train", _task(d, 'source = "corpus.txt"\ntask = "language-modeling"'), "--family", "gpt"]


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


@case("report-study-corrupt", "study.db")
def _(d, s):
    _bytes(d / "run" / "study.db", b"SQLite format 3\x00" + bytes(200))
    _text(d / "run" / "leaderboard.csv", "trial,model\n")
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
