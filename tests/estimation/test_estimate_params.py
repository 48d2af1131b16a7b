"""Parameter counts from configs: official figures, MoE active params, and a meta-device cross-check."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from sizeup.errors import SizeupError
from sizeup.estimation import count_params, estimate, list_models, shape_from_config

OFFICIAL = {  # publisher's figures: model cards / release posts
    "llama-3.1-8b": 8.03e9, "llama-3.1-70b": 70.6e9, "mixtral-8x7b": 46.7e9, "gpt2": 124e6, "bert-base": 109.5e6,
}


@pytest.mark.parametrize("model_id", sorted(OFFICIAL))
def test_catalog_params_within_half_percent_of_official(model_id: str) -> None:
    result = estimate(model_id)
    assert abs(result.params / OFFICIAL[model_id] - 1) < 0.005


def test_every_catalog_model_matches_its_official_count() -> None:
    for m in list_models():
        p = count_params(shape_from_config(m.config, name=m.id))
        assert abs(p.total / m.official_params - 1) < 0.005, m.id


def test_mixtral_active_params_count_top2_experts() -> None:
    r = estimate("mixtral-8x7b")
    assert abs(r.active_params / 12.9e9 - 1) < 0.005
    assert r.params > 3 * r.active_params


def test_required_catalog_ids_exist() -> None:
    ids = {m.id for m in list_models()}
    assert {"llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "qwen2.5-7b", "qwen2.5-72b", "mistral-7b",
            "mixtral-8x7b", "gpt2", "bert-base", "all-minilm-l6-v2"} <= ids


def test_untied_head_and_explicit_head_dim_are_read() -> None:
    base = {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
            "num_hidden_layers": 2, "vocab_size": 100}
    tied = count_params(shape_from_config({**base, "tie_word_embeddings": True}, name="t")).total
    untied = count_params(shape_from_config({**base, "tie_word_embeddings": False}, name="u")).total
    assert untied - tied == 100 * 64
    wide = shape_from_config({**base, "head_dim": 32}, name="w")
    assert wide.q_dim == 128


class _TinyLlama(nn.Module):
    """A Llama-style decoder written the Hugging Face way (GQA, gated MLP, RMSNorm, untied head)."""

    def __init__(self, v: int, h: int, layers: int, heads: int, kv: int, inter: int) -> None:
        super().__init__()
        d = h // heads
        self.embed = nn.Embedding(v, h)
        self.layers = nn.ModuleList()
        for _ in range(layers):
            self.layers.append(nn.ModuleDict({
                "q": nn.Linear(h, heads * d, bias=False), "k": nn.Linear(h, kv * d, bias=False),
                "v": nn.Linear(h, kv * d, bias=False), "o": nn.Linear(heads * d, h, bias=False),
                "gate": nn.Linear(h, inter, bias=False), "up": nn.Linear(h, inter, bias=False),
                "down": nn.Linear(inter, h, bias=False), "n1": nn.RMSNorm(h), "n2": nn.RMSNorm(h)}))
        self.norm = nn.RMSNorm(h)
        self.head = nn.Linear(h, v, bias=False)


def test_formula_equals_meta_device_build_of_llama_shape() -> None:
    cfg = {"model_type": "llama", "hidden_size": 8192, "intermediate_size": 28672, "num_attention_heads": 64,
           "num_key_value_heads": 8, "num_hidden_layers": 80, "vocab_size": 128256, "tie_word_embeddings": False}
    with torch.device("meta"):  # a 70B module: shapes only, no memory
        model = _TinyLlama(128256, 8192, 80, 64, 8, 28672)
    built = sum(p.numel() for p in model.parameters())
    assert count_params(shape_from_config(cfg, name="70b")).total == built


def test_config_missing_field_names_the_key(tmp_path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 10}')
    with pytest.raises(SizeupError, match="intermediate_size"):
        estimate(str(path))
