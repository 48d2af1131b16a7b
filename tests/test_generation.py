"""``sizeup.generate``: greedy decoding is the same with and without the cache; sampling is seeded;
a trained language model continues its corpus."""

from __future__ import annotations

import pytest
import torch

import sizeup
from sizeup.data.bundle import DataInfo
from sizeup.errors import SizeupError
from sizeup.zoo import build

pytestmark = pytest.mark.usefixtures("one_thread")

CORPUS = "abcdefgh" * 300  # a periodic corpus a tiny model learns in a few epochs
VOCAB = ["<pad>", "<unk>", *"abcdefghijklmnop"]


def _model(family: str, **knobs):
    torch.manual_seed(0)
    info = DataInfo("lm", "lm", "language-modeling", (8,), len(VOCAB), "perplexity", vocab=VOCAB,
                    notes={"tokenizer": "char"})
    model = build(family, info, dropout=0.0, **knobs).eval()
    model.info = info
    return model


@pytest.mark.parametrize(("family", "knobs"), [("gpt", {}), ("gpt", {"positions": "rotary"}), ("rnn", {"cell": "lstm"})],
                         ids=["gpt-learned", "gpt-rotary", "lstm"])
def test_greedy_tokens_are_the_same_with_and_without_the_cache(family, knobs):
    model = _model(family, **knobs)
    # 30 new tokens from a context of 8: the window slides several times
    with_cache = sizeup.generate(model, "abc", max_new_tokens=30, temperature=0, cache=True)
    without = sizeup.generate(model, "abc", max_new_tokens=30, temperature=0, cache=False)
    assert with_cache.tokens == without.tokens and len(with_cache.tokens) == 30
    assert with_cache.completion == without.completion


def test_sampling_is_repeatable_with_a_seed_and_top_k_1_is_greedy():
    model = _model("gpt")
    a = sizeup.generate(model, "ab", max_new_tokens=20, temperature=1.5, seed=3)
    b = sizeup.generate(model, "ab", max_new_tokens=20, temperature=1.5, seed=3)
    c = sizeup.generate(model, "ab", max_new_tokens=20, temperature=1.5, seed=4)
    assert a.tokens == b.tokens and a.tokens != c.tokens
    greedy = sizeup.generate(model, "ab", max_new_tokens=20, temperature=0)
    assert sizeup.generate(model, "ab", max_new_tokens=20, temperature=1.0, top_k=1, seed=5).tokens == greedy.tokens
    assert all(t >= 2 for t in a.tokens)  # never padding or <unk>


def test_unknown_prompt_characters_are_read_as_unk_and_listed():
    out = sizeup.generate(_model("gpt"), "ab€z", max_new_tokens=3, temperature=0)
    assert out.unknown == ["€", "z"] and out.text.startswith("ab€z")


@pytest.mark.parametrize(("kwargs", "words"), [({"top_k": 0}, "top_k must be at least 1"),
                                               ({"temperature": -1.0}, "temperature must be 0"),
                                               ({"max_new_tokens": 0}, "max_new_tokens must be at least 1")])
def test_bad_sampling_settings_are_refused(kwargs, words):
    with pytest.raises(SizeupError, match=words):
        sizeup.generate(_model("gpt"), "ab", **kwargs)


def test_a_trained_language_model_continues_its_corpus(tmp_path):
    (tmp_path / "abc.txt").write_text(CORPUS, encoding="utf-8")
    task = sizeup.Task.from_dict({"name": "abc", "data": {"source": "abc.txt", "task": "language-modeling",
                                                          "block_size": 16}}, base_dir=tmp_path)
    result = sizeup.train(task, "gpt", preset="tiny", out=tmp_path / "run", epochs=8, lr=1e-2)
    assert result.summary()["baseline"]["val_perplexity"] > 0  # the bigram floor is reported with the run
    out = sizeup.generate(tmp_path / "run", "abcd", max_new_tokens=12, temperature=0)
    assert out.completion == "efghabcdefgh"
