"""The task spec: a TOML file becomes a typed, validated :class:`Task` (the one place input is checked)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sizeup.errors import SizeupError

__all__ = ["Task", "DataSpec", "BudgetSpec", "Constraints", "SearchSpec", "TrainSpec", "FederatedSpec", "parse_duration"]

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


def _scheme(value: str, *, what: str, plain: str, numbered: dict[str, type]) -> tuple[str, float | None]:
    """``"dirichlet:0.5"`` -> ``("dirichlet", 0.5)``; ``"iid"`` -> ``("iid", None)``; anything else raises with the forms."""
    name, sep, number = value.partition(":")
    if not sep and name == plain:
        return name, None
    if sep and name in numbered:
        try:
            parsed = numbered[name](number)
        except ValueError:
            parsed = None
        if parsed is not None and parsed > 0:
            return name, float(parsed)
    forms = " or ".join([repr(plain), *(f"'{k}:<{'integer' if t is int else 'number'}>'" for k, t in numbered.items())])
    raise ValueError(f"{what} must be {forms} with a positive number after the colon")


class FederatedSpec(_Strict):
    """``[federated]``: train every candidate by federated averaging over simulated data owners.

    ``partition`` spreads the training rows over ``clients``: ``iid``, ``dirichlet:ALPHA`` (each class's rows split
    by Dirichlet(ALPHA) proportions) or ``labels:K`` (each client holds K classes). Each of ``rounds`` samples
    ``fraction`` of the clients, which train ``local_epochs`` on their own rows. ``dp_clip`` with ``dp_noise`` (or a
    target ``dp_epsilon``) turns on client-level differential privacy (DP-FedAvg).
    """

    clients: int = Field(10, ge=2)
    partition: str = "iid"
    rounds: int = Field(50, ge=1)
    fraction: float = Field(0.5, gt=0, le=1)
    local_epochs: int = Field(1, ge=1)
    strategy: str = "fedavg"
    target: float | None = None  # the validation metric to reach; its round is reported
    dp_clip: float | None = Field(None, gt=0)
    dp_noise: float | None = Field(None, ge=0)
    dp_epsilon: float | None = Field(None, gt=0)
    dp_delta: float = Field(1e-5, gt=0, lt=1)
    secure_aggregation: bool = False

    @field_validator("partition")
    @classmethod
    def _partition(cls, value: str) -> str:
        _scheme(value, what="partition", plain="iid", numbered={"dirichlet": float, "labels": int})
        return value

    @field_validator("strategy")
    @classmethod
    def _strategy(cls, value: str) -> str:
        _scheme(value, what="strategy", plain="fedavg", numbered={"fedprox": float})
        return value

    @property
    def partition_scheme(self) -> tuple[str, float | None]:
        return _scheme(self.partition, what="partition", plain="iid", numbered={"dirichlet": float, "labels": int})

    @property
    def proximal_mu(self) -> float:
        """FedProx's mu (0 for plain FedAvg)."""
        name, mu = _scheme(self.strategy, what="strategy", plain="fedavg", numbered={"fedprox": float})
        return mu or 0.0

    @property
    def private(self) -> bool:
        return self.dp_noise is not None or self.dp_epsilon is not None

    def check(self, task_kind: str, origin: str) -> None:
        """What one key alone cannot say: settings that contradict each other or the task."""
        where = f"{origin}: [federated]"
        if self.dp_noise is not None and self.dp_epsilon is not None:
            raise SizeupError(f"{where} sets both dp_noise = {self.dp_noise} and dp_epsilon = {self.dp_epsilon}; "
                              "give the noise multiplier or the target epsilon, not both")
        if self.private and self.dp_clip is None:
            raise SizeupError(f"{where} asks for differential privacy but dp_clip is missing; add dp_clip = 1.0 "
                              "(the L2 norm each client's update is clipped to)")
        if self.partition != "iid" and task_kind != "classification":
            raise SizeupError(f"{where} partition = {self.partition!r} splits by class, but [data] task = "
                              f"{task_kind!r}; use partition = \"iid\"")


class Task(_Strict):
    """A learning task: data, budget, constraints, search and training settings."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    data: DataSpec
    budget: BudgetSpec = BudgetSpec()
    constraints: Constraints = Constraints()
    search: SearchSpec = SearchSpec()
    train: TrainSpec = TrainSpec()
    federated: FederatedSpec | None = None
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
        if task.federated is not None:
            task.federated.check(task.data.task, origin)
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
