"""The private variants are the same models: with the same weights, ``attention="sdpa"`` computes what
``nn.TransformerEncoderLayer`` does and Opacus' recurrent cells what PyTorch's fused ones do."""

from __future__ import annotations

import pytest
import torch

from sizeup.data.bundle import DataInfo
from sizeup.explanation._attention import attention_maps
from sizeup.measurement import count_params
from sizeup.zoo import build

pytestmark = pytest.mark.usefixtures("one_thread")

TOKENS = DataInfo("k", "tokens", "classification", (12,), 3, "accuracy", vocab=[f"w{i}" for i in range(30)])
SIGNAL = DataInfo("s", "signal", "classification", (2, 16), 4, "accuracy")


def _mha_weights_as_sdpa(state: dict[str, torch.Tensor], depth: int) -> dict[str, torch.Tensor]:
    """nn.TransformerEncoderLayer's parameter names -> EncoderBlock's."""
    names = {"self_attn.in_proj_weight": "attn.qkv.weight", "self_attn.in_proj_bias": "attn.qkv.bias",
             "self_attn.out_proj.weight": "attn.out.weight", "self_attn.out_proj.bias": "attn.out.bias",
             "linear1.weight": "ff.0.weight", "linear1.bias": "ff.0.bias", "linear2.weight": "ff.3.weight",
             "linear2.bias": "ff.3.bias"}
    out = {}
    for key, value in state.items():
        for i in range(depth):
            prefix = f"encoder.layers.{i}."
            if key.startswith(prefix):
                key = prefix + names.get(key[len(prefix):], key[len(prefix):])
        out[key] = value
    return out


def test_sdpa_attention_is_the_same_transformer_with_the_same_weights():
    torch.manual_seed(0)
    mha = build("transformer", TOKENS, depth=2).eval()
    sdpa = build("transformer", TOKENS, depth=2, attention="sdpa").eval()
    assert count_params(mha) == count_params(sdpa)
    sdpa.load_state_dict(_mha_weights_as_sdpa(mha.state_dict(), 2))
    x = torch.randint(1, 30, (4, 12))
    x[1, 6:] = 0
    x[3, :] = 0  # all padding
    with torch.no_grad():
        assert torch.allclose(mha(x), sdpa(x), atol=1e-5)
    for a, b in zip(attention_maps(mha, x[1:2]), attention_maps(sdpa, x[1:2])):  # explain draws both
        assert torch.allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_opacus_cells_compute_what_the_fused_cells_do(cell):
    pytest.importorskip("opacus")
    torch.manual_seed(0)
    fused = build("rnn", SIGNAL, width=8, depth=2, cell=cell).eval()
    dp = build("rnn", SIGNAL, width=8, depth=2, cell=cell, dp_cells=True).eval()
    assert count_params(fused) == count_params(dp)
    dp.load_state_dict(fused.state_dict(), strict=False)  # Opacus' cells take PyTorch's parameter names
    x = torch.randn(3, 2, 16)
    with torch.no_grad():
        assert torch.allclose(fused(x), dp(x), atol=1e-5)


def test_group_norm_cnn_has_the_batch_norm_cnn_parameters_and_no_running_statistics():
    plain, group = build("cnn", SIGNAL, width=8), build("cnn", SIGNAL, width=8, norm="group")
    assert count_params(plain) == count_params(group)
    assert not list(group.buffers()) and list(plain.buffers())
