"""Half-precision casting (``fp16``, ``bf16``): the weights become 16-bit and so does the arithmetic.

A GPU runs 16-bit matmuls on its tensor cores at several times its float32 rate and moves half the bytes;
a CPU without 16-bit units converts back and forth and usually gets slower, which the measured verdict says.
Floating inputs are cast on the way in and outputs back to float32 on the way out, so the model keeps the
call contract every caller (evaluate, measure, the report) relies on; integer inputs (token ids) pass as they are.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["cast_model", "CAST_DTYPES"]

CAST_DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}


def cast_model(model: nn.Module, name: str) -> nn.Module:
    """Cast ``model`` in place to ``fp16`` or ``bf16``, with input/output casts at its boundary."""
    dtype = CAST_DTYPES[name]
    model.to(dtype)

    def inputs_in(_module: nn.Module, args: tuple) -> tuple:
        return tuple(a.to(dtype) if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in args)

    def outputs_out(_module: nn.Module, _args: tuple, out):
        return out.float() if isinstance(out, torch.Tensor) and out.is_floating_point() else out

    model.register_forward_pre_hook(inputs_in)
    model.register_forward_hook(outputs_out)
    model.cast_dtype = name
    return model
