"""Every check on the user's setup, in one place; each error names the flag, the value and a fix."""

from __future__ import annotations

from sizeup.estimation._config import TransformerShape
from sizeup.estimation._types import DTYPES, MODES, OPTIMIZERS, RECOMPUTE, Setup
from sizeup.errors import SizeupError

__all__ = ["check_choices", "check_setup", "divisors"]


def divisors(n: int, *, limit: int | None = None) -> list[int]:
    return [d for d in range(1, (limit or n) + 1) if n % d == 0]


def _one_of(flag: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise SizeupError(f"{flag} {value!r} is not supported; choose one of: {', '.join(choices)}")


def check_choices(st: Setup) -> None:
    """Checks that need no model: names and ranges of each option."""
    _one_of("--mode", st.mode, MODES)
    _one_of("--dtype", st.dtype, DTYPES)
    _one_of("--kv-dtype", st.kv_dtype, DTYPES)
    _one_of("--optimizer", st.optimizer, OPTIMIZERS)
    _one_of("--recompute", st.recompute, RECOMPUTE)
    for flag, value in (("--batch", st.batch), ("--seq", st.seq), ("--gpus", st.gpus), ("--tp", st.tp), ("--pp", st.pp),
                        ("--micro-batch", st.micro_batch)):
        if not isinstance(value, int) or value < 1:
            raise SizeupError(f"{flag} must be a positive integer, got {value!r}")
    if st.zero not in (0, 1, 2, 3):
        raise SizeupError(f"--zero must be 0, 1, 2 or 3 (FSDP full sharding is 3), got {st.zero!r}")
    if st.gpus % (st.tp * st.pp):
        raise SizeupError(f"--gpus {st.gpus} is not a multiple of --tp {st.tp} × --pp {st.pp} = {st.tp * st.pp}; "
                          f"use --gpus {st.tp * st.pp * max(1, st.gpus // (st.tp * st.pp))} or change --tp/--pp")
    if st.mode == "train":
        if st.dtype not in ("fp32", "bf16", "fp16"):
            raise SizeupError(f"--dtype {st.dtype} is for inference; train with bf16, fp16 or fp32")
        if st.batch % st.dp:
            raise SizeupError(f"--batch {st.batch} is not divisible by the data-parallel size {st.dp} "
                              f"(= gpus / (tp·pp)); use a multiple of {st.dp}")
        if (st.batch // st.dp) % st.micro_batch:
            raise SizeupError(f"--micro-batch {st.micro_batch} does not divide the per-replica batch {st.batch // st.dp}; "
                              f"choose one of {divisors(st.batch // st.dp)}")


def check_setup(st: Setup, s: TransformerShape) -> list[str]:
    """Checks against the model's shape; returns notes for what is allowed but worth knowing."""
    if s.heads % st.tp:
        raise SizeupError(f"--tp {st.tp} does not divide num_attention_heads={s.heads} of {s.name}; "
                          f"choose a divisor such as {', '.join(map(str, divisors(s.heads, limit=min(s.heads, 16))))}")
    if st.pp > s.layers:
        raise SizeupError(f"--pp {st.pp} exceeds num_hidden_layers={s.layers} of {s.name}; choose --pp ≤ {s.layers}")
    notes = []
    if s.max_positions and st.seq > s.max_positions:
        notes.append(f"--seq {st.seq} is longer than max_position_embeddings={s.max_positions} of {s.name}")
    if s.layers % st.pp:
        notes.append(f"{s.layers} layers do not split evenly over --pp {st.pp}; the fullest stage is reported")
    if st.mode == "infer" and (st.zero or st.recompute != "none"):
        notes.append("--zero, --optimizer and --recompute apply to training only; ignored for inference")
    return notes
