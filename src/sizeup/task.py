"""The task spec: a TOML file becomes a typed, validated :class:`Task` (the one place input is checked)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sizeup.errors import SizeupError

__all__ = ["Task", "DataSpec", "BudgetSpec", "Constraints", "SearchSpec", "TrainSpec", "PrivacySpec", "FederatedSpec",
           "parse_duration", "TASK_METRICS"]

# The metrics each task is scored by (sizeup.training.metrics computes them); [search] metric must be one.
TASK_METRICS: dict[str, tuple[str, ...]] = {
    "classification": ("accuracy", "macro_f1", "loss"),
    "regression": ("rmse", "mae", "loss"),
    "language-modeling": ("perplexity", "token_accuracy", "loss"),
    "seq2seq": ("sequence_accuracy", "token_accuracy", "perplexity", "loss"),
}
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
NAME_MAX = 100  # the run folder runs/<name>/ and the study are named after it; file systems cap a name at 255
SECTIONS = ("data", "budget", "constraints", "search", "train", "privacy", "federated")

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
    features: list[str] | None = Field(None, min_length=1)
    val_fraction: float = Field(0.1, gt=0, lt=1)
    test_fraction: float = Field(0.2, gt=0, lt=1)
    max_length: int = Field(256, ge=4)
    max_vocab: int = Field(20_000, ge=16)
    tokenizer: Literal["char", "word", "bpe", "wordpiece"] = "char"
    block_size: int = Field(64, ge=4)
    image_size: list[Annotated[int, Field(ge=1)]] | None = Field(None, min_length=2, max_length=2)
    mask_pii: list[PIIType] = []  # e.g. ["phone", "id_card", "email"]: masked in every text column when loaded

    @model_validator(mode="after")
    def _columns(self) -> DataSpec:
        if self.features is not None and self.target in self.features:
            raise ValueError(f"[data] features = {self.features!r} lists the target column {self.target!r}; "
                             "drop it from features (a model must not be given its own target)")
        if self.features is not None and self.text is not None:
            raise ValueError("set either [data] text (a text column) or [data] features (numeric columns), not both")
        return self


class BudgetSpec(_Strict):
    """``[budget]``: how long a search may run, and optionally how many trials."""

    time: str | float = "5m"
    trials: int | None = Field(None, ge=1)

    @field_validator("time")
    @classmethod
    def _duration(cls, value: str | float) -> str | float:
        parse_duration(value, what="[budget] time")
        return value

    @property
    def seconds(self) -> float:
        return parse_duration(self.time, what="[budget] time")


def _device_spec(value: str | None, key: str) -> str | None:
    from sizeup._device import DEVICE_CHOICES, check_device_spec

    try:
        return None if value is None else check_device_spec(value)
    except SizeupError:
        raise ValueError(f"{key} {value!r} is not a device; use {DEVICE_CHOICES}") from None


class Constraints(_Strict):
    """``[constraints]``: what the recommended model must meet, on the device it will serve on.

    ``device``: where latency, throughput and memory are measured (``cpu`` for a CPU deployment of a model
    trained on a GPU); by default the device the model trains on.
    """

    max_latency_ms: float | None = Field(None, gt=0)
    max_params: int | None = Field(None, gt=0)
    max_memory_mb: float | None = Field(None, gt=0)
    max_flops: float | None = Field(None, gt=0)
    max_train_seconds: float | None = Field(None, gt=0)
    device: str | None = None

    @field_validator("device")
    @classmethod
    def _device(cls, value: str | None) -> str | None:
        return _device_spec(value, "[constraints] device")

    def active(self) -> dict[str, float]:
        """The numeric limits that are set (``device`` says where they are measured, it is no limit)."""
        return {k: v for k, v in self.model_dump().items() if v is not None and k != "device"}


class SearchSpec(_Strict):
    """``[search]``: which families and which metric the search compares."""

    families: list[str] | None = None
    metric: str | None = None
    validation: str = Field("auto", pattern=r"^(auto|holdout|kfold(:([2-9]|1[0-9]|20))?)$")  # auto: k-fold on small data
    retrain_on_full: bool = False
    compress: list[str] = []  # e.g. ["int8", "prune:0.5"]: compressed variants of the best candidates join the leaderboard

    @field_validator("families")
    @classmethod
    def _families(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("[search] families = [] names no family; list at least one (see `sizeup families`), "
                             "or leave the key out to search every family that fits the data")
        return value

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str | None) -> str | None:
        known = sorted({m for metrics in TASK_METRICS.values() for m in metrics})
        if value is not None and value not in known:
            raise ValueError(f"[search] metric = {value!r} is not a metric sizeup computes; choose one of: "
                             f"{', '.join(known)}")
        return value

    @field_validator("compress")
    @classmethod
    def _methods(cls, value: list[str]) -> list[str]:
        if value:
            from sizeup._methods import parse_method

            for method in value:
                try:
                    parse_method(method)
                except SizeupError as exc:
                    raise ValueError(f"[search] compress: {exc}") from None
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
    device: str | None = None  # auto | cpu | cuda | cuda:N | mps
    precision: Literal["auto", "32", "bf16-mixed", "16-mixed"] | None = None
    seed: int = Field(0, ge=0, le=2**32 - 1)  # numpy and Optuna's samplers take seeds in [0, 2**32)

    @field_validator("time")
    @classmethod
    def _duration(cls, value: str | float | None) -> str | float | None:
        if value is not None:
            parse_duration(value, what="[train] time")
        return value

    @field_validator("device")
    @classmethod
    def _device(cls, value: str | None) -> str | None:
        return _device_spec(value, "[train] device")

    @field_validator("precision", mode="before")
    @classmethod
    def _precision(cls, value: object) -> object:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value  # precision = 32

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
    raise ValueError(f"[federated] {what} = {value!r}: it must be {forms} with a positive number after the colon")


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

    name: str = Field(pattern=NAME_PATTERN, max_length=NAME_MAX)
    data: DataSpec
    budget: BudgetSpec = BudgetSpec()
    constraints: Constraints = Constraints()
    search: SearchSpec = SearchSpec()
    train: TrainSpec = TrainSpec()
    privacy: PrivacySpec = PrivacySpec()
    federated: FederatedSpec | None = None
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    @model_validator(mode="after")
    def _metric_fits_the_task(self) -> Task:
        metric, kind = self.search.metric, self.data.task
        if metric is not None and metric not in TASK_METRICS[kind]:
            raise ValueError(f"[search] metric = {metric!r} does not apply to [data] task = {kind!r}; "
                             f"choose one of: {', '.join(TASK_METRICS[kind])}")
        return self

    @classmethod
    def from_toml(cls, path: str | Path) -> Task:
        """Read and validate a task file; every problem becomes one line naming the file and key."""
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SizeupError(f"{path}: malformed TOML ({exc}); fix the syntax at that line") from None
        except UnicodeDecodeError:
            raise SizeupError(f"{path}: not a UTF-8 text file; save the task file as UTF-8 TOML") from None
        except FileNotFoundError:
            raise SizeupError(f"task file {str(path)!r} not found; pass the path of a .toml task file "
                              "(see examples/)") from None
        except IsADirectoryError:
            raise SizeupError(f"task file {str(path)!r} is a folder; pass the path of a .toml task file") from None
        except OSError as exc:  # no permission, a name too long, a device that cannot be read
            raise SizeupError(f"task file {str(path)!r}: cannot read it ({exc.strerror or exc}); "
                              "pass the path of a readable .toml task file") from None
        return cls.from_dict(raw, base_dir=path.resolve().parent, origin=str(path))

    @classmethod
    def from_dict(cls, raw: dict[str, Any], *, base_dir: Path | None = None, origin: str = "task") -> Task:
        """Validate a task given as a dict (the same schema as the TOML file)."""
        try:
            task = cls.model_validate({**raw, "base_dir": base_dir or Path.cwd()})
        except ValidationError as exc:
            raise SizeupError(f"{origin}: {_one_line(exc)}") from None
        if task.federated is not None:
            task.federated.check(task.data.task, origin)
            if task.privacy.enabled:
                raise SizeupError(f"{origin}: [privacy] epsilon (DP-SGD on one machine's rows) and [federated] cannot "
                                  "be combined; for client-level privacy set [federated] dp_clip and dp_epsilon instead")
        return task

    def resolve_path(self, p: str) -> Path:
        """A path in the task file is relative to the task file's folder."""
        path = Path(p).expanduser()
        return path if path.is_absolute() else (self.base_dir / path)


