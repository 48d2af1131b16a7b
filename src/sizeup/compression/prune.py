"""Pruning: structured channel removal (Torch-Pruning) that really shrinks the layers, and unstructured
magnitude pruning (``torch.nn.utils.prune``) that only zeroes weights; both fine-tune briefly afterwards.

Zeroed weights do not make dense kernels faster: unstructured pruning reports its sparsity and says so.
A structurally pruned model no longer matches its config, so the changed layer sizes are saved next to
the weights (``checkpoint.layer_sizes``) and ``checkpoint.load_model`` reapplies them before loading.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from sizeup._imports import optional_import
from sizeup._methods import Method
from sizeup.data.bundle import DataBundle
from sizeup.errors import SizeupError
from sizeup.training.callbacks import Callback

__all__ = ["prune_structured", "prune_unstructured", "fine_tune", "sparsity"]

FINE_TUNE_EPOCHS = 5


def prune_structured(model: nn.Module, ratio: float, example: tuple[torch.Tensor, ...]) -> nn.Module:
    """Remove ``ratio`` of the channels of every prunable layer (L2 magnitude), keeping the output layer whole."""
    tp = optional_import("torch_pruning", extra="compress", feature="structured pruning (prune:R)")
    outputs = [m for m in model.modules() if isinstance(m, nn.Linear) and m.out_features == model.info.n_outputs]
    try:
        pruner = tp.pruner.MetaPruner(model, example, importance=tp.importance.MagnitudeImportance(p=2),
                                      pruning_ratio=ratio, ignored_layers=outputs[-1:])
        pruner.step()
    except Exception as exc:  # noqa: BLE001 - the dependency graph of some layers is not supported
        raise SizeupError(f"structured pruning of {model.spec.describe()} failed ({type(exc).__name__}: "
                          f"{str(exc)[:150]}); try prune-unstructured:{ratio:g}, int8 or distill") from None
    return model


def prune_unstructured(model: nn.Module, ratio: float) -> nn.Module:
    """Zero the ``ratio`` smallest-magnitude weights over all weight matrices and kernels (global L1)."""
    from torch.nn.utils import prune

    targets = [(m, n) for m in model.modules() for n, p in m.named_parameters(recurse=False)
               if p.ndim >= 2 and not isinstance(m, nn.Embedding)]
    prune.global_unstructured(targets, pruning_method=prune.L1Unstructured, amount=ratio)
    for m, n in targets:
        prune.remove(m, n)  # make the zeros permanent; the mask is gone, so fine-tuning may refill them
    return model


def sparsity(model: nn.Module) -> float:
    """Fraction of exactly-zero weights in the matrices and kernels."""
    ws = [p for p in model.parameters() if p.ndim >= 2]
    return sum(int((w == 0).sum()) for w in ws) / max(1, sum(w.numel() for w in ws))


def fine_tune(model: nn.Module, data: DataBundle, task: Any, method: Method, *, keep_zeros: bool) -> dict[str, Any]:
    """A short training run at a tenth of the usual learning rate; best validation epoch kept."""
    from sizeup.training import fit
    from sizeup.training.run import resolve_config

    config = resolve_config(task, data.info)
    epochs = int(method.options.get("epochs", FINE_TUNE_EPOCHS))
    config = config.with_overrides(epochs=epochs, lr=float(method.options.get("lr", config.lr / 10)), patience=None,
                                   max_seconds=None)
    masks = {p: (p != 0) for p in model.parameters() if p.ndim >= 2} if keep_zeros else {}
    callbacks = [_KeepZeros(masks)] if masks else []
    result = fit(model, data, config, metric=task.search.metric, callbacks=callbacks)
    return {"fine_tune_epochs": result.epochs, "fine_tune_seconds": result.train_seconds, "val": result.best_val}


class _KeepZeros(Callback):
    """Re-apply the pruning masks after every optimiser step so fine-tuning keeps the sparsity."""

    def __init__(self, masks: dict[torch.Tensor, torch.Tensor]) -> None:
        self.masks = masks

    @torch.no_grad()
    def on_step_end(self, logs: dict[str, Any]) -> None:
        for p, mask in self.masks.items():
            p.mul_(mask)


