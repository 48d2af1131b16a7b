"""seq2seq on a CSV of source/target pairs the test writes: numbers -> Chinese numerals."""

from __future__ import annotations

import pandas as pd
import pytest

import sizeup
from sizeup.data import load_data
from sizeup.data.text import BOS, EOS

pytestmark = pytest.mark.usefixtures("one_thread")

DIGITS = "零一二三四五六七八九"


def chinese(n: int) -> str:
    """0 <= n < 1000 in Chinese numerals: 10 -> 十, 15 -> 十五, 105 -> 一百零五, 320 -> 三百二十."""
    if n < 10:
        return DIGITS[n]
    if n < 20:
        return "十" + (DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return DIGITS[n // 10] + "十" + (DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if rest == 0 else ("零" + DIGITS[rest] if rest < 10 else ("一" if rest < 20 else "") + chinese(rest))
    return DIGITS[n // 100] + "百" + tail


def test_chinese_numerals_helper():
    assert [chinese(n) for n in (0, 10, 15, 42, 105, 110, 320, 999)] == [
        "零", "十", "十五", "四十二", "一百零五", "一百一十", "三百二十", "九百九十九"]


@pytest.fixture(scope="module")
def task(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pairs")
    pd.DataFrame({"number": [str(n) for n in range(1000)], "chinese": [chinese(n) for n in range(1000)]}).to_csv(
        folder / "numerals.csv", index=False)
    return sizeup.Task.from_dict({"name": "numerals", "data": {"source": "numerals.csv", "task": "seq2seq",
                                                               "text": "number", "target": "chinese"}},
                                 base_dir=folder)


def test_pairs_load_with_their_own_vocabularies_and_bos_eos(task):
    data = load_data(task)
    info = data.info
    assert info.input_kind == "seq2seq" and info.metric == "sequence_accuracy"
    assert set("0123456789") <= set(info.vocab) and "百" in info.target_vocab and "百" not in info.vocab
    assert info.n_train + info.n_val + info.n_test == 1000
    row = data.train.y[0].tolist()
    assert row[0] == info.target_vocab.index(BOS) and info.target_vocab.index(EOS) in row


def test_seq2seq_learns_the_pairs_and_decodes_greedily(task, tmp_path):
    result = sizeup.train(task, "seq2seq", knobs={"width": 64, "depth": 1, "heads": 4, "dropout": 0.0}, epochs=12, lr=5e-3,
                          out=tmp_path / "run")
    assert result.test["token_accuracy"] > 0.9
    out = sizeup.generate(tmp_path / "run", "321", max_new_tokens=10)
    assert out.method == "greedy" and set(out.completion) <= set(result.info.target_vocab)
    hits = sum(sizeup.generate(result, str(n), max_new_tokens=10).completion == chinese(n) for n in range(0, 1000, 50))
    assert hits >= 15  # most of 20 numbers exactly right
