"""Quality metrics and their direction; every figure a leaderboard compares comes from here."""

from __future__ import annotations

import math

import torch

BOOTSTRAP = 200  # resamples behind a bootstrap standard error
COUNTED = ("accuracy", "token_accuracy", "sequence_accuracy")

__all__ = ["METRICS", "higher_is_better", "compute_metrics", "metric_se"]

METRICS = {"accuracy": True, "macro_f1": True, "loss": False, "rmse": False, "mae": False,
           "perplexity": False, "token_accuracy": True, "sequence_accuracy": True}


def higher_is_better(metric: str) -> bool:
    return METRICS[metric]


def _macro_f1(pred: torch.Tensor, y: torch.Tensor, n_classes: int) -> float:
    """Unweighted mean of per-class F1 (a class absent from both truth and prediction is skipped).

    Counted with three ``bincount`` calls rather than a pass per class (the F1 arithmetic stays in Python)."""
    pred, y = pred.flatten().long(), y.flatten().long()
    tp = torch.bincount(y[pred == y], minlength=n_classes).tolist()
    predicted = torch.bincount(pred, minlength=n_classes).tolist()  # tp + fp
    actual = torch.bincount(y, minlength=n_classes).tolist()  # tp + fn
    f1s = [2 * t / (p + a) for t, p, a in zip(tp, predicted, actual) if p + a]
    return sum(f1s) / len(f1s) if f1s else 0.0


def compute_metrics(task: str, preds: torch.Tensor, y: torch.Tensor, mean_loss: float, n_classes: int) -> dict[str, float]:
    """All metrics that apply to ``task``; ``preds`` are class ids (raw outputs for regression)."""
    out: dict[str, float] = {"loss": mean_loss}
    if task == "classification":
        out["accuracy"] = (preds == y).float().mean().item()
        out["macro_f1"] = _macro_f1(preds, y, n_classes)
    elif task == "regression":
        err = preds.reshape(y.shape) - y
        out["rmse"] = err.pow(2).mean().sqrt().item()
        out["mae"] = err.abs().mean().item()
    elif task == "language-modeling":
        out["perplexity"] = math.exp(min(mean_loss, 50.0))
        out["token_accuracy"] = (preds == y).float().mean().item()
    elif task == "seq2seq":
        target = y[:, 1:]
        real = target != 0
        out["token_accuracy"] = ((preds == target) & real).sum().item() / max(real.sum().item(), 1)
        out["sequence_accuracy"] = ((preds == target) | ~real).all(dim=1).float().mean().item()
        out["perplexity"] = math.exp(min(mean_loss, 50.0))
    return out


def metric_se(task: str, metric: str, preds: torch.Tensor, y: torch.Tensor, n_classes: int, *, seed: int = 0) -> float:
    """Standard error of ``metric`` on these rows, so a score says how sure it is.

    A proportion (accuracy): the binomial standard error at the Agresti-Coull estimate (x + 2) / (n + 4), which stays
    above zero when every row is right (a perfect score on 135 rows is not a certainty). Macro-F1, RMSE and MAE: the
    standard deviation over :data:`BOOTSTRAP` resamples of the rows. The loss and perplexity: ``nan`` (not estimated).
    """
    if metric in ("loss", "perplexity"):
        return math.nan
    if metric in COUNTED:
        scores = compute_metrics(task, preds, y, 0.0, n_classes)
        n = y[:, 1:].numel() if task == "seq2seq" and metric == "token_accuracy" else len(y)
        n = y.numel() if task == "language-modeling" else n
        p = (scores[metric] * n + 2) / (n + 4)
        return math.sqrt(p * (1 - p) / (n + 4))
    n = len(y)
    if n < 2:
        return math.nan
    g = torch.Generator().manual_seed(seed)
    draws = [compute_metrics(task, preds[i], y[i], 0.0, n_classes)[metric]
             for i in (torch.randint(0, n, (n,), generator=g) for _ in range(BOOTSTRAP))]
    mean = sum(draws) / len(draws)
    return math.sqrt(sum((d - mean) ** 2 for d in draws) / (len(draws) - 1))