def _one_line(exc: ValidationError) -> str:
    """The first problem as one line: the key as written in the file (``[data] source``), what is wrong, the value."""
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    key = f"[{loc[0]}] {'.'.join(loc[1:])}" if len(loc) > 1 else loc[0] if loc else "?"
    if err["type"] == "value_error":  # sizeup's own checks: the message names its key and the fix
        return str(err["ctx"]["error"])
    if err["type"] == "missing":
        return f"key {key} is missing; add it (see examples/ for a complete task file)"
    if err["type"] == "extra_forbidden":
        if len(loc) == 1 and isinstance(err.get("input"), dict):
            return f"unknown section [{loc[0]}]; remove it or check its spelling (sections: {', '.join(SECTIONS)})"
        return f"unknown key {key}; remove it or check its spelling"
    got = repr(err.get("input"))
    got = got if len(got) <= 60 else got[:57] + "..."
    if err["type"] == "model_type" and len(loc) == 1:
        return f"[{loc[0]}] must be a table: write [{loc[0]}] on a line of its own and its keys below it, got {got}"
    hint = ""
    if loc == ["name"] and err["type"] == "string_pattern_mismatch":
        hint = " (letters, digits, '.', '_' and '-', starting with a letter or digit: it names the folder runs/<name>/)"
    return f"key {key}: {err['msg'][0].lower()}{err['msg'][1:]}{hint}, got {got}"
