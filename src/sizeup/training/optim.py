"""Optimizers and the learning-rate schedule, as functions of training progress in [0, 1]."""

from __future__ import annotations

import math

import torch
from torch import nn

from sizeup.training.config import TrainConfig

__all__ = ["make_optimizer", "lr_at"]


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """Weight decay on matrices and filters only, not on biases and norm gains (as in nanoGPT)."""
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    fused = {"fused": True} if all(p.dtype.is_floating_point for p in params) else {}
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr, **fused)
    if cfg.optimizer == "adam":  # L2 through the gradient, the classic (coupled) form
        return torch.optim.Adam(groups, lr=cfg.lr, **fused)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(groups, lr=cfg.lr)
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=0.9, nesterov=True, **fused)


def lr_at(progress: float, cfg: TrainConfig) -> float:
    """Learning rate at ``progress`` (0 = start, 1 = end).

    onecycle: linear warm-up from lr/25, then cosine down to lr/25e4 (Smith & Topin 2018, PyTorch's
    OneCycleLR defaults); cosine: linear warm-up from 0, then cosine to 0 (Loshchilov & Hutter 2017).
    """
    p = min(max(progress, 0.0), 1.0)
    if cfg.schedule == "constant":
        return cfg.lr
    start = cfg.lr / 25 if cfg.schedule == "onecycle" else 0.0
    end = cfg.lr / 25e4 if cfg.schedule == "onecycle" else 0.0
    if cfg.warmup and p < cfg.warmup:
        return start + (cfg.lr - start) * p / cfg.warmup
    q = (p - cfg.warmup) / (1 - cfg.warmup)
    return end + (cfg.lr - end) * 0.5 * (1 + math.cos(math.pi * q))
