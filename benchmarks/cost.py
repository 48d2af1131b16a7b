"""Serving throughput, latency, energy and cost: sizeup's estimate against every published figure in
src/sizeup/costs/catalog/published.csv (issue 21's bars, and the rest of the TensorRT-LLM table for information).

Analytic, no timing: the same figures on any machine. Beside sizeup's operator-by-operator step (linear layers,
then attention) it prints the single roofline of a whole step, max(FLOPs / compute, bytes / bandwidth), as the
baseline the operator sum improves on.

    python benchmarks/cost.py
"""

from __future__ import annotations

import os
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import describe_machine, machine, parse_args, row, write_results  # noqa: E402

from sizeup.costs._capacity import choose_point  # noqa: E402
from sizeup.costs._published import estimate_row, published_rows, replica_for  # noqa: E402
from sizeup.costs.traffic import Slo, Traffic  # noqa: E402
from sizeup.estimation import compute_dtype  # noqa: E402

THROUGHPUT = ("output_tokens_per_s", "total_tokens_per_s")


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def single_roofline(r) -> float | None:  # noqa: ANN001 - a PublishedRow
    """The baseline: one max(compute, memory) for the whole step, at the batch sizeup's model chose."""
    if r.metric not in THROUGHPUT:
        return None
    rep = replica_for(r)
    cap = r.batch or min(rep.max_batch(r.input, r.output), r.max_batch or 10**9)
    point = choose_point(rep, Traffic(tokens_per_day=1, input=r.input, output=r.output), Slo(), max_batch=cap)
    st = rep.steady(point.batch, r.input, r.output)
    eff = rep.eff.roofline
    peak, _ = rep.hw.peak_flops(compute_dtype(rep.dtype))
    step = max(st.flops / (peak * eff.decode_compute), st.bytes / (rep.hw.bandwidth_gbs * 1e9 * eff.bandwidth))
    out = point.batch / step
    return out * (r.input + r.output) / r.output if r.metric == "total_tokens_per_s" else out


def run(quick: bool = False) -> dict[str, Any]:
    print(describe_machine(machine()))
    rows = []
    for r in published_rows():
        est, base = estimate_row(r), single_roofline(r)
        rows.append({"id": r.id, "what": r.what, "published": r.published, "published_high": r.published_high,
                     "sizeup": est, "ratio": est / r.published, "error": r.error(est), "baseline": base,
                     "baseline_ratio": base / r.published if base else None, "tolerance": r.tolerance,
                     "within": r.within(est), "source": r.source, "date": r.date})
        pub = f"{r.published:g}" + (f"–{r.published_high:g}" if r.published_high else "")
        bar = "no bar" if r.tolerance is None else f"±{r.tolerance:.0%}: {'within' if r.within(est) else 'NOT MET'}"
        print(f"{r.id:26s} published {pub:>9s}  sizeup {est:10.4g}  ratio {est / r.published:5.2f}"
              + (f"  single-max {base / r.published:5.2f}" if base else "") + f"  [{bar}]")
    payload = {"rows": rows}
    payload["summary"] = summary_rows(payload)
    return payload


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for r in payload["rows"]:
        if r["tolerance"] is None:
            continue
        pub = _fmt(r["published"]) + (f"–{_fmt(r['published_high'])}" if r["published_high"] else "")
        out.append(row(r["what"], f"sizeup {_fmt(r['sizeup'])} vs published {pub} ({r['error']:+.0%})",
                       bar=f"within ±{r['tolerance']:.0%}", met=bool(r["within"]), issue="#21", ratio=r["ratio"]))
    info = [r for r in payload["rows"] if r["tolerance"] is None]
    inside = sum(abs(r["error"]) <= 0.30 for r in info)
    out.append(row("rest of the TensorRT-LLM table (8B on H100/H200, 70B on H200, nine sequence shapes)",
                   f"{inside} of {len(info)} within ±30 %; median ratio "
                   f"{sorted(r['ratio'] for r in info)[len(info) // 2]:.2f}", issue="#21"))
    return out


def render(payload: dict[str, Any]) -> str:
    lines = ["| figure | published | sizeup | sizeup / published | single max(compute, memory) / published | bar |",
             "|---|---|---|---|---|---|"]
    for r in payload["rows"]:
        pub = _fmt(r["published"]) + (f"–{_fmt(r['published_high'])}" if r["published_high"] else "")
        bar = "—" if r["tolerance"] is None else f"±{r['tolerance']:.0%}: " + ("met" if r["within"] else "**not met**")
        base = f"{r['baseline_ratio']:.2f}" if r["baseline_ratio"] else "—"
        lines.append(f"| {r['what']} | {pub} | {_fmt(r['sizeup'])} | {r['ratio']:.2f} | {base} | {bar} |")
    note = ("Sources and dates per row: `src/sizeup/costs/catalog/published.csv`; the model and the two bars not met "
            "are explained in [cost.md](cost.md).")
    return "\n".join([*lines, "", note]) + "\n"


if __name__ == "__main__":
    _args = parse_args(__doc__.splitlines()[0], repeats=1, quick_repeats=1)
    _started = machine()  # before the run: its load average is the one that counts
    print("raw figures:", write_results("cost" + ("-quick" if _args.quick else ""), run(_args.quick), started=_started))
