"""Exact costs of any ``nn.Module``: run it on the meta device, where tensors have shapes but no memory.

FLOPs come from ``torch.utils.flop_counter.FlopCounterMode`` around a real forward and a real backward; the
activations kept for backward are measured with ``torch.autograd.graph.saved_tensors_hooks`` (each storage
counted once, parameters excluded), and the peak of the bytes alive at once by following every storage an op
creates until Python frees it. Nothing is allocated, so a 70B-parameter module is fine on a laptop.
"""

from __future__ import annotations

import contextlib
import copy
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from sizeup.errors import SizeupError
from sizeup.measurement import countable_attention

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
    output_bytes: int
    peak_live_bytes: int  # most bytes alive at once: forward (+ backward with its gradients), inputs excluded
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
    preexisting = param_keys | {_storage_key(b) for b in meta.buffers()} | {
        _storage_key(x) for x in meta_in if isinstance(x, torch.Tensor)}
    saved: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        key = _storage_key(t)
        if key not in param_keys:
            saved[key] = t.untyped_storage().nbytes()
        return t

    was_training = meta.training
    meta.train(train)
    try:
        fwd_counter, bwd_counter = FlopCounterMode(display=False), FlopCounterMode(display=False)
        with countable_attention():  # fused attention kernels hide their matmuls from the counter
            _step(meta, meta_in, train=train, loss_fn=loss_fn, forward=fwd_counter, backward=bwd_counter)
        for p in meta.parameters():
            p.grad = None  # the memory pass must see the parameter gradients being created
        live = _LiveBytes(preexisting)
        with attention_as_on_cpu():  # memory follows the kernel the CPU would really run
            output_bytes = _step(meta, meta_in, train=train, loss_fn=loss_fn, forward=live, backward=live, pack=pack)
    except SizeupError:
        raise
    except (RuntimeError, TypeError, NotImplementedError) as exc:
        raise SizeupError(f"the module's forward failed on the example inputs ({str(exc).splitlines()[0]}); "
                          "check example_inputs match what forward expects") from None
    finally:
        meta.train(was_training)
        for p in meta.parameters():
            p.grad = None
    bwd = int(bwd_counter.get_total_flops()) if train else 0
    plist = list(params.values())
    buffers = {_storage_key(b): b.untyped_storage().nbytes() for b in meta.buffers()}
    return ModuleProfile(
        params=sum(p.numel() for p in plist),
        trainable_params=sum(p.numel() for p in plist if p.requires_grad),
        param_bytes=sum(p.numel() * p.element_size() for p in plist),
        buffer_bytes=sum(buffers.values()),
        trainable_bytes=sum(p.numel() * p.element_size() for p in plist if p.requires_grad),
        forward_flops=int(fwd_counter.get_total_flops()), backward_flops=bwd,
        saved_bytes=sum(saved.values()), output_bytes=output_bytes,
        peak_live_bytes=live.peak, batch=int(meta_in[0].shape[0]) if meta_in[0].dim() else 1,
    )


def _step(meta: nn.Module, meta_in: tuple[Any, ...], *, train: bool, loss_fn: Callable[[Any], torch.Tensor] | None,
          forward: Any, backward: Any, pack: Callable[[torch.Tensor], torch.Tensor] | None = None) -> int:
    """One forward (for training: the loss and a backward too) with ``forward`` / ``backward`` entered around
    each; returns the output's bytes. ``pack`` sees every tensor autograd saves."""
    with forward:
        if train:
            hooks = (torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t) if pack is not None
                     else contextlib.nullcontext())
            with hooks:
                out = meta(*meta_in)
                out_t = _first_tensor(out)
            loss = loss_fn(out) if loss_fn is not None else _classifier_loss(out_t)
        else:
            with torch.no_grad():
                out = meta(*meta_in)
                out_t = _first_tensor(out)
    output_bytes = out_t.numel() * out_t.element_size()
    del out, out_t  # as in a training step, the logits live only as long as autograd keeps them
    if train:
        if not loss.requires_grad:
            raise SizeupError("the module's output does not depend on any trainable parameter; nothing to train")
        with backward:
            loss.backward()
    return output_bytes


@contextlib.contextmanager
def attention_as_on_cpu() -> Iterator[None]:
    """Route ``scaled_dot_product_attention`` on meta tensors the way the CPU does: without dropout it takes the
    flash kernel, which keeps no b × heads × t × t score matrix; the meta device would always take the math one."""
    original = F.scaled_dot_product_attention

    def routed(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, **kw):  # noqa: ANN001
        same_heads = key.shape[:-2] == query.shape[:-2] and value.shape[:-2] == query.shape[:-2]
        if query.is_meta and dropout_p == 0.0 and same_heads and not kw.get("enable_gqa") and query.dim() == 4:
            if attn_mask is not None and attn_mask.dtype == torch.bool:  # what the CPU path does to a boolean mask
                attn_mask = torch.zeros(attn_mask.shape, dtype=query.dtype, device=query.device).masked_fill(
                    attn_mask.logical_not(), float("-inf"))
            return torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(
                query, key, value, 0.0, is_causal, attn_mask=attn_mask, scale=scale)[0]
        return original(query, key, value, attn_mask=attn_mask, dropout_p=dropout_p, is_causal=is_causal, scale=scale, **kw)

    F.scaled_dot_product_attention = routed
    try:
        yield
    finally:
        F.scaled_dot_product_attention = original


def _classifier_loss(out: torch.Tensor) -> torch.Tensor:
    """What training usually minimises: cross-entropy costs a log-softmax of the logits and its gradient."""
    if out.is_floating_point() and out.dim() >= 2:
        logits = out.float().flatten(0, -2)
        return torch.nn.functional.cross_entropy(logits, logits.new_zeros(logits.shape[0], dtype=torch.long))
    return out.float().sum()


class _LiveBytes(torch.utils._python_dispatch.TorchDispatchMode):
    """The peak of the bytes alive at once: each storage an op creates counts until Python frees it.

    Unlike saved-tensor hooks this also sees what no op saves: transients of the forward, and the gradients
    flowing back (of activations and of parameters) during backward. Storages that existed before
    (parameters, buffers, inputs) are not counted. Kernels' private workspaces are invisible here.
    """

    def __init__(self, preexisting: set[int]) -> None:
        super().__init__()
        self.preexisting = preexisting
        self.alive: dict[int, tuple[int, weakref.ref]] = {}
        self.current = self.peak = 0

    def _release(self, key: int) -> None:
        nbytes, _ = self.alive.pop(key, (0, None))
        self.current -= nbytes

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001 - torch's protocol
        out = func(*args, **(kwargs or {}))
        for t in torch.utils._pytree.tree_leaves(out):
            if isinstance(t, torch.Tensor):
                storage = t.untyped_storage()
                key = storage._cdata
                if key in self.preexisting or key in self.alive:
                    continue
                nbytes = storage.nbytes()
                self.alive[key] = (nbytes, weakref.ref(storage, lambda _ref, k=key: self._release(k)))
                self.current += nbytes
        self.peak = max(self.peak, self.current)
        return out
