"""What every data source produces: three in-memory splits and a description of their shape."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # annotations only: `sizeup datasets` and the zoo's DataInfo need no torch import
    import torch

__all__ = ["DataInfo", "Split", "DataBundle", "INPUT_KINDS", "TASKS"]

InputKind = Literal["tabular", "signal", "image", "tokens", "lm", "seq2seq"]
TaskKind = Literal["classification", "regression", "language-modeling", "seq2seq"]
INPUT_KINDS: tuple[str, ...] = ("tabular", "signal", "image", "tokens", "lm", "seq2seq")
TASKS: tuple[str, ...] = ("classification", "regression", "language-modeling", "seq2seq")


@dataclass
class DataInfo:
    """Everything a model builder needs to know about the data (saved in every checkpoint).

    ``input_shape`` is the shape of one sample: ``(features,)`` for tabular, ``(channels, length)``
    for signals, ``(channels, height, width)`` for images, ``(length,)`` for token sequences.
    ``n_outputs`` is the number of classes, of regression targets, or the vocabulary size for LM.
    Token id 0 is always padding.
    """

    name: str
    input_kind: str
    task: str
    input_shape: tuple[int, ...]
    n_outputs: int
    metric: str
    class_names: list[str] | None = None
    vocab: list[str] | None = None
    target_vocab: list[str] | None = None
    n_train: int = 0
    n_val: int = 0
    n_test: int = 0
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab) if self.vocab else 0

    @property
    def target_vocab_size(self) -> int:
        return len(self.target_vocab) if self.target_vocab else 0

    @property
    def seq_len(self) -> int:
        """Sequence length the sequence families see (time steps, tokens, or image rows)."""
        if self.input_kind == "signal":
            return self.input_shape[1]
        if self.input_kind == "image":
            return self.input_shape[1]
        return self.input_shape[0]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["input_shape"] = list(self.input_shape)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DataInfo:
        d = dict(d)
        d["input_shape"] = tuple(d["input_shape"])
        return cls(**d)


@dataclass
class Split:
    """One split held in memory: inputs ``x`` and targets ``y`` with the same first dimension."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def subset(self, index: torch.Tensor) -> Split:
        return Split(self.x[index], self.y[index])


@dataclass
class DataBundle:
    """Train / validation / test splits plus their :class:`DataInfo`. Validation never comes from test."""

    info: DataInfo
    train: Split
    val: Split
    test: Split

    def __post_init__(self) -> None:
        self.info.n_train, self.info.n_val, self.info.n_test = len(self.train), len(self.val), len(self.test)
