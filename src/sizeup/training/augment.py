"""Standard, label-preserving augmentations for each input kind, applied on the fly to a training batch."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["augmenter_for", "has_augmenter", "neighbours_related"]


def _shift_signal(x: torch.Tensor, g: torch.Generator, max_shift: int, noise: float) -> torch.Tensor:
    """Translate each signal by up to ``max_shift`` steps (edge-padded) and add a little Gaussian noise.

    The random numbers come from ``g`` on ``x``'s device, so a GPU batch never waits for the host."""
    b, _, length = x.shape
    dev = x.device
    padded = F.pad(x, (max_shift, max_shift), mode="replicate")
    start = torch.randint(0, 2 * max_shift + 1, (b,), generator=g, device=dev)
    idx = (start[:, None] + torch.arange(length, device=dev)[None, :]).unsqueeze(1).expand(-1, x.shape[1], -1)
    shifted = padded.gather(2, idx)
    return shifted + noise * torch.randn(shifted.shape, generator=g, device=dev, dtype=shifted.dtype)


def _shift_image(x: torch.Tensor, g: torch.Generator, pad: int) -> torch.Tensor:
    """Random crop after zero padding (the CIFAR recipe); no flips, which would change digits and text."""
    b, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    dy, dx = torch.randint(0, 2 * pad + 1, (2,), generator=g).tolist()
    return padded[:, :, dy : dy + h, dx : dx + w]


def augmenter_for(input_kind: str, input_shape: tuple[int, ...], seed: int, *, strength: float = 1.0,
                  device: torch.device | str = "cpu"):
    """A ``batch -> batch`` function for signals and images, or ``None`` where no standard one exists.

    ``strength`` scales the largest shift (a tenth of a signal's length, an eighth of an image's side at 1.0)
    and the signal noise. Shifts assume that neighbouring positions are related; the search tries training
    without them, because on data whose positions carry no order they destroy the signal. Signal draws use a
    generator on ``device`` (the batches'); an image's one crop offset per batch stays a host draw.
    """
    if input_kind == "signal":
        g = torch.Generator(device=device).manual_seed(seed + 1)
        shift = max(1, int(strength * input_shape[-1] / 10))
        return lambda x: _shift_signal(x, g, shift, 0.02 * strength)
    if input_kind == "image":
        g = torch.Generator().manual_seed(seed + 1)
        pad = max(1, int(strength * min(input_shape[-2:]) / 8))
        return lambda x: _shift_image(x, g, pad)
    return None


def has_augmenter(input_kind: str) -> bool:
    """Whether sizeup has a standard augmentation for this kind of input (so ``augment`` is worth searching)."""
    return input_kind in ("signal", "image")


def neighbours_related(x: torch.Tensor, *, margin: float = 0.1) -> bool:
    """Whether neighbouring positions of signals or images vary together more than random pairs of positions do.

    Shift augmentation assumes it. Compares the mean absolute correlation (over samples) between each position and
    its right neighbour with that between each position and a random other position; on natural signals and images
    the first is far higher, on data whose positions were shuffled the two are equal.
    """
    flat = x.reshape(-1, x.shape[-1]).float()  # each channel of a signal, or each row of an image's pixels
    if flat.shape[1] < 3 or len(flat) < 8:
        return True
    z = (flat - flat.mean(0)) / flat.std(0).clamp_min(1e-8)
    corr = (z.T @ z) / (len(z) - 1)
    n = corr.shape[0]
    near = corr.diagonal(1).abs().mean()
    g = torch.Generator().manual_seed(0)
    i, j = torch.randint(0, n, (4 * n,), generator=g), torch.randint(0, n, (4 * n,), generator=g)
    far = corr[i[i != j], j[i != j]].abs().mean()
    return bool(near > far + margin)
