"""The task spec: a TOML file becomes a typed, validated :class:`Task` (the one place input is checked)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sizeup.errors import SizeupError

__all__ = ["Task", "DataSpec", "BudgetSpec", "Constraints", "SearchSpec", "TrainSpec", "PrivacySpec", "parse_duration"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr)?\s*$")
_UNIT_SECONDS = {None: 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hr": 3600.0}


def parse_duration(value: str | float | int, *, what: str = "duration") -> float:
    """``"90s"``, ``"5m"``, ``"1.5h"`` or a number of seconds -> seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise SizeupError(f"{what} {value!r} is not a duration; write e.g. '90s', '5m' or '1h'")
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise SizeupError(f"{what} must be positive, got {value!r}")
    return seconds


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


PIIType = Literal["phone", "id_card", "email", "bank_card", "ip", "url"]  # what sizeup.data.pii recognizes


class DataSpec(_Strict):
    """``[data]``: where the data is and what to predict."""

    source: str
    task: Literal["classification", "regression", "language-modeling", "seq2seq"] = "classification"
    format: Literal["auto", "csv", "parquet", "npz", "images", "text", "idx", "cifar10"] = "auto"
    target: str = "label"
    text: str | None = None
    features: list[str] | None = None
    val_fraction: float = Field(0.1, gt=0, lt=1)
    test_fraction: float = Field(0.2, gt=0, lt=1)
    max_length: int = Field(256, ge=4)
    max_vocab: int = Field(20_000, ge=16)
    tokenizer: Literal["char", "word", "bpe", "wordpiece"] = "char"
    block_size: int = Field(64, ge=4)
    image_size: list[int] | None = None
    mask_pii: list[PIIType] = []  # e.g. ["phone", "id_card", "email"]: masked in every text column when loaded


class BudgetSpec(_Strict):
    """``[budget]``: how long a search may run, and optionally how many trials."""

    time: str | float = "5m"
    trials: int | None = Field(None, ge=1)

    @property
    def seconds(self) -> float:
        return parse_duration(self.time, what="[budget] time")


class Constraints(_Strict):
    """``[constraints]``: what the recommended model must meet on this device."""

    max_latency_ms: float | None = Field(None, gt=0)
    max_params: int | None = Field(None, gt=0)
    max_memory_mb: float | None = Field(None, gt=0)
    max_flops: float | None = Field(None, gt=0)
    max_train_seconds: float | None = Field(None, gt=0)

    def active(self) -> dict[str, float]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class SearchSpec(_Strict):
    """``[search]``: which families and which metric the search compares."""

    families: list[str] | None = None
    metric: str | None = None
    retrain_on_full: bool = False
    compress: list[str] = []  # e.g. ["int8", "prune:0.5"]: compressed variants of the best candidates join the leaderboard

    @field_validator("compress")
    @classmethod
    def _methods(cls, value: list[str]) -> list[str]:
        if value:
            from sizeup.compression.methods import parse_method

            for method in value:
                parse_method(method)
        return value


class TrainSpec(_Strict):
    """``[train]``: defaults for every training run of this task (the CLI flags override them)."""

    epochs: int | None = Field(None, ge=1)
    time: str | float | None = None
    batch_size: int | None = Field(None, ge=1)
    lr: float | None = Field(None, gt=0)
    optimizer: Literal["adamw", "adam", "rmsprop", "sgd"] | None = None
    schedule: Literal["onecycle", "cosine", "constant"] | None = None
    weight_decay: float | None = Field(None, ge=0)
    l1: float | None = Field(None, ge=0)
    label_smoothing: float | None = Field(None, ge=0, lt=1)
    clip_grad: float | None = Field(None, gt=0)
    patience: int | None = Field(None, ge=1)
    augment: bool | None = None
    class_weights: bool | None = None
    seed: int = 0

    def overrides(self) -> dict[str, Any]:
        """Settings the task file sets explicitly (``None`` means: use sizeup's default)."""
        return {k: v for k, v in self.model_dump().items() if v is not None and k != "seed"}


class PrivacySpec(_Strict):
    """``[privacy]``: train every candidate with (epsilon, delta)-DP-SGD; no epsilon means no DP."""

    epsilon: float | None = Field(None, gt=0)
    delta: float = Field(1e-5, gt=0, lt=1)
    max_grad_norm: float = Field(1.0, gt=0)
    accountant: Literal["prv", "rdp"] = "prv"
    search: Literal["per-candidate", "conservative"] = "per-candidate"
    trials: int | None = Field(None, ge=1)  # conservative mode: the budget is split over this many trials

    @property
    def enabled(self) -> bool:
        return self.epsilon is not None


class Task(_Strict):
    """A learning task: data, budget, constraints, search and training settings."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    data: DataSpec
    budget: BudgetSpec = BudgetSpec()
    constraints: Constraints = Constraints()
    search: SearchSpec = SearchSpec()
    train: TrainSpec = TrainSpec()
    privacy: PrivacySpec = PrivacySpec()
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    @classmethod
    def from_toml(cls, path: str | Path) -> Task:
        """Read and validate a task file; every problem becomes one line naming the file and key."""
        path = Path(path)
        if not path.is_file():
            raise SizeupError(f"task file {str(path)!r} not found; pass the path of a .toml task file (see examples/)")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SizeupError(f"{path}: malformed TOML ({exc}); fix the syntax at that line") from None
        except UnicodeDecodeError:
            raise SizeupError(f"{path}: not a UTF-8 text file; save the task file as UTF-8 TOML") from None
        return cls.from_dict(raw, base_dir=path.resolve().parent, origin=str(path))

    @classmethod
    def from_dict(cls, raw: dict[str, Any], *, base_dir: Path | None = None, origin: str = "task") -> Task:
        """Validate a task given as a dict (the same schema as the TOML file)."""
        try:
            task = cls.model_validate({**raw, "base_dir": base_dir or Path.cwd()})
        except ValidationError as exc:
            raise SizeupError(f"{origin}: {_one_line(exc)}") from None
        task.budget.seconds  # noqa: B018 - validates the duration now, not mid-search
        if task.train.time is not None:
            parse_duration(task.train.time, what="[train] time")
        return task

    def resolve_path(self, p: str) -> Path:
        """A path in the task file is relative to the task file's folder."""
        path = Path(p).expanduser()
        return path if path.is_absolute() else (self.base_dir / path)


def _one_line(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    key = f"[{loc[0]}] {'.'.join(loc[1:])}" if len(loc) > 1 else loc[0] if loc else "?"
    if err["type"] == "missing":
        return f"key {key} is missing; add it (see examples/ for a complete task file)"
    if err["type"] == "extra_forbidden":
        return f"unknown key {key}; remove it or check its spelling"
    got = err.get("input")
    return f"key {key}: {err['msg'].lower()}, got {got!r}"
