"""Training settings as one typed config, with defaults that suit each kind of input."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from sizeup._device import check_device_spec
from sizeup.errors import SizeupError

__all__ = ["TrainConfig", "default_config", "PRECISIONS"]

OPTIMIZERS = ("adamw", "adam", "rmsprop", "sgd")
SCHEDULES = ("onecycle", "cosine", "constant")
PRECISIONS = ("auto", "32", "bf16-mixed", "16-mixed")  # Lightning's names; auto: see training.precision


@dataclass
class TrainConfig:
    """How to train: stop after ``epochs`` or ``max_seconds`` (whichever comes first) or on early stopping."""

    epochs: int = 30
    max_seconds: float | None = None
    batch_size: int = 128
    lr: float = 3e-3
    optimizer: str = "adamw"
    schedule: str = "onecycle"
    warmup: float = 0.1
    weight_decay: float = 0.01
    l1: float = 0.0
    label_smoothing: float = 0.0
    clip_grad: float | None = 1.0
    patience: int | None = 10
    augment: bool = True
    augment_strength: float = 1.0  # scales the shift (and noise) of the standard augmentation
    class_weights: bool = False
    eval_batch_size: int = 1024
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    precision: str = "auto"  # auto | 32 | bf16-mixed | 16-mixed

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise SizeupError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.schedule not in SCHEDULES:
            raise SizeupError(f"schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        for name in ("epochs", "batch_size", "eval_batch_size"):
            if getattr(self, name) < 1:
                raise SizeupError(f"{name} must be at least 1, got {getattr(self, name)!r}")
        if self.lr <= 0:
            raise SizeupError(f"lr must be positive, got {self.lr!r}")
        if not 0 < self.augment_strength <= 4:
            raise SizeupError(f"augment_strength must be in (0, 4], got {self.augment_strength!r}")
        if not 0 <= self.warmup < 1:
            raise SizeupError(f"warmup must be a fraction in [0, 1), got {self.warmup!r}")
        self.device = check_device_spec(self.device, what="device")
        self.precision = str(self.precision)
        if self.precision not in PRECISIONS:
            raise SizeupError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")

    def with_overrides(self, **overrides: Any) -> TrainConfig:
        """A copy with the given settings replaced (``None`` values are ignored)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise SizeupError(f"unknown training setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


# Chosen on the bundled data sets (docs/benchmarks.md): short one-cycle runs with AdamW converge fastest
# on 2 CPU cores; text wants smaller batches and class weighting for its imbalanced classes.
_BY_KIND: dict[str, dict[str, Any]] = {
    "tabular": {"batch_size": 128, "lr": 3e-3, "augment": False},
    "signal": {"batch_size": 128, "lr": 1e-2, "epochs": 40},
    "image": {"batch_size": 64, "lr": 5e-3, "epochs": 40},
    "tokens": {"batch_size": 64, "lr": 2e-3, "epochs": 10, "augment": False, "class_weights": True, "patience": 3},
    "lm": {"batch_size": 64, "lr": 3e-3, "epochs": 10, "augment": False, "patience": 3},
    "seq2seq": {"batch_size": 64, "lr": 3e-3, "epochs": 40, "augment": False, "label_smoothing": 0.0},
}


def default_config(input_kind: str, **overrides: Any) -> TrainConfig:
    """sizeup's defaults for this kind of input, with ``overrides`` on top."""
    return TrainConfig(**_BY_KIND.get(input_kind, {})).with_overrides(**overrides)
