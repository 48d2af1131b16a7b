"""Search the parallel plans of N devices and rank the ones that fit.

Training: every DP×TP×PP factorisation of N (TP dividing the heads, within one 8-device node), ZeRO 0–3,
recompute none/selective/full and each micro-batch that divides the per-replica batch; ranked by the roofline
step time. Inference: TP×PP per replica (DP = replicas), ranked by USD per 1M generated tokens, i.e. by
throughput per device.
"""

from __future__ import annotations

from dataclasses import replace

from sizeup.estimation._catalog import Hardware
from sizeup.estimation._config import TransformerShape
from sizeup.estimation._llm import evaluate_setup
from sizeup.estimation._params import ParamCounts
from sizeup.estimation._roofline import Efficiency
from sizeup.estimation._types import RECOMPUTE, PlanChoice, Setup
from sizeup.estimation._validate import divisors

__all__ = ["search_plans"]

_NODE = 8  # tensor parallelism stays inside one NVLink domain


def _candidates(s: TransformerShape, base: Setup) -> list[Setup]:
    out = []
    for tp in divisors(base.gpus, limit=min(base.gpus, _NODE)):
        if s.heads % tp:
            continue
        for pp in divisors(base.gpus // tp):
            if pp > s.layers:
                continue
            dp = base.gpus // (tp * pp)
            if base.mode == "infer":
                out.append(replace(base, tp=tp, pp=pp, gpus=tp * pp * dp))
                continue
            if base.batch % dp:
                continue
            zeros = (0, 1, 2, 3) if dp > 1 else (0,)
            for micro in divisors(base.batch // dp):
                for zero in zeros:
                    for rc in RECOMPUTE:
                        out.append(replace(base, tp=tp, pp=pp, zero=zero, recompute=rc, micro_batch=micro))
    return out


def search_plans(s: TransformerShape, p: ParamCounts, base: Setup, hw: Hardware, eff: Efficiency,
                 *, keep: int = 10) -> list[PlanChoice]:
    """Feasible plans, best first (at most ``keep``); empty when nothing fits on ``base.gpus`` devices."""
    choices = []
    for st in _candidates(s, base):
        mem, t = evaluate_setup(s, p, st, hw, eff)
        if mem.total > hw.memory_bytes:
            continue
        if st.mode == "train":
            score, step = t.step_s or float("inf"), t.step_s
        else:
            tok = t.decode_tokens_per_s or 0.0
            per_hour = (hw.usd_per_hour or 1.0) * st.gpus
            score, step = per_hour / (tok * 3600) * 1e6 if tok else float("inf"), None
        choices.append(PlanChoice(setup=st, memory_total=mem.total, fits=True, step_s=step, score=score))
    # Ties go to the simpler plan: fewer model-parallel devices, less sharding, less recomputation.
    choices.sort(key=lambda c: (round(c.score, 12), c.setup.tp * c.setup.pp, c.setup.zero,
                                RECOMPUTE.index(c.setup.recompute)))
    return choices[:keep]
