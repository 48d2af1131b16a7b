"""Image folders, MNIST IDX and CIFAR-10 batches, written in their real formats and read through load_data."""

from __future__ import annotations

import gzip
import pickle
import struct

import numpy as np
import pytest
import torch
from PIL import Image

from sizeup.data import load_data
from sizeup.errors import SizeupError
from sizeup.task import Task

RNG = np.random.default_rng(0)


def _load(tmp_path, **data):
    return load_data(Task.from_dict({"name": "t", "data": data}, base_dir=tmp_path))


def _image_folder(root, classes=("cat", "dog"), per_class=10, size=(6, 5), mode="RGB", ext="png"):
    for c in classes:
        (root / c).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            shape = (size[0], size[1], 3) if mode == "RGB" else size
            Image.fromarray(RNG.integers(0, 256, shape, dtype=np.uint8), mode).save(root / c / f"{i}.{ext}")


def test_image_folder_rgb_shapes_scaling_and_class_names(tmp_path):
    _image_folder(tmp_path / "pics", size=(6, 5))
    b = _load(tmp_path, source="pics")
    assert b.info.input_kind == "image" and b.info.input_shape == (3, 6, 5)
    assert b.info.class_names == ["cat", "dog"] and b.info.n_outputs == 2
    assert b.train.x.dtype == torch.float32 and 0 <= b.train.x.min() and b.train.x.max() <= 1
    assert len(b.train) + len(b.val) + len(b.test) == 20


def test_image_folder_grayscale_jpeg_has_one_channel(tmp_path):
    _image_folder(tmp_path / "pics", mode="L", ext="jpg")
    b = _load(tmp_path, source="pics")
    assert b.info.input_shape == (1, 6, 5) and b.info.notes["color"] == "grayscale"


def test_image_folder_train_test_layout_keeps_official_test(tmp_path):
    _image_folder(tmp_path / "pics" / "train", per_class=8)
    _image_folder(tmp_path / "pics" / "test", per_class=3)
    b = _load(tmp_path, source="pics")
    assert len(b.test) == 6 and len(b.train) + len(b.val) == 16 and b.info.notes["official_test"]


def test_image_of_another_size_names_the_file_and_the_fix(tmp_path):
    _image_folder(tmp_path / "pics", size=(6, 5))
    Image.new("RGB", (7, 9)).save(tmp_path / "pics" / "dog" / "odd.png")
    with pytest.raises(SizeupError) as err:
        _load(tmp_path, source="pics")
    msg = str(err.value)
    assert "pics/dog/odd.png" in msg and "9x7" in msg and "6x5" in msg and "image_size = [6, 5]" in msg


def test_image_size_resizes_every_image(tmp_path):
    _image_folder(tmp_path / "pics", size=(6, 5))
    Image.new("RGB", (7, 9)).save(tmp_path / "pics" / "dog" / "odd.png")
    b = _load(tmp_path, source="pics", image_size=[4, 4])
    assert b.info.input_shape == (3, 4, 4)


def test_unreadable_image_names_the_file(tmp_path):
    _image_folder(tmp_path / "pics")
    (tmp_path / "pics" / "cat" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(SizeupError, match=r"pics/cat/broken.png: not a readable image"):
        _load(tmp_path, source="pics")


def test_images_without_class_folders_are_refused(tmp_path):
    (tmp_path / "flat").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "flat" / "a.png")
    with pytest.raises(SizeupError, match="one sub-folder per class"):
        _load(tmp_path, source="flat")


def _write_idx(path, array, code=0x08):
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(">u1").tobytes()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


def _mnist_folder(root, n_train=50, n_test=20, gz=False):
    root.mkdir()
    z = ".gz" if gz else ""
    _write_idx(root / f"train-images-idx3-ubyte{z}", RNG.integers(0, 256, (n_train, 7, 7)))
    _write_idx(root / f"train-labels-idx1-ubyte{z}", np.arange(n_train) % 10)
    _write_idx(root / f"t10k-images-idx3-ubyte{z}", RNG.integers(0, 256, (n_test, 7, 7)))
    _write_idx(root / f"t10k-labels-idx1-ubyte{z}", np.arange(n_test) % 10)


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_idx_folder_uses_the_official_test_split(tmp_path, gz):
    _mnist_folder(tmp_path / "mnist", gz=gz)
    b = _load(tmp_path, source="mnist")
    assert b.info.input_kind == "image" and b.info.input_shape == (1, 7, 7)
    assert len(b.test) == 20 and len(b.train) + len(b.val) == 50
    assert b.info.class_names == [str(i) for i in range(10)] and b.train.y.dtype == torch.long
    assert b.train.x.max() <= 1.0 and b.info.notes["official_test"]


def test_truncated_idx_file_is_named(tmp_path):
    _mnist_folder(tmp_path / "mnist")
    path = tmp_path / "mnist" / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(SizeupError, match="train-images-idx3-ubyte: holds .* truncated"):
        _load(tmp_path, source="mnist")


def test_missing_idx_labels_are_named(tmp_path):
    _mnist_folder(tmp_path / "mnist")
    (tmp_path / "mnist" / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(SizeupError, match="'train-labels-idx1-ubyte'.*not found"):
        _load(tmp_path, source="mnist")


def _cifar_folder(root, n=30):
    root.mkdir()
    for name, count in (("data_batch_1", n), ("data_batch_2", n), ("test_batch", 10)):
        batch = {b"batch_label": name.encode(), b"labels": [i % 10 for i in range(count)],
                 b"data": RNG.integers(0, 256, (count, 3072), dtype=np.uint8), b"filenames": [b"x.png"] * count}
        (root / name).write_bytes(pickle.dumps(batch, protocol=2))
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]
    (root / "batches.meta").write_bytes(pickle.dumps({b"label_names": names, b"num_vis": 3072}))


def test_cifar10_batches_give_rgb_images_and_label_names(tmp_path):
    _cifar_folder(tmp_path / "cifar-10-batches-py")
    b = _load(tmp_path, source="cifar-10-batches-py")
    assert b.info.input_shape == (3, 32, 32) and b.info.n_outputs == 10
    assert b.info.class_names[0] == "airplane" and b.info.class_names[9] == "truck"
    assert len(b.test) == 10 and len(b.train) + len(b.val) == 60


def test_cifar_pickle_that_would_run_code_is_refused(tmp_path):
    _cifar_folder(tmp_path / "cifar")
    (tmp_path / "cifar" / "data_batch_2").write_bytes(pickle.dumps({b"data": print}))
    with pytest.raises(SizeupError, match="data_batch_2: not a CIFAR-10 python batch.*refusing"):
        _load(tmp_path, source="cifar")


def test_image_folder_for_regression_is_refused(tmp_path):
    _image_folder(tmp_path / "pics")
    with pytest.raises(SizeupError, match='classification data; set \\[data\\] task = "classification"'):
        _load(tmp_path, source="pics", task="regression")
