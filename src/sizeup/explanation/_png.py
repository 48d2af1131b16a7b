"""Small PNG figures drawn with PIL: heat maps over image pixels, and signal thumbnails.

PIL rather than matplotlib: sizeup does not depend on matplotlib, PIL comes with torchvision's
dependencies, and a heat map over a few hundred pixels needs no more than a colour map and a resize.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from sizeup._io import atomic_path

__all__ = ["image_heatmap", "image_thumb", "signal_thumb"]

SCALE_TO = 160  # pixels on the long side


def _save(img: Image.Image, path: Path) -> Path:
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG")
    return path


def _gray(x: torch.Tensor) -> np.ndarray:
    """(C, H, W) -> (H, W) in 0..1."""
    g = x.float().mean(0).numpy()
    lo, hi = float(g.min()), float(g.max())
    return (g - lo) / (hi - lo) if hi > lo else np.zeros_like(g)


def _resize(img: Image.Image) -> Image.Image:
    w, h = img.size
    k = max(1, SCALE_TO // max(w, h))
    return img.resize((w * k, h * k), Image.NEAREST)


def image_thumb(x: torch.Tensor, path: Path) -> Path:
    return _save(_resize(Image.fromarray((255 * _gray(x)).astype(np.uint8), "L")), path)


def image_heatmap(x: torch.Tensor, attribution: torch.Tensor, path: Path) -> Path:
    """The image in grey, then red where the attribution is positive and blue where negative."""
    a = attribution.float().sum(0).numpy()
    a = a / (np.abs(a).max() or 1.0)
    base = 0.35 + 0.4 * _gray(x)
    rgb = np.stack([base + np.clip(a, 0, 1) * (1 - base), base * (1 - np.abs(a)), base + np.clip(-a, 0, 1) * (1 - base)], -1)
    return _save(_resize(Image.fromarray((255 * np.clip(rgb, 0, 1)).astype(np.uint8), "RGB")), path)


def signal_thumb(x: torch.Tensor, path: Path, size: tuple[int, int] = (200, 60)) -> Path:
    """Every channel of a (C, T) signal as a line."""
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    w, h = size
    for c, channel in enumerate(x.float().numpy()):
        lo, hi = float(channel.min()), float(channel.max())
        ys = (channel - lo) / (hi - lo) if hi > lo else np.full_like(channel, 0.5)
        pts = [(i * (w - 1) / max(1, len(channel) - 1), (h - 4) - y * (h - 8)) for i, y in enumerate(ys)]
        draw.line(pts, fill=("#4e79a7", "#f28e2b", "#59a14f")[c % 3], width=2)
    return _save(img, path)
