"""CSV and Parquet tables through the public path: Task.from_dict + load_data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from sizeup.data import load_data
from sizeup.errors import SizeupError
from sizeup.task import Task


def _load(tmp_path, **data):
    return load_data(Task.from_dict({"name": "t", "data": data}, base_dir=tmp_path))


def _frame(n=100, seed=0):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(5, 2, n), rng.normal(-3, 0.5, n)
    return pd.DataFrame({"x1": x1, "x2": x2, "label": np.where(x1 > 5, "big", "small")})


def _rows(split):
    return {tuple(r) for r in split.x.tolist()}


def test_csv_tabular_shapes_classes_and_disjoint_splits(tmp_path):
    _frame().to_csv(tmp_path / "data.csv", index=False)
    b = _load(tmp_path, source="data.csv")
    assert b.info.input_kind == "tabular" and b.info.task == "classification"
    assert b.info.input_shape == (2,) and b.info.n_outputs == 2
    assert b.info.class_names == ["big", "small"]
    assert b.train.x.dtype == torch.float32 and b.train.y.dtype == torch.long
    assert len(b.train) + len(b.val) + len(b.test) == 100
    assert not _rows(b.train) & _rows(b.val) and not _rows(b.train) & _rows(b.test) and not _rows(b.val) & _rows(b.test)


def test_csv_features_standardized_with_train_statistics(tmp_path):
    df = _frame()
    df.to_csv(tmp_path / "data.csv", index=False)
    b = _load(tmp_path, source="data.csv")
    assert torch.allclose(b.train.x.mean(0), torch.zeros(2), atol=1e-5)
    assert torch.allclose(b.train.x.std(0, unbiased=False), torch.ones(2), atol=1e-4)
    stats = b.info.notes["standardize"]
    assert stats["fit_on"] == "train" and b.info.notes["features"] == ["x1", "x2"]
    assert stats["mean"][0] != pytest.approx(df["x1"].mean(), abs=1e-9)  # not the full-data mean
    assert (b.test.x.mean(0).abs() > 1e-4).any()  # test rows are not re-centred on themselves


def test_parquet_regression_gives_float_targets(tmp_path):
    df = _frame().assign(label=lambda d: d.x1 * 2.5)
    df.to_parquet(tmp_path / "data.parquet", index=False)
    b = _load(tmp_path, source="data.parquet", task="regression", features=["x1"])
    assert b.info.task == "regression" and b.info.n_outputs == 1 and b.info.metric == "rmse"
    assert b.train.y.dtype == torch.float32 and b.train.y.ndim == 1
    assert b.info.input_shape == (1,) and b.info.class_names is None


def test_text_column_vocab_comes_from_train_rows_only(tmp_path):
    words = [f"w{i}" for i in range(60)]  # every row has a word of its own
    df = pd.DataFrame({"review": [f"common {w}" for w in words], "label": [i % 2 for i in range(60)]})
    df.to_csv(tmp_path / "reviews.csv", index=False)
    b = _load(tmp_path, source="reviews.csv", text="review", tokenizer="word")
    assert b.info.input_kind == "tokens" and b.train.x.dtype == torch.long
    vocab = set(b.info.vocab)
    train_words = {b.info.vocab[i] for i in b.train.x.flatten().tolist()} - {"<pad>", "<unk>"}
    assert train_words == vocab - {"<pad>", "<unk>"}
    unk = b.info.vocab.index("<unk>")
    assert (b.test.x == unk).any(dim=1).all() and (b.val.x == unk).any(dim=1).all()
    assert "common" in vocab and len(vocab) == 2 + 1 + len(b.train)


def test_seq2seq_pairs_have_two_vocabularies_with_specials(tmp_path):
    df = pd.DataFrame({"src": [f"ab{i % 7}" for i in range(40)], "tgt": [f"XY{i % 7}" for i in range(40)]})
    df.to_csv(tmp_path / "pairs.csv", index=False)
    b = _load(tmp_path, source="pairs.csv", task="seq2seq", text="src", target="tgt")
    assert b.info.input_kind == "seq2seq" and b.info.task == "seq2seq"
    assert b.info.vocab[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"] and "a" in b.info.vocab
    assert "X" in b.info.target_vocab and "X" not in b.info.vocab
    assert b.info.n_outputs == len(b.info.target_vocab)
    bos, eos = b.info.target_vocab.index("<bos>"), b.info.target_vocab.index("<eos>")
    assert (b.train.y[:, 0] == bos).all() and (b.train.y == eos).sum() == len(b.train)
    assert b.train.x.dtype == b.train.y.dtype == torch.long


def test_csv_text_column_for_language_modeling(tmp_path):
    pd.DataFrame({"line": ["the quick brown fox jumps"] * 40}).to_csv(tmp_path / "lines.csv", index=False)
    b = _load(tmp_path, source="lines.csv", task="language-modeling", text="line", block_size=8)
    assert b.info.input_kind == "lm" and b.train.x.shape[1] == 8


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"target": "lable"}, ["'lable' not found", "x1, x2, label", "target"]),
        ({"features": ["x1", "x9"]}, ["'x9' not found", "features"]),
        ({"text": "nope"}, ["'nope' not found", "text"]),
    ],
)
def test_unknown_column_names_the_columns_and_the_key(tmp_path, data, words):
    _frame().to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(SizeupError) as err:
        _load(tmp_path, source="data.csv", **data)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("data.csv:") and all(w in msg for w in words)


def test_non_numeric_feature_suggests_features_or_text(tmp_path):
    _frame().assign(city=["Paris", "Oslo"] * 50).to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(SizeupError, match=r"column 'city' is not numeric.*features = \['x1', 'x2'\].*text = 'city'"):
        _load(tmp_path, source="data.csv")


def test_missing_values_name_the_column_and_count(tmp_path):
    df = _frame()
    df.loc[[3, 7, 8], "x2"] = np.nan
    df.to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(SizeupError, match=r"column 'x2' has 3 missing.*row 4.*fill or drop"):
        _load(tmp_path, source="data.csv")


def test_fractional_class_label_is_refused(tmp_path):
    _frame().assign(label=np.linspace(0, 1, 100)).to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(SizeupError, match="not an integer class.*regression"):
        _load(tmp_path, source="data.csv")


def test_empty_and_header_only_tables_are_refused(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("x1,label\n")
    with pytest.raises(SizeupError, match="empty.csv: the file is empty"):
        _load(tmp_path, source="empty.csv")
    with pytest.raises(SizeupError, match="header.csv: the table has no rows"):
        _load(tmp_path, source="header.csv")


def test_seq2seq_without_text_column_says_what_to_set(tmp_path):
    pd.DataFrame({"src": ["a"] * 10, "label": ["b"] * 10}).to_csv(tmp_path / "p.csv", index=False)
    with pytest.raises(SizeupError, match=r"\[data\] text is not set.*src, label"):
        _load(tmp_path, source="p.csv", task="seq2seq")


def test_a_table_too_small_to_split_is_refused_with_the_samples_it_needs(tmp_path):
    (tmp_path / "data.csv").write_text("a,b,label\n1,2,0\n3,4,1\n", encoding="utf-8")
    with pytest.raises(SizeupError) as exc:
        _load(tmp_path, source="data.csv")
    message = str(exc.value)
    assert message.startswith("data.csv: 2 samples are too few") and "keep 2 (one per class)" in message
    assert "give at least 4 samples" in message
    (tmp_path / "data.csv").write_text("a,b,label\n1,2,0.5\n3,4,1.5\n", encoding="utf-8")
    with pytest.raises(SizeupError, match="give at least 3 samples"):  # a regression keeps one to train on
        _load(tmp_path, source="data.csv", task="regression")
    (tmp_path / "data.csv").write_text("a,b,label\n1,2,0.5\n3,4,1.5\n5,6,2.5\n", encoding="utf-8")
    assert len(_load(tmp_path, source="data.csv", task="regression").train) == 1


def test_a_target_with_one_class_is_refused_naming_the_column_and_the_class(tmp_path):
    frame = _frame()
    frame["label"] = "big"
    frame.to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(SizeupError, match=r"data.csv: column 'label': the training data hold one class only \('big'\)"):
        _load(tmp_path, source="data.csv")
