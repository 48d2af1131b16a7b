"""``sizeup compress``: quantize, prune or distill a model and show before/after figures measured here."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

from sizeup.cli._common import emit_json, handle_errors, plain, stderr, stdout
from sizeup.errors import SizeupError

__all__ = ["compress"]


@handle_errors
def compress(
    run_or_model: Path = typer.Argument(..., help="A search run folder (runs/<name>, uses best/) or a saved model folder."),
    method: list[str] = typer.Option(..., "--method", "-m", help="int8 | int8-static | int4-weight | fp16 | bf16 | prune:0.5 | "
                                     "prune-unstructured:0.5 | distill[:family=...,width=...]; repeat to compare several."),
    task: Optional[Path] = typer.Option(None, help="Task file whose data measure quality [default: the task saved with the run]."),
    out: Optional[Path] = typer.Option(None, help="Output folder (one method only) [default: <run>/compressed/<method>]."),
    force: bool = typer.Option(False, help="Overwrite a previous result in the output folder."),
    device: Optional[str] = typer.Option(None, help="Where to fine-tune and measure: auto, cpu, cuda, cuda:N or mps [default: the task's [constraints] device, else [train] device, else auto]. int8/int4 always run on the CPU (ONNX Runtime)."),
    json_out: bool = typer.Option(False, "--json", help="Print the results as one JSON object on stdout."),
) -> None:
    """Compress a model, re-measure it on this device and print a before/after table."""
    from sizeup.compression._impl import compress_source, on_device
    from sizeup.compression._source import open_source
    from sizeup._methods import parse_method

    methods = [parse_method(m) for m in method]  # every method string is checked before any work
    if out is not None and len(methods) > 1:
        raise SizeupError("--out takes one --method; drop --out to write each into <run>/compressed/<method>")
    source = on_device(open_source(run_or_model, task), device)
    results, before = [], None
    for m in methods:
        stderr.print(plain(f"compressing {source.model.spec.describe()} with {m.text} ..."))
        result = compress_source(source, m, out=out, force=force, before=before)
        before = result.before
        results.append(result)
    if json_out:
        emit_json({"source": str(source.model_dir), "results": [r.to_dict() for r in results]})
        return
    stdout.print(_table(results))
    for r in results:
        for line in r.verdicts:
            stdout.print(f"{r.method}: {line}", highlight=False, markup=False)
        stderr.print(Text.assemble("saved: ", (str(r.out_dir), "bold")))


def _table(results) -> Table:
    metric = results[0].metric
    table = Table(title="before / after, measured here (batch-1 latency: median, min-max)")
    for c in ("", "model", "runtime", "on", f"test {metric}", "params", "size MB", "latency ms", "throughput/s", "memory MB"):
        table.add_column(c, justify="left" if c in ("", "model", "runtime", "on") else "right", overflow="fold", no_wrap=c == "")
    rows = [results[0].before, *[row for r in results for row in r.rows()[1:]]]
    for f in rows:
        table.add_row(plain(f.name), plain(f.model), f.runtime, f.device.split(":")[0] or "?", f"{f.quality:.4f}", f"{f.params:,}", f"{f.size_mb:.3f}",
                      f"{f.latency_ms:.3g} ({f.latency_min_ms:.3g}-{f.latency_max_ms:.3g})", f"{f.throughput:,.0f}",
                      f"{f.memory_mb:.2f}")
    return table
