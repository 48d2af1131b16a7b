"""``sizeup estimate``: memory, FLOPs, time, parallel plan and cost of a model on given hardware."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

from sizeup.cli._common import emit_json, handle_errors, plain, stdout

__all__ = ["estimate"]


@handle_errors
def estimate(
    model: Optional[str] = typer.Argument(None, help="Catalog id (see --list), config.json path, saved model folder, or zoo spec cnn:width=32,depth=3."),
    hardware: Optional[str] = typer.Option(None, "--hardware", "-H", help="Catalog device: h100, a100-80gb, l4, cpu, cuda (this machine's GPU, measured), ... [default: h100; cpu for zoo models]."),
    gpu_mem: Optional[float] = typer.Option(None, "--gpu-mem", help="Custom device memory in GB (with --tflops and --bandwidth)."),
    tflops: Optional[float] = typer.Option(None, "--tflops", help="Custom device dense 16-bit TFLOP/s."),
    bandwidth: Optional[float] = typer.Option(None, "--bandwidth", help="Custom device memory bandwidth in GB/s."),
    dtype: Optional[str] = typer.Option(None, "--dtype", help="fp32, bf16, fp16, fp8, int8 or int4 [default: bf16; a safetensors checkpoint's or zoo model's own]."),
    mode: str = typer.Option("infer", "--mode", help="infer or train."),
    batch: int = typer.Option(1, "--batch", help="Global batch in sequences (train) or concurrent sequences (infer)."),
    seq: int = typer.Option(2048, "--seq", help="Tokens per sequence (infer: prompt + generated)."),
    gpus: Optional[int] = typer.Option(None, "--gpus", help="Number of devices [default: tp × pp]."),
    optimizer: str = typer.Option("adamw", "--optimizer", help="adamw, sgd or adam8bit."),
    zero: int = typer.Option(0, "--zero", help="ZeRO stage 0-3 (training)."),
    fsdp: bool = typer.Option(False, "--fsdp", help="FSDP full sharding (= ZeRO-3)."),
    tp: int = typer.Option(1, "--tp", help="Tensor-parallel degree."),
    pp: int = typer.Option(1, "--pp", help="Pipeline-parallel degree."),
    micro_batch: Optional[int] = typer.Option(None, "--micro-batch", help="Sequences per micro-batch (training)."),
    recompute: str = typer.Option("none", "--recompute", help="Activation recomputation: none, selective or full."),
    kv_dtype: Optional[str] = typer.Option(None, "--kv-dtype", help="KV-cache dtype [default: the compute dtype]."),
    grad_dtype: Optional[str] = typer.Option(None, "--grad-dtype", help="Gradient dtype (Megatron keeps fp32 gradients)."),
    plan: bool = typer.Option(False, "--plan", help="Search the cheapest parallel plan that fits --gpus devices."),
    price: Optional[float] = typer.Option(None, "--price", help="USD per device-hour (overrides the catalog)."),
    task: Optional[Path] = typer.Option(None, "--task", help="Task file for a zoo spec, e.g. examples/mnist1d.toml."),
    list_: bool = typer.Option(False, "--list", help="List the bundled models and hardware, then exit."),
    json_out: bool = typer.Option(False, "--json", help="Print the estimate as one JSON object on stdout."),
) -> None:
    """Does it fit, how fast, what parallel plan, what cost: estimate a model before buying hardware."""
    from sizeup.errors import SizeupError
    from sizeup.estimation import estimate as run_estimate
    from sizeup.estimation import list_hardware, list_models

    if list_:
        _print_catalog(list_models(), list_hardware(), json_out=json_out)
        return
    if model is None:
        raise SizeupError("give a MODEL (a catalog id such as llama-3.1-8b; see sizeup estimate --list)")
    result = run_estimate(model, hardware=hardware, gpu_mem=gpu_mem, tflops=tflops, bandwidth=bandwidth, dtype=dtype,
                          mode=mode, batch=batch, seq=seq, gpus=gpus, optimizer=optimizer, zero=zero, fsdp=fsdp, tp=tp,
                          pp=pp, micro_batch=micro_batch, recompute=recompute, kv_dtype=kv_dtype, grad_dtype=grad_dtype,
                          plan=plan, price=price, task=task)
    if json_out:
        emit_json(result.to_dict())
        return
    for table in _tables(result):
        stdout.print(table)
    for note in result.notes:
        stdout.print(Text.assemble(("note:", "dim"), " ", note), highlight=False)


def _gib(n: float) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:,.2f} {unit}"
    return f"{n:,.0f} B"


def _num(x: float) -> str:
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= size:
            return f"{x / size:,.2f} {unit}"
    return f"{x:,.0f}"


def _tables(r) -> list[Table]:  # noqa: ANN001 - an Estimate
    st = r.setup
    head = Table(title=plain(f"{r.model} — {st.mode} on {st.gpus} × {r.hardware['name']} ({st.dtype}), {st.describe()}"),
                 show_header=False, title_justify="left")
    head.add_column(style="bold")
    head.add_column(justify="right")
    head.add_row("parameters", f"{_num(r.params)} (active {_num(r.active_params)})")
    per = r.flops.per
    head.add_row(f"FLOPs per {per}", f"forward {_num(r.flops.forward)}, backward {_num(r.flops.backward)}")
    mem = Table(title="memory per device", title_justify="left")
    mem.add_column("component")
    mem.add_column("bytes", justify="right")
    for key, value in r.memory.to_dict().items():
        if value or key == "total":
            mem.add_row(f"[bold]{key}[/]" if key == "total" else key, _gib(value))
    mem.add_row("capacity", _gib(r.capacity_bytes))
    verdict = "[green]fits[/]" if r.fits else "[red]does not fit[/]"
    head.add_row("fits", verdict)
    t = r.timing
    if t.step_s is not None:
        head.add_row("time per step", f"{t.step_s:,.4g} s")
    if t.tokens_per_s:
        head.add_row("training tokens/s", f"{t.tokens_per_s:,.0f}")
    if t.samples_per_s:
        head.add_row("samples/s", f"{t.samples_per_s:,.0f}")
    if t.prefill_s is not None:
        head.add_row("prefill", f"{t.prefill_s:,.3g} s ({t.prefill_bound}-bound), {t.prefill_tokens_per_s:,.0f} tok/s")
        head.add_row("decode", f"{t.decode_tokens_per_s:,.1f} tok/s ({t.decode_bound}-bound)")
    head.add_row("efficiency factors", ", ".join(f"{k}={v:g}" for k, v in t.efficiency.items()))
    if r.cost and r.cost.usd_per_hour:
        line = f"${r.cost.usd_per_hour:,.2f}/h"
        if r.cost.usd_per_1m_tokens:
            line += f", ${r.cost.usd_per_1m_tokens:,.3f} per 1M {'generated' if st.mode == 'infer' else 'trained'} tokens"
        head.add_row("cost", line)
        shown = _apis_shown(r)
        for api in shown:
            head.add_row(f"  vs {api['name']} API", f"${api['usd_per_1m_output']:,.2f} per 1M output tokens ({api['as_of']})")
        if len(r.cost.api) > len(shown):
            head.add_row("  more APIs", f"{len(r.cost.api) - len(shown)} in the catalog: sizeup cost {r.model} --traffic ...")
    tables = [head, mem]
    if r.plan is not None:
        plans = Table(title="parallel plans that fit, best first", title_justify="left")
        for col in ("plan", "memory", "step s" if st.mode == "train" else "USD / 1M tok"):
            plans.add_column(col, justify="right" if col != "plan" else "left")
        for p in r.plan:
            score = f"{p.step_s:,.3g}" if p.step_s is not None else f"{p.score:,.3f}"
            plans.add_row(p.setup.describe(), _gib(p.memory_total), score)
        tables.append(plans)
    return tables


def _apis_shown(r) -> list[dict]:  # noqa: ANN001 - an Estimate
    """The APIs hosting this very model, and the two cheapest commercial ones (sizeup cost prices them all)."""
    same = [a for a in r.cost.api if a.get("model") == r.model]
    commercial = sorted((a for a in r.cost.api if a.get("kind") == "commercial"), key=lambda a: a["usd_per_1m_output"])
    return same + commercial[:2]


def _print_catalog(models, hardware, *, json_out: bool) -> None:  # noqa: ANN001
    from sizeup.estimation import get_hardware

    if json_out:
        emit_json({"models": [{"id": m.id, "hf_id": m.hf_id, "official_params": m.official_params, "source": m.source}
                              for m in models], "hardware": hardware})
        return
    table = Table(title="bundled models", title_justify="left")
    for col in ("id", "Hugging Face id", "params"):
        table.add_column(col)
    for m in models:
        table.add_row(m.id, m.hf_id, _num(m.official_params))
    stdout.print(table)
    hw = Table(title="bundled hardware", title_justify="left")
    for col in ("name", "device", "memory", "bandwidth", "bf16 TFLOP/s", "USD/h"):
        hw.add_column(col)
    for name in hardware:
        if name in ("cpu", "cuda"):
            hw.add_row(name, f"this machine's {'CPU' if name == 'cpu' else 'GPU 0'} (measured on first use)", "", "", "", "")
            continue
        h = get_hardware(name)
        hw.add_row(name, h.description, _gib(h.memory_bytes), f"{h.bandwidth_gbs:,.0f} GB/s",
                   f"{h.tflops.get('bf16', h.tflops.get('fp16', 0)):g}", f"{h.usd_per_hour:g}")
    stdout.print(hw)
