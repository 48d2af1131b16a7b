"""Config files, safetensors headers and the plan search."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

from sizeup.errors import SizeupError
from sizeup.estimation import estimate, safetensors_counts


def test_safetensors_header_gives_per_dtype_counts_without_loading(tmp_path) -> None:
    save_file({"a": torch.zeros(3, 4, dtype=torch.bfloat16), "b": torch.zeros(5, dtype=torch.float32)},
              str(tmp_path / "model.safetensors"))
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2", "n_embd": 64, "n_layer": 2, "n_head": 4,
                                                      "n_positions": 128, "vocab_size": 100}))
    assert safetensors_counts(tmp_path / "model.safetensors") == {"BF16": 12, "F32": 5}
    r = estimate(str(tmp_path))
    assert r.source == "safetensors" and r.params_by_dtype == {"BF16": 12, "F32": 5}


def test_weights_are_priced_in_the_checkpoints_own_dtype_unless_dtype_is_given(tmp_path) -> None:
    save_file({"w": torch.zeros(64, 64, dtype=torch.float32)}, str(tmp_path / "model.safetensors"))
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2", "n_embd": 64, "n_layer": 2, "n_head": 4,
                                                      "n_positions": 128, "vocab_size": 100}))
    stored = estimate(str(tmp_path))
    asked = estimate(str(tmp_path), dtype="bf16")
    assert stored.setup.dtype == "fp32" and asked.setup.dtype == "bf16"
    assert stored.memory.weights == 2 * asked.memory.weights


def test_not_safetensors_is_a_one_line_error(tmp_path) -> None:
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(b"\xff" * 16)
    with pytest.raises(SizeupError, match="safetensors"):
        safetensors_counts(bad)


def test_plan_finds_a_fitting_layout_for_70b_training_on_64_h100() -> None:
    r = estimate("llama-3.1-70b", hardware="h100", mode="train", batch=512, seq=4096, gpus=64, plan=True)
    assert not r.fits  # the naive DP64 layout does not fit
    best = r.best_plan
    assert best is not None and best.fits and best.memory_total <= r.capacity_bytes
    assert best.setup.tp * best.setup.pp * best.setup.dp == 64


def test_impossible_plan_is_reported() -> None:
    r = estimate("llama-3.1-405b", hardware="t4", dtype="fp16", mode="infer", gpus=2, plan=True)
    assert r.plan == [] and any("no parallel plan fits" in n for n in r.notes)


def test_pp_larger_than_layers_names_the_field() -> None:
    with pytest.raises(SizeupError, match="num_hidden_layers=12"):
        estimate("gpt2", pp=16)
