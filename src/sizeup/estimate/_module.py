"""Exact costs of any ``nn.Module``: run it on the meta device, where tensors have shapes but no memory.

FLOPs come from ``torch.utils.flop_counter.FlopCounterMode`` around a real forward and a real backward; the
activations kept for backward are measured with ``torch.autograd.graph.saved_tensors_hooks`` (each storage
counted once, parameters excluded). Nothing is allocated, so a 70B-parameter module is fine on a laptop.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from sizeup.errors import SizeupError
from sizeup.measure import mha_fastpath_off

__all__ = ["ModuleProfile", "profile_module", "to_meta"]

_TORCH_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class ModuleProfile:
    """What one forward (+ backward) of a module costs, for the batch it was given."""

    params: int
    trainable_params: int
    param_bytes: int
    buffer_bytes: int
    trainable_bytes: int
    forward_flops: int
    backward_flops: int
    saved_bytes: int  # activations autograd keeps for backward (inputs included when saved)
    largest_saved_bytes: int  # backward starts by holding a gradient of this size next to its input
    output_bytes: int
    peak_transient_bytes: int  # the largest single op's inputs + outputs (no-grad forward working set)
    batch: int


def _storage_key(t: torch.Tensor) -> int:
    return t.untyped_storage()._cdata


def to_meta(module: nn.Module, inputs: tuple[Any, ...], *, dtype: str | None = None) -> tuple[nn.Module, tuple[Any, ...]]:
    """A meta-device copy of ``module`` and ``inputs`` (modules already on meta are used as they are)."""
    on_meta = all(p.is_meta for p in module.parameters())
    meta = module if on_meta else copy.deepcopy(module).to(device="meta")
    if dtype is not None and dtype in _TORCH_DTYPES:
        meta = meta.to(dtype=_TORCH_DTYPES[dtype])

    def cast(x: Any) -> Any:
        if not isinstance(x, torch.Tensor):
            return x
        target = _TORCH_DTYPES[dtype] if (dtype in _TORCH_DTYPES and x.is_floating_point()) else x.dtype
        return torch.empty(x.shape, dtype=target, device="meta")

    return meta, tuple(cast(x) for x in inputs)


def _first_tensor(out: Any) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out
    values = out.values() if isinstance(out, dict) else out if isinstance(out, (list, tuple)) else [getattr(out, "logits", None)]
    for v in values:
        if isinstance(v, torch.Tensor):
            return v
    raise SizeupError("the module returned no tensor; give a module whose forward returns a tensor (or a tuple/dict of them)")


def profile_module(module: nn.Module, inputs: tuple[Any, ...], *, dtype: str | None = None, train: bool = True,
                   loss_fn: Callable[[Any], torch.Tensor] | None = None) -> ModuleProfile:
    """Measure ``module(*inputs)`` on the meta device: FLOPs forward and backward, activation bytes."""
    if not isinstance(inputs, tuple) or not inputs:
        raise SizeupError("example_inputs must be a non-empty tuple of tensors, e.g. (torch.randn(32, 3, 32, 32),)")
    meta, meta_in = to_meta(module, inputs, dtype=dtype)
    params = {id(p): p for p in meta.parameters()}
    param_keys = {_storage_key(p) for p in params.values()}
    saved: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        key = _storage_key(t)
        if key not in param_keys:
            saved[key] = t.untyped_storage().nbytes()
        return t

    was_training = meta.training
    meta.train(train)
    try:
        with mha_fastpath_off():  # the fused MHA path hides its matmuls from the counter
            transient = _TransientTracker(param_keys)
            with FlopCounterMode(display=False) as fwd_counter:
                if train:
                    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
                        out = meta(*meta_in)
                else:
                    with torch.no_grad(), transient:
                        out = meta(*meta_in)
            out_t = _first_tensor(out)
            bwd = 0
            if train:
                loss = loss_fn(out) if loss_fn is not None else out_t.float().sum()
                if not loss.requires_grad:
                    raise SizeupError("the module's output does not depend on any trainable parameter; nothing to train")
                with FlopCounterMode(display=False) as bwd_counter:
                    loss.backward()
                bwd = int(bwd_counter.get_total_flops())
    except SizeupError:
        raise
    except (RuntimeError, TypeError, NotImplementedError) as exc:
        raise SizeupError(f"the module's forward failed on the example inputs ({str(exc).splitlines()[0]}); "
                          "check example_inputs match what forward expects") from None
    finally:
        meta.train(was_training)
    plist = list(params.values())
    buffers = {_storage_key(b): b.untyped_storage().nbytes() for b in meta.buffers()}
    return ModuleProfile(
        params=sum(p.numel() for p in plist),
        trainable_params=sum(p.numel() for p in plist if p.requires_grad),
        param_bytes=sum(p.numel() * p.element_size() for p in plist),
        buffer_bytes=sum(buffers.values()),
        trainable_bytes=sum(p.numel() * p.element_size() for p in plist if p.requires_grad),
        forward_flops=int(fwd_counter.get_total_flops()), backward_flops=bwd,
        saved_bytes=sum(saved.values()), largest_saved_bytes=max(saved.values(), default=0), output_bytes=out_t.numel() * out_t.element_size(),
        peak_transient_bytes=transient.peak, batch=int(meta_in[0].shape[0]) if meta_in[0].dim() else 1,
    )


class _TransientTracker(torch.utils._python_dispatch.TorchDispatchMode):
    """The largest working set of one op (its non-parameter inputs and outputs) in a no-grad forward."""

    def __init__(self, param_keys: set[int]) -> None:
        super().__init__()
        self.param_keys, self.peak = param_keys, 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001 - torch's protocol
        out = func(*args, **(kwargs or {}))
        seen: dict[int, int] = {}
        flat = torch.utils._pytree.tree_leaves((args, kwargs or {}, out))
        for t in flat:
            if isinstance(t, torch.Tensor):
                key = _storage_key(t)
                if key not in self.param_keys:
                    seen[key] = t.untyped_storage().nbytes()
        self.peak = max(self.peak, sum(seen.values()))
        return out
