"""Tokenizer choices for text: char (Chinese default), word, and BPE / WordPiece trained on the training split."""

from __future__ import annotations

import pandas as pd
import pytest

from sizeup.data import load_data
from sizeup.data.text import PAD, UNK, Vocab
from sizeup.errors import SizeupError
from sizeup.task import Task

pytestmark = pytest.mark.usefixtures("one_thread")

CORPUS = ["北京大学的教授说北京很好", "上海大学的学生说上海很好", "北京的天气很好", "上海的天气不好"] * 20


@pytest.mark.parametrize("kind", ["bpe", "wordpiece"])
def test_learned_tokenizer_keeps_pad_and_unk_first_and_learns_frequent_words(kind):
    vocab = Vocab.build(CORPUS, kind=kind, max_size=60)
    assert vocab.itos[:2] == [PAD, UNK] and len(vocab) <= 60
    ids = vocab.ids("北京大学的教授")
    assert 0 not in ids and len(ids) < len("北京大学的教授")  # merges: fewer tokens than characters
    encoded = vocab.encode(["北京", "北京大学的教授说北京很好"], max_length=8)
    assert encoded.shape == (2, 8) and encoded[0, -1] == 0  # right-padded with id 0


def test_wordpiece_decodes_back_to_the_text():
    vocab = Vocab.build(CORPUS, kind="wordpiece", max_size=80)
    assert vocab.decode(vocab.ids("北京的天气很好")) == "北京的天气很好"


def test_char_is_the_default_tokenizer_and_unknown_names_are_refused_in_one_line():
    assert Task.from_dict({"name": "t", "data": {"source": "x.csv"}}).data.tokenizer == "char"
    with pytest.raises(SizeupError) as exc:
        Task.from_dict({"name": "t", "data": {"source": "x.csv", "tokenizer": "sentencepiece"}})
    assert "tokenizer" in str(exc.value) and "\n" not in str(exc.value)


def test_csv_text_column_with_wordpiece_trains_the_tokenizer_on_the_training_rows(tmp_path):
    rows = [(t, i % 2) for i, t in enumerate(CORPUS)]
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(tmp_path / "d.csv", index=False)
    task = Task.from_dict({"name": "t", "data": {"source": "d.csv", "text": "text", "tokenizer": "wordpiece",
                                                 "max_vocab": 50}}, base_dir=tmp_path)
    bundle = load_data(task)
    assert bundle.info.input_kind == "tokens" and bundle.info.notes["tokenizer"] == "wordpiece"
    assert bundle.info.vocab[:2] == [PAD, UNK] and len(bundle.info.vocab) <= 50
    assert int(bundle.train.x.max()) < len(bundle.info.vocab)
