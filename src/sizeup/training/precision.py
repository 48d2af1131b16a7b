"""Mixed precision, with Lightning's names: ``32``, ``bf16-mixed`` (autocast to bfloat16) and ``16-mixed``
(autocast to float16 with a gradient scaler, since float16's narrow exponent range underflows small
gradients; Micikevicius et al. 2018, "Mixed Precision Training"). Weights and optimizer states stay float32.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from sizeup.errors import SizeupError
from sizeup.training.config import PRECISIONS

__all__ = ["PRECISIONS", "resolve_precision", "MixedPrecision", "AUTOCAST_MIN_PARAMS"]

# Below this size a step is bound by kernel launches, not arithmetic: autocast only adds cast kernels.
# A design choice, not a measured threshold; benchmarks/gpu.py measures both sides of it on a GPU.
AUTOCAST_MIN_PARAMS = 1_000_000


def resolve_precision(precision: str, device: torch.device, model: nn.Module, *, clips_per_sample: bool = False) -> str:
    """``auto`` -> the fastest numerically safe choice here; an explicit choice is checked against the device.

    auto: on a GPU with bfloat16 (compute capability 8.0+) ``bf16-mixed`` (float32's exponent range, so no
    scaler), on an older GPU with tensor cores (7.x) ``16-mixed`` with the scaler, for models of at least
    ``AUTOCAST_MIN_PARAMS`` parameters; ``32`` otherwise (CPUs and MPS, small models, DP-SGD's per-sample clipping).
    """
    if precision not in PRECISIONS:
        raise SizeupError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    cuda = device.type == "cuda"
    if precision == "bf16-mixed" and cuda and not torch.cuda.is_bf16_supported():
        raise SizeupError(f"precision bf16-mixed: {torch.cuda.get_device_name(device)} has no bfloat16; use 16-mixed or 32")
    if precision == "16-mixed" and clips_per_sample:
        raise SizeupError("precision 16-mixed cannot be combined with DP-SGD's per-sample clipping; use bf16-mixed or 32")
    if precision != "auto":
        return precision
    big = sum(p.numel() for p in model.parameters() if p.requires_grad) >= AUTOCAST_MIN_PARAMS
    if not cuda or not big:
        return "32"
    if torch.cuda.get_device_capability(device)[0] >= 8:
        return "bf16-mixed"
    return "32" if clips_per_sample or torch.cuda.get_device_capability(device)[0] < 7 else "16-mixed"


class MixedPrecision:
    """The forward under autocast, and a backward/step through a gradient scaler when float16 needs one.

    With ``32`` every method is the plain call, so a float32 run does what a hand-written loop does.
    """

    def __init__(self, precision: str, device: torch.device) -> None:
        self.precision, self.device = precision, device
        self.dtype = {"bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}.get(precision)
        self.scaler = torch.amp.GradScaler(device.type) if precision == "16-mixed" else None

    def autocast(self) -> contextlib.AbstractContextManager[None]:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler else loss).backward()

    def unscale(self, optimizer: torch.optim.Optimizer) -> None:
        """Before clipping: the gradients in their true scale."""
        if self.scaler:
            self.scaler.unscale_(optimizer)

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        """A scaled step skips itself when a gradient overflowed, then the scale adapts."""
        if self.scaler:
            self.scaler.step(optimizer)
            self.scaler.update()
        else:
            optimizer.step()

    def summary(self) -> dict[str, object]:
        return {"precision": self.precision, **({"grad_scale": self.scaler.get_scale()} if self.scaler else {})}

