"""``sizeup explain``: Integrated Gradients meets completeness, attention maps are proper, bad inputs fail in one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

import sizeup
from sizeup.data.bundle import DataInfo
from sizeup.explanation._attention import attention_maps
from sizeup.explanation._attribute import integrated_gradients
from sizeup.zoo import build

SIZEUP = [sys.executable, "-c", "from sizeup.cli import main; main()"]
TEXT = DataInfo("chars", "tokens", "classification", (12,), 3, "accuracy", class_names=["a", "b", "c"],
                vocab=["<pad>", "<unk>", *"abcdefgh "])
SIGNAL = DataInfo("sig", "signal", "classification", (2, 16), 4, "accuracy")


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory, one_thread):
    """A real CNN trained for one epoch on digits (8x8 images), saved as a model folder."""
    folder = tmp_path_factory.mktemp("digits")
    task = folder / "digits.toml"
    task.write_text('name = "digits"\n[data]\nsource = "digits"\n', encoding="utf-8")
    sizeup.train(task, "cnn", preset="tiny", out=folder / "model", epochs=1)
    return folder / "model"


def test_image_attributions_sum_to_the_logit_change_within_1_percent(digits_model):
    result = sizeup.explain(digits_model, samples=3, wrong=2)
    assert result.max_completeness_error < 0.01
    payload = json.loads((result.out_dir / "explanations.json").read_text())
    for s in payload["samples"]:
        assert abs(s["attr_sum"] - (s["fx"] - s["fb"])) <= 0.01 * abs(s["fx"] - s["fb"])
        assert (result.out_dir / s["png"]).stat().st_size > 100  # a PNG heat map over the pixels
    assert len(payload["confusion"]) == 10 and sum(map(sum, payload["confusion"])) == 450
    assert [w["confidence"] for w in payload["wrong"]] == sorted((w["confidence"] for w in payload["wrong"]), reverse=True)
    assert result.page.name == "explanations.html" and "Plotly.newPlot" in result.page.read_text()


@pytest.mark.parametrize("family", ["transformer", "gpt", "bow", "rnn"])
def test_token_attributions_at_the_embedding_meet_completeness(family, one_thread):
    torch.manual_seed(0)
    model = build(family, TEXT).eval()
    x = torch.tensor([[2, 3, 4, 10, 5, 6, 0, 0, 0, 0, 0, 0]])
    a = integrated_gradients(model, x, target=1)
    assert a.values.shape == (12,) and a.rel_error < 0.01
    assert a.values[6:].abs().max() == 0  # padding gets no credit


def test_attention_maps_are_row_stochastic_and_causal_for_gpt(one_thread):
    torch.manual_seed(0)
    x = torch.randn(1, 2, 16)
    for family, depth in (("transformer", 2), ("gpt", 2)):
        maps = attention_maps(build(family, SIGNAL, depth=depth).eval(), x)
        assert len(maps) == depth and maps[0].shape == (16, 16)
        assert torch.allclose(maps[0].sum(-1), torch.ones(16), atol=1e-5)
        if family == "gpt":
            assert maps[0].triu(1).abs().max() == 0
    assert attention_maps(build("cnn", SIGNAL).eval(), x) is None


@pytest.mark.parametrize("args, message", [
    (["explain", "/nonexistent/run"], "neither a run folder"),
    (["explain", ".", "--samples", "0"], "--samples must be at least 1"),
])
def test_explain_cli_bad_input_is_one_line_exit_2(args, message):
    proc = subprocess.run([*SIZEUP, *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert message in proc.stderr and proc.stderr.strip().splitlines()[-1].startswith("error:")
