"""What a model is, counted rather than timed: parameters, weight bytes and forward FLOPs.

FLOPs come from ``torch.utils.flop_counter.FlopCounterMode`` (a multiply-add counts 2), with attention on
kernels whose matmuls the counter sees.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["count_params", "weight_bytes", "count_flops", "mha_fastpath_off", "countable_attention"]


def count_params(model: nn.Module) -> int:
    """Parameters, each shared (tied) tensor counted once; a classic model states its own (``n_parameters``)."""
    own = getattr(model, "n_parameters", None)
    return int(own) if own is not None else sum(p.numel() for p in model.parameters())


def weight_bytes(model: nn.Module) -> int:
    """Bytes of the weights: parameters and buffers, or a classic model's ONNX graph."""
    graph = getattr(model, "onnx_bytes", None)
    if graph is not None:
        return len(graph())
    tensors = {id(t): t for t in [*model.parameters(), *model.buffers()]}
    return sum(t.numel() * t.element_size() for t in tensors.values())


def count_flops(model: nn.Module, inputs: tuple[torch.Tensor, ...]) -> int:
    """Forward FLOPs of ``model(*inputs)`` as counted by PyTorch's ``FlopCounterMode``.

    Attention is counted in full (QKᵀ and AV): see :func:`countable_attention`. A classic model states its own
    per-sample count (``flops_per_sample``: multiply-adds of a linear model, comparisons down its trees).
    """
    own = getattr(model, "flops_per_sample", None)
    if own is not None:
        return int(own) * len(inputs[0])
    with countable_attention(), torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(*inputs)
    return int(counter.get_total_flops())


@contextlib.contextmanager
def mha_fastpath_off() -> Iterator[None]:
    """Switch off the fused Transformer inference fast path, whose matmuls ``FlopCounterMode`` cannot see."""
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)


@contextlib.contextmanager
def countable_attention() -> Iterator[None]:
    """Run attention on kernels whose matmuls ``FlopCounterMode`` sees, so FLOPs include QKᵀ and AV.

    The fused MHA fast path and the CPU flash-attention kernel of ``scaled_dot_product_attention`` have no
    FLOP formula, so a CPU count would miss the attention; the math kernel does the same arithmetic visibly.
    """
    from torch.nn.attention import SDPBackend, sdpa_kernel

    with mha_fastpath_off(), sdpa_kernel(SDPBackend.MATH):
        yield
