"""``.npz`` arrays, ``.txt`` corpora, online sources and the path/format errors, read through load_data."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from sizeup.data import load_data
from sizeup.errors import MissingExtraError, SizeupError
from sizeup.task import Task

RNG = np.random.default_rng(0)


def _load(tmp_path, **data):
    return load_data(Task.from_dict({"name": "t", "data": data}, base_dir=tmp_path))


@pytest.mark.parametrize(
    ("x_shape", "kind", "sample_shape"),
    [((60, 5), "tabular", (5,)), ((60, 2, 16), "signal", (2, 16)), ((60, 1, 8, 8), "image", (1, 8, 8))],
)
def test_npz_input_kind_follows_x_ndim(tmp_path, x_shape, kind, sample_shape):
    np.savez(tmp_path / "d.npz", x=RNG.random(x_shape, dtype=np.float32), y=np.arange(60) % 3)
    b = _load(tmp_path, source="d.npz")
    assert b.info.input_kind == kind and b.info.input_shape == sample_shape
    assert b.train.x.dtype == torch.float32 and b.info.n_outputs == 3
    assert len(b.train) + len(b.val) + len(b.test) == 60


def test_npz_channels_last_images_are_transposed_and_scaled(tmp_path):
    x = RNG.integers(0, 256, (40, 10, 12, 3), dtype=np.uint8)
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(40) % 2)
    b = _load(tmp_path, source="d.npz")
    assert b.info.input_shape == (3, 10, 12) and b.train.x.max() <= 1.0


def test_npz_official_test_split_is_kept_and_validation_comes_from_train(tmp_path):
    x, x_test = np.arange(80, dtype=np.float32).reshape(40, 2), -np.arange(20, dtype=np.float32).reshape(10, 2) - 1
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(40) % 2, x_test=x_test, y_test=np.arange(10) % 2)
    b = _load(tmp_path, source="d.npz")
    assert len(b.test) == 10 and (b.test.x < 0).all()
    assert (b.val.x >= 0).all() and len(b.train) + len(b.val) == 40
    assert not {tuple(r) for r in b.train.x.tolist()} & {tuple(r) for r in b.val.x.tolist()}


def test_npz_regression_targets_are_float(tmp_path):
    np.savez(tmp_path / "d.npz", x=RNG.random((30, 3)), y=RNG.random(30))
    b = _load(tmp_path, source="d.npz", task="regression")
    assert b.train.y.dtype == torch.float32 and b.info.n_outputs == 1


def test_npz_missing_key_names_the_key_and_the_keys_present(tmp_path):
    np.savez(tmp_path / "d.npz", features=RNG.random((10, 3)), y=np.zeros(10))
    with pytest.raises(SizeupError, match=r"d.npz: array 'x' not found; arrays present: features, y"):
        _load(tmp_path, source="d.npz")


def test_npz_length_mismatch_is_named(tmp_path):
    np.savez(tmp_path / "d.npz", x=RNG.random((10, 3)), y=np.zeros(9))
    with pytest.raises(SizeupError, match="x has 10 samples but y has 9"):
        _load(tmp_path, source="d.npz")


def test_empty_npz_is_refused(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((0, 3)), y=np.zeros(0))
    with pytest.raises(SizeupError, match="empty"):
        _load(tmp_path, source="d.npz")


def test_txt_corpus_is_language_modeling(tmp_path):
    (tmp_path / "book.txt").write_text("hello world, this is a small corpus. " * 40, encoding="utf-8")
    b = _load(tmp_path, source="book.txt", task="language-modeling", block_size=16)
    assert b.info.input_kind == "lm" and b.info.task == "language-modeling"
    assert b.train.x.shape[1] == 16 and b.train.x.dtype == torch.long


def test_txt_for_classification_says_what_would_work(tmp_path):
    (tmp_path / "book.txt").write_text("some text", encoding="utf-8")
    with pytest.raises(SizeupError, match='corpus for task = "language-modeling".*CSV with a text column'):
        _load(tmp_path, source="book.txt")


def test_missing_source_names_the_path_and_the_bundled_sets(tmp_path):
    with pytest.raises(SizeupError, match=r"'nope.csv': no such file or folder.*digits"):
        _load(tmp_path, source="nope.csv")


def test_unknown_extension_lists_the_known_ones(tmp_path):
    (tmp_path / "data.xlsx").write_bytes(b"\0")
    with pytest.raises(SizeupError, match=r"unknown file type '.xlsx'; use .csv"):
        _load(tmp_path, source="data.xlsx")


def test_folder_without_known_data_is_refused(tmp_path):
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "notes.md").write_text("hi")
    with pytest.raises(SizeupError, match="holds no data sizeup recognises"):
        _load(tmp_path, source="stuff")


def test_explicit_format_that_needs_a_folder_is_refused_for_a_file(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((4, 2)), y=np.zeros(4))
    with pytest.raises(SizeupError, match="format 'images' reads a folder"):
        _load(tmp_path, source="d.npz", format="images")


@pytest.mark.parametrize(("source", "module", "fix"), [
    ("hf:imdb", "datasets", "pip install 'sizeup[online]'"),
    ("torchvision:MNIST", "torchvision", "torchvision release built for your torch"),
])
def test_online_source_without_its_package_is_one_clean_line(tmp_path, monkeypatch, source, module, fix):
    monkeypatch.setitem(sys.modules, module, None)  # makes the import fail even where it is installed
    with pytest.raises(MissingExtraError) as err:
        _load(tmp_path, source=source)
    msg = str(err.value)
    assert "\n" not in msg and fix in msg and source in msg
