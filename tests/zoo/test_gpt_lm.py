"""GPT and LSTM language models: cached decoding equals the plain forward, rotary positions, knob checks."""

from __future__ import annotations

import pytest
import torch

from sizeup.data.bundle import DataInfo
from sizeup.errors import SizeupError
from sizeup.measurement import count_params
from sizeup.zoo import build

pytestmark = pytest.mark.usefixtures("one_thread")

INFO = DataInfo("lm", "lm", "language-modeling", (16,), 30, "perplexity", vocab=[f"c{i}" for i in range(30)])
LM_MODELS = [("gpt", {}), ("gpt", {"positions": "rotary"}), ("rnn", {"cell": "lstm"}), ("rnn", {"cell": "gru"})]


@pytest.mark.parametrize(("family", "knobs"), LM_MODELS, ids=lambda v: str(v))
def test_decode_in_chunks_with_cache_gives_the_forward_logits(family, knobs):
    torch.manual_seed(0)
    model = build(family, INFO, **knobs).eval()
    x = torch.randint(1, 30, (2, 12))
    with torch.no_grad():
        full = model(x)
        a, past = model.decode(x[:, :5])  # a prompt, one token, then a chunk after the cache
        b, past = model.decode(x[:, 5:6], past)
        c, _ = model.decode(x[:, 6:], past)
    torch.testing.assert_close(torch.cat([a, b, c], dim=1), full, atol=1e-5, rtol=1e-5)


def test_rotary_gpt_drops_the_position_table_and_shifts_with_the_offset():
    torch.manual_seed(0)
    learned, rotary = build("gpt", INFO), build("gpt", INFO, positions="rotary")
    assert count_params(learned) - count_params(rotary) == 16 * 64  # block length x width
    q = torch.randn(1, 1, 3, 16)
    rot = rotary.blocks[0].attn.rotary
    # relative positions only: shifting queries and keys together leaves their dot products unchanged
    s0 = rot(q, 0) @ rot(q, 0).transpose(-1, -2)
    s7 = rot(q, 7) @ rot(q, 7).transpose(-1, -2)
    torch.testing.assert_close(s0, s7, atol=1e-5, rtol=1e-5)


def test_lm_output_head_is_tied_to_the_embedding():
    model = build("gpt", INFO)
    assert model.head.weight is model.embed.proj.weight


@pytest.mark.parametrize(("knobs", "words"), [({"positions": "alibi"}, "positions must be one of learned, rotary"),
                                              ({"positions": "rotary", "width": 6, "heads": 2}, "even head width")])
def test_bad_position_knobs_are_refused_with_the_fix(knobs, words):
    with pytest.raises(SizeupError, match=words):
        build("gpt", INFO, **knobs)


def test_decode_refuses_a_classifier():
    info = DataInfo("tok", "tokens", "classification", (8,), 3, "accuracy", vocab=[f"w{i}" for i in range(20)])
    with pytest.raises(ValueError, match="language model"):
        build("gpt", info).decode(torch.ones(1, 3, dtype=torch.long))
