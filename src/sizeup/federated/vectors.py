"""What travels between server and clients: the model's floating-point state as one flat vector.

Parameters and floating buffers (BatchNorm's running statistics) both travel, so the global model can be
evaluated without any client's data; integer buffers (``num_batches_tracked``) stay where they are.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["exchanged_keys", "to_vector", "load_vector", "payload_bytes"]


def exchanged_keys(model: nn.Module) -> list[str]:
    """The state-dict entries that are averaged: every floating-point tensor, in state-dict order."""
    return [k for k, v in model.state_dict().items() if v.is_floating_point()]


def to_vector(model: nn.Module, keys: list[str]) -> torch.Tensor:
    """The exchanged state, flattened into one float64 vector (float64 so averaging adds no rounding of its own)."""
    state = model.state_dict()
    return torch.cat([state[k].detach().reshape(-1).double() for k in keys])


def load_vector(model: nn.Module, keys: list[str], vector: torch.Tensor) -> None:
    """Write ``vector`` back into the model's exchanged tensors, each in its own dtype and shape."""
    state = model.state_dict()
    offset = 0
    with torch.no_grad():
        for k in keys:
            t = state[k]
            t.copy_(vector[offset : offset + t.numel()].reshape(t.shape).to(t.dtype))
            offset += t.numel()


def payload_bytes(model: nn.Module, keys: list[str]) -> int:
    """Bytes one copy of the exchanged state takes on the wire, at the tensors' own precision (float32: 4 per value)."""
    state = model.state_dict()
    return sum(state[k].numel() * state[k].element_size() for k in keys)
