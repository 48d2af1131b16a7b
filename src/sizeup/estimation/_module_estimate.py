"""An ``nn.Module`` -> :class:`Estimate`: exact FLOPs and activations from the meta device, then memory,
roofline time and cost on the chosen hardware."""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import nn

from sizeup.estimation._catalog import Hardware, get_hardware
from sizeup.estimation._llm import hardware_dict
from sizeup.estimation._module import ModuleProfile, profile_module
from sizeup.estimation._roofline import efficiency_for
from sizeup.estimation._types import Cost, Estimate, Flops, MemoryBreakdown, Setup, Timing
from sizeup.estimation._validate import check_choices
from sizeup.errors import SizeupError

__all__ = ["estimate_module"]

# Optimizer states per parameter, in multiples of the parameter's own size (torch.optim defaults), except
# adam8bit whose two int8 states are 2 bytes whatever the parameter dtype (bitsandbytes).
_STATES = {"adamw": 2.0, "sgd": 1.0}


def estimate_module(
    module: nn.Module,
    example_inputs: tuple[Any, ...],
    *,
    hardware: str | Hardware = "cpu",
    mode: str = "train",
    dtype: str | None = None,
    optimizer: str = "adamw",
    loss_fn: Callable[[Any], torch.Tensor] | None = None,
    name: str | None = None,
    source: str = "module",
) -> Estimate:
    """Exact estimate of ``module(*example_inputs)`` (one batch): FLOPs forward and backward from
    ``FlopCounterMode``, activation bytes from saved-tensor hooks; no memory is allocated (meta device)."""
    hw = hardware if isinstance(hardware, Hardware) else get_hardware(hardware)
    if dtype not in (None, "fp32", "bf16", "fp16"):
        raise SizeupError(f"--dtype {dtype} is not supported for modules measured exactly; use fp32, bf16 or fp16")
    if not isinstance(example_inputs, tuple) or not example_inputs:
        raise SizeupError("example_inputs must be a non-empty tuple of tensors, e.g. (torch.randn(32, 3, 32, 32),)")
    first = example_inputs[0]
    batch = int(first.shape[0]) if isinstance(first, torch.Tensor) and first.dim() else 1
    own = next((p.dtype for p in module.parameters() if p.is_floating_point()), torch.float32)
    resolved = dtype or {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(own, "fp32")
    setup = Setup(hardware=hw.name, dtype=resolved, mode=mode, batch=batch, micro_batch=batch, seq=1, gpus=1, optimizer=optimizer,
                  kv_dtype=resolved, grad_dtype=resolved)
    check_choices(setup)
    train = mode == "train"
    prof = profile_module(module, example_inputs, dtype=dtype, train=train, loss_fn=loss_fn)
    mem = _memory(prof, setup, hw, train=train)
    timing = _timing(prof, setup, hw, mem, train=train)
    per_hour = hw.usd_per_hour * setup.gpus
    notes = ["exact: FLOPs and the peak of live tensors measured on the meta device (FlopCounterMode, storage lifetimes)"]
    return Estimate(
        model=name or type(module).__name__, source=source, params=prof.params, active_params=prof.params,
        setup=setup, hardware=hardware_dict(hw), memory=mem, capacity_bytes=hw.memory_bytes,
        fits=mem.total <= hw.memory_bytes,
        flops=Flops(forward=prof.forward_flops / prof.batch, backward=prof.backward_flops / prof.batch, per="sample"),
        timing=timing, cost=Cost(usd_per_hour=per_hour, usd_per_1m_tokens=None), notes=notes)


def _memory(prof: ModuleProfile, st: Setup, hw: Hardware, *, train: bool) -> MemoryBreakdown:
    weights = prof.param_bytes + prof.buffer_bytes
    if not train:
        acts = max(prof.peak_live_bytes - prof.output_bytes, 0)
        return MemoryBreakdown(weights=weights, activations=acts, logits=prof.output_bytes, overhead=hw.overhead_bytes)
    states = 2 * prof.trainable_params if st.optimizer == "adam8bit" else _STATES[st.optimizer] * prof.trainable_bytes
    # The live peak over forward + loss + backward includes the parameters' gradients (all alive by the end
    # of backward), so activations are what it holds beyond them, the loss's log-softmax and gradients included.
    acts = max(prof.peak_live_bytes - prof.trainable_bytes, 0)
    return MemoryBreakdown(weights=weights, gradients=prof.trainable_bytes, optimizer=int(states), activations=acts,
                           overhead=hw.overhead_bytes)


def _timing(prof: ModuleProfile, st: Setup, hw: Hardware, mem: MemoryBreakdown, *, train: bool) -> Timing:
    eff = efficiency_for(hw)
    peak, _ = hw.peak_flops(st.dtype)
    bw = hw.bandwidth_gbs * 1e9 * eff.bandwidth
    if train:
        flops, f_eff = prof.forward_flops + prof.backward_flops, eff.train_mfu
        moved = 3 * mem.weights + 2 * prof.saved_bytes + mem.optimizer * 2  # read fwd/bwd/update; write+read acts
    else:
        flops, f_eff = prof.forward_flops, eff.prefill
        moved = mem.weights + 2 * prof.peak_live_bytes
    step = max(flops / (peak * f_eff), moved / bw)
    return Timing(step_s=step, samples_per_s=prof.batch / step if step else None, efficiency=eff.as_dict())
