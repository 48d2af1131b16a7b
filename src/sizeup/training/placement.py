"""Where the data lives while a model trains: on the device, copied once, when it fits there; otherwise in
host memory, each batch gathered, pinned and copied without blocking (so the copy overlaps the GPU's work).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from sizeup.data.bundle import Split

__all__ = ["DeviceSplit", "place", "fits_on_device", "DEVICE_DATA_FRACTION"]

# At most this share of the device's free memory goes to data; the rest is the model's, its gradients',
# optimizer states' and activations'.
DEVICE_DATA_FRACTION = 0.5


def _nbytes(split: Split) -> int:
    return sum(t.numel() * t.element_size() for t in (split.x, split.y))


def fits_on_device(nbytes: int, device: torch.device) -> bool:
    """Whether ``nbytes`` of data fit in :data:`DEVICE_DATA_FRACTION` of the device's free memory."""
    if device.type == "cpu":
        return True
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
    else:  # mps: what the driver recommends, minus what is allocated already
        free = torch.mps.recommended_max_memory() - torch.mps.current_allocated_memory()
    return nbytes <= DEVICE_DATA_FRACTION * free


class DeviceSplit:
    """A split as the training loop reads it: :meth:`batch` returns ``(x, y)`` on ``device``."""

    def __init__(self, split: Split, device: torch.device, *, resident: bool) -> None:
        self.device, self.resident = device, resident
        self.x = split.x.to(device) if resident else split.x
        self.y = split.y.to(device) if resident else split.y
        self.split = Split(self.x, self.y)

    def __len__(self) -> int:
        return len(self.split)

    def indices(self, batches: Iterable[torch.Tensor]) -> list[torch.Tensor]:
        """An epoch's index tensors where the data is: one host-to-device copy per epoch, not one per step."""
        batches = list(batches)
        if not self.resident or self.device.type == "cpu" or not batches:
            return batches
        flat = torch.cat(batches).to(self.device, non_blocking=True)
        return list(flat.split([len(b) for b in batches]))

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.resident:
            return self.x[idx], self.y[idx]
        return _to_device(self.x[idx], self.device), _to_device(self.y[idx], self.device)


def _to_device(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    if device.type == "cuda":  # pinned pages let the copy run asynchronously; torch caches the pinned blocks
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)


def place(split: Split, device: torch.device) -> DeviceSplit:
    """The split on ``device`` if it fits there (see :func:`fits_on_device`), else left in host memory."""
    return DeviceSplit(split, device, resident=fits_on_device(_nbytes(split), device))
