"""Attention maps of one input: per layer, averaged over heads, shape (queries, keys).

``nn.MultiheadAttention`` (the ``transformer`` family) is asked for its weights through a pre-hook
(the encoder layer calls it with ``need_weights=False``); the fused fast path is switched off so the
hooks run. The ``gpt`` family calls ``scaled_dot_product_attention``, which returns no weights, so
its causal softmax(QKᵀ/√d) is recomputed from the ``qkv`` projection the block already made; so is the
padding-masked one of a ``transformer`` built with ``attention="sdpa"`` (its private variant).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from sizeup.measurement import mha_fastpath_off

__all__ = ["attention_maps"]


def _mha_hooks(model: nn.Module, maps: list[torch.Tensor]) -> list:
    def ask(module, args, kwargs):
        return args, {**kwargs, "need_weights": True, "average_attn_weights": True}

    def keep(module, args, output):
        maps.append(output[1][0].detach())

    handles = []
    for m in model.modules():
        if isinstance(m, nn.MultiheadAttention):
            handles += [m.register_forward_pre_hook(ask, with_kwargs=True), m.register_forward_hook(keep)]
    return handles


def _gpt_hooks(model: nn.Module, maps: list[torch.Tensor]) -> list:
    from sizeup.zoo.gpt import CausalSelfAttention

    def hook_for(attn: CausalSelfAttention):
        def keep(module, args, qkv):
            b, t, three_c = qkv.shape
            q, k, _ = qkv.view(b, t, 3, attn.heads, three_c // (3 * attn.heads)).permute(2, 0, 3, 1, 4)
            if attn.rotary is not None:
                q, k = attn.rotary(q, 0), attn.rotary(k, 0)
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
            causal = torch.ones(t, t, dtype=torch.bool, device=scores.device).tril()
            maps.append(F.softmax(scores.masked_fill(~causal, float("-inf")), dim=-1)[0].mean(0).detach())
        return keep

    return [m.qkv.register_forward_hook(hook_for(m)) for m in model.modules() if isinstance(m, CausalSelfAttention)]


def _sdpa_hooks(model: nn.Module, maps: list[torch.Tensor]) -> list:
    from sizeup.zoo.transformer import SelfAttention

    def keep(module: SelfAttention, args, output) -> None:
        x, padding = args
        b, t, c = x.shape
        q, k, _ = module.qkv(x).view(b, t, 3, module.heads, c // module.heads).permute(2, 0, 3, 1, 4)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        if padding is not None:
            scores = scores.masked_fill(padding[:, None, None, :], float("-inf"))
        maps.append(F.softmax(scores, dim=-1)[0].mean(0).detach())

    return [m.register_forward_hook(keep) for m in model.modules() if isinstance(m, SelfAttention)]


def attention_maps(model: nn.Module, x: torch.Tensor) -> list[torch.Tensor] | None:
    """One (T, T) map per layer for the single input ``x``, or ``None`` for a model without attention."""
    maps: list[torch.Tensor] = []
    handles = _mha_hooks(model, maps) + _gpt_hooks(model, maps) + _sdpa_hooks(model, maps)
    if not handles:
        return None
    try:
        with mha_fastpath_off(), torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return maps
