"""``sizeup scale``: train a family at growing sizes, fit how quality grows, forecast and price bigger ones."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from sizeup._knobs import parse_assignments
from sizeup.cli._common import emit_json, handle_errors, stderr, stdout

__all__ = ["scale"]


@handle_errors
def scale(
    task: Path = typer.Argument(..., help="Task file (.toml), e.g. examples/mnist1d.toml."),
    family: str = typer.Option(..., "--family", "-f", help="Model family to scale (see `sizeup families`)."),
    knob: str = typer.Option("width", help="What grows: width, depth or both."),
    sizes: int = typer.Option(5, help="Sizes to train, each about --step times the parameters of the one before."),
    seeds: int = typer.Option(2, help="Runs per size, seeds from the task's seed up."),
    hardware: str = typer.Option("h100", help="Catalog GPU that prices training and serving (see `sizeup estimate --list`)."),
    knobs: Optional[list[str]] = typer.Option(None, "--set", "-s", help="Knobs of the smallest size and the ones that stay fixed, key=value, e.g. -s width=16 -s depth=2 [default: the family's tiny preset]."),
    epochs: Optional[int] = typer.Option(None, help="Epochs for every size (early stopping is off, so each size trains them all)."),
    setting: Optional[list[str]] = typer.Option(None, "--train-set", help="Other training settings for every size, key=value, e.g. --train-set lr=3e-3."),
    step: float = typer.Option(2.0, help="Parameter ratio between consecutive sizes."),
    bootstrap: int = typer.Option(500, help="Bootstrap replicates behind the intervals of E, A and alpha."),
    price: Optional[float] = typer.Option(None, help="USD per GPU-hour [default: the catalog's]."),
    price_here: Optional[float] = typer.Option(None, help="USD per hour of this machine, to price predictions here."),
    out: Optional[Path] = typer.Option(None, help="Output folder [default: runs/<task name>/scale-<family>]."),
    force: bool = typer.Option(False, help="Retrain every size and overwrite a previous scaling.json."),
    json_out: bool = typer.Option(False, "--json", help="Print the results as one JSON object on stdout."),
) -> None:
    """Does going bigger pay? Fit test error = E + A·N^-alpha over a few sizes, then forecast and price larger ones."""
    from sizeup.scaling import scale as run_scale

    def progress(run) -> None:
        stderr.print(f"size {run.size + 1}/{sizes} ({_label(run.knobs)}, {run.params:,} params) seed {run.seed}: "
                     f"test {run.value:.4f}" + (" (finished before, reused)" if run.reused else
                                                f" in {run.train_seconds:.1f} s"), highlight=False)

    result = run_scale(task, family=family, knob=knob, sizes=sizes, seeds=seeds, knobs=parse_assignments(knobs),
                       step=step, hardware=hardware, bootstrap=bootstrap, usd_per_hour=price,
                       usd_per_hour_here=price_here, out=out, force=force, on_run=progress, epochs=epochs,
                       **parse_assignments(setting, option="--train-set"))
    if json_out:
        emit_json(result.to_dict())
        return
    stdout.print(_trained(result))
    stdout.print(_fit_line(result))
    stdout.print(_forecasts(result))
    stdout.print(f"verdict: {result.verdict}", highlight=False)
    stderr.print(f"wrote [bold]{result.out_dir / 'scaling.json'}[/]")


def _label(knobs: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in knobs.items() if k in ("width", "depth"))


def _trained(result) -> Table:
    metric = result.fit.quality.metric
    table = Table(title=f"{result.family} trained at {len(result.sizes)} sizes ({result.recipe.epochs} epochs each)",
                  title_justify="left")
    for col in ("size", "params", f"test {metric}", "train s", "latency ms", "memory MB"):
        table.add_column(col, justify="left" if col == "size" else "right")
    for i, cost in enumerate(result.sizes):
        values = [r.value for r in result.runs if r.size == i]
        spread = f" ± {statistics.stdev(values):.4f}" if len(values) > 1 else ""
        table.add_row(_label(cost.knobs), f"{cost.params:,}", f"{statistics.mean(values):.4f}{spread}",
                      f"{cost.train_seconds:.1f}", f"{cost.latency_ms:.3g}", f"{cost.memory_mb:.3g}")
    return table


def _num(v: float) -> str:
    return "0" if v < 1e-6 else f"{v:.3g}"  # a floor at the optimiser's bound: no floor resolved


def _fit_line(result) -> str:
    lines = []
    for law in (result.fit.by_params, result.fit.by_compute):
        if law is None:
            continue
        iv = law.parameter_intervals()
        lines.append(f"{law.x_name}: error = {_num(law.E)} + {law.A:.3g}·{law.x_name}^-{law.alpha:.3f}   "
                     f"(bootstrap {law.level:.0%} intervals: E {_num(iv['E'][0])}…{_num(iv['E'][1])}, "
                     f"alpha {iv['alpha'][0]:.3f}…{iv['alpha'][1]:.3f})")
    return "\n".join(lines)


def _forecasts(result) -> Table:
    q, hw = result.fit.quality, result.hardware
    table = Table(title=f"forecasts ({result.fit.level:.0%} intervals of the curve; times here calibrated on the trained "
                        f"sizes; {hw} figures are roofline lower bounds)", title_justify="left")
    for col in ("size", "params", q.metric, "interval", "train s here", f"train s {hw}", "memory MB", "latency ms",
                f"$/1k pred. {hw}"):
        table.add_column(col, justify="left" if col == "size" else "right")
    for f in result.forecasts:
        c = f.cost
        table.add_row(f"{f.multiple:g}× ({_label(f.knobs)})", f"{f.params:,.0f}", f"{f.value:.4f}",
                      f"{f.lo:.4f}…{f.hi:.4f}", f"{c.train_seconds:.3g}", f"{c.gpu_train_seconds:.2g}",
                      f"{c.memory_mb:.3g}", f"{c.latency_ms:.3g}", f"{c.gpu_usd_per_1k:.2g}")
    return table
