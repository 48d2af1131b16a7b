"""What :func:`sizeup.estimate` returns: typed results, rendered as tables or JSON at the edge."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Setup", "MemoryBreakdown", "Flops", "Timing", "Cost", "PlanChoice", "Estimate"]

MODES = ("train", "infer")
DTYPES = ("fp32", "bf16", "fp16", "fp8", "int8", "int4")
OPTIMIZERS = ("adamw", "sgd", "adam8bit")
RECOMPUTE = ("none", "selective", "full")


@dataclass(frozen=True)
class Setup:
    """One resolved run: the hardware, precision and parallel layout the figures are for."""

    hardware: str
    dtype: str
    mode: str
    batch: int  # global batch in sequences (train) or concurrent sequences (infer)
    seq: int  # tokens per sequence (infer: the whole context, prompt + generated)
    gpus: int
    tp: int = 1
    pp: int = 1
    zero: int = 0  # 0-3; FSDP full sharding is 3
    optimizer: str = "adamw"
    recompute: str = "none"
    kv_dtype: str = "bf16"
    micro_batch: int = 1  # sequences per micro-batch on one data-parallel replica (train)
    grad_dtype: str = "bf16"

    @property
    def dp(self) -> int:
        return self.gpus // (self.tp * self.pp)

    @property
    def n_micro(self) -> int:
        """Micro-batches per step on one replica (gradient accumulation / pipeline depth)."""
        return max(1, self.batch // (self.dp * self.micro_batch))

    def describe(self) -> str:
        par = f"DP{self.dp}×TP{self.tp}×PP{self.pp}"
        if self.mode == "train":
            return f"{par}, ZeRO-{self.zero}, recompute={self.recompute}, micro-batch {self.micro_batch}"
        return par


@dataclass(frozen=True)
class MemoryBreakdown:
    """Bytes on the fullest device."""

    weights: int = 0
    gradients: int = 0
    optimizer: int = 0
    activations: int = 0
    logits: int = 0
    kv_cache: int = 0
    overhead: int = 0

    @property
    def total(self) -> int:
        return sum(asdict(self).values())

    def to_dict(self) -> dict[str, int]:
        return {**asdict(self), "total": self.total}


@dataclass(frozen=True)
class Flops:
    """Model FLOPs (a multiply-add counts 2) per token, or per sample for non-sequence modules."""

    forward: float
    backward: float
    per: str = "token"  # "token" or "sample"
    recompute: float = 0.0  # extra forward work that activation recomputation adds

    @property
    def train(self) -> float:
        return self.forward + self.backward


@dataclass(frozen=True)
class Timing:
    """Roofline estimates, with the efficiency factors that produced them."""

    step_s: float | None = None  # one training step (train) or one forward+backward of the batch (module)
    tokens_per_s: float | None = None  # training throughput, all devices
    samples_per_s: float | None = None  # modules measured on the meta device
    prefill_s: float | None = None
    prefill_tokens_per_s: float | None = None
    decode_tokens_per_s: float | None = None  # all sequences together
    decode_bound: str | None = None  # "compute" or "memory"
    prefill_bound: str | None = None
    efficiency: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Cost:
    usd_per_hour: float
    usd_per_1m_tokens: float | None  # generated (infer) or trained-on (train) tokens
    api: list[dict[str, Any]] = field(default_factory=list)  # the same 1M tokens on commercial APIs


@dataclass(frozen=True)
class PlanChoice:
    setup: Setup
    memory_total: int
    fits: bool
    step_s: float | None
    score: float  # lower is better: seconds per step (train) or USD per 1M tokens (infer)


@dataclass
class Estimate:
    """Everything ``sizeup estimate`` reports about one model on one setup."""

    model: str
    source: str  # catalog, config, safetensors, module, zoo, saved
    params: int
    active_params: int
    setup: Setup
    hardware: dict[str, Any]
    memory: MemoryBreakdown
    capacity_bytes: int
    fits: bool
    flops: Flops
    timing: Timing
    cost: Cost | None = None
    plan: list[PlanChoice] | None = None  # feasible plans, best first (with plan=True)
    params_by_dtype: dict[str, int] | None = None
    shape: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def best_plan(self) -> PlanChoice | None:
        return self.plan[0] if self.plan else None

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` payload: stable top-level keys, bytes as integers."""
        flops_key = "flops_per_token" if self.flops.per == "token" else "flops_per_sample"
        return {
            "model": self.model, "source": self.source, "params": self.params, "active_params": self.active_params,
            "params_by_dtype": self.params_by_dtype,
            flops_key: {"forward": self.flops.forward, "backward": self.flops.backward, "train": self.flops.train,
                        "recompute": self.flops.recompute},
            "memory_bytes": self.memory.to_dict(), "capacity_bytes": self.capacity_bytes, "fits": self.fits,
            "setup": {**asdict(self.setup), "dp": self.setup.dp}, "hardware": self.hardware,
            "timing": asdict(self.timing), "cost": asdict(self.cost) if self.cost else None,
            "plan": [{"setup": {**asdict(p.setup), "dp": p.setup.dp}, "memory_total": p.memory_total,
                      "step_s": p.step_s, "score": p.score} for p in self.plan] if self.plan is not None else None,
            "shape": self.shape, "notes": self.notes,
        }
