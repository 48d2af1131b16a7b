"""``sizeup cost``: self-hosting at your traffic on each device, against every API of the price catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from sizeup.cli._common import emit_json, handle_errors, stderr, stdout

__all__ = ["cost"]


def _scores(text: str | None, flag: str) -> dict[str, float]:
    from sizeup.errors import SizeupError

    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, sep, value = part.rpartition("=")
        try:
            out[name.strip().lower()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise SizeupError(f"{flag}: {part!r} is not NAME=NUMBER; e.g. {flag} \"self=71.2, gpt-4o-mini=78\"")
    return out


def _gpu_price(text: str | None) -> float | dict[str, float] | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return _scores(text, "--gpu-price")


@handle_errors
def cost(
    model: str = typer.Argument(..., help="Catalog id (sizeup estimate --list) or a Hugging Face config.json / folder."),
    traffic: str = typer.Option(..., "--traffic", help='e.g. "tokens_per_day=2e7, input=500, output=200, peak=3" (tokens_per_day counts prompt + generated; or requests_per_day=; peak = peak / mean request rate).'),
    slo: Optional[str] = typer.Option(None, "--slo", help='Latency target, e.g. "ttft_p95=1s, tpot=50ms" (either key may be left out).'),
    hardware: str = typer.Option("h100,a100-80gb,l4", "--hardware", "-H", help="Devices to compare, comma-separated (see sizeup estimate --list)."),
    dtype: str = typer.Option("bf16", "--dtype", help="Weights: bf16, fp16, fp8, int8 or int4."),
    kv_dtype: Optional[str] = typer.Option(None, "--kv-dtype", help="KV cache dtype [default: fp8 with --dtype fp8, else bf16/the 16-bit dtype]."),
    price_file: Optional[Path] = typer.Option(None, "--price-file", help="JSON or CSV of API prices that add to or replace the bundled catalog."),
    quality: Optional[str] = typer.Option(None, "--quality", help='Your benchmark scores, e.g. "self=71.2, gpt-4o-mini=78" (self = the model you would host; an open model id also scores the APIs that host it).'),
    gpu_price: Optional[str] = typer.Option(None, "--gpu-price", help='USD per device-hour: one number, or "h100=2.69, h200=3.59" [default: the hardware catalog].'),
    tp: Optional[int] = typer.Option(None, "--tp", help="Devices per replica [default: the fewest that hold the model and meet the SLO]."),
    max_batch: Optional[int] = typer.Option(None, "--max-batch", help="The serving engine's cap on running sequences (vLLM's max_num_seqs)."),
    grid: Optional[str] = typer.Option(None, "--grid", help="Grid carbon intensity: a region (world, france, germany, ...) or g CO2 per kWh."),
    pue: float = typer.Option(1.0, "--pue", help="Power usage effectiveness of the data centre (1.0 = the boards only)."),
    html: Path = typer.Option(Path("cost.html"), "--html", help="Where the page with the cost-vs-volume plot goes."),
    no_html: bool = typer.Option(False, "--no-html", help="Do not write the page."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --html file."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as one JSON object on stdout."),
) -> None:
    """Open model or API? Throughput, replicas, $ per month, break-even and energy at your traffic and SLO."""
    from sizeup.errors import SizeupError

    if not no_html and html.exists() and not force:  # before any work: the user's file stays as it is
        raise SizeupError(f"{html} already exists; pass --force to overwrite it, --html to write elsewhere, or --no-html")
    from sizeup.costs import cost as run_cost
    from sizeup.costs import write_cost_page

    result = run_cost(model, traffic=traffic, slo=slo, hardware=hardware, dtype=dtype, kv_dtype=kv_dtype,
                      price_file=price_file, quality=_scores(quality, "--quality"), gpu_price=_gpu_price(gpu_price),
                      tp=tp, max_batch=max_batch, grid=grid, pue=pue)
    page = None if no_html else write_cost_page(result, html)
    if json_out:
        emit_json({**result.to_dict(), "html": str(page) if page else None})
        return
    for table in (_options_table(result), _apis_table(result), _breakeven_table(result)):
        stdout.print(table)
    for o in result.options:
        for note in o.notes:
            stdout.print(f"[dim]note ({o.hardware}):[/] {note}", highlight=False)
        if o.energy:
            e = o.energy
            co2 = f", {e.co2_kg_per_month:,.1f} kg CO2e/month at {e.grid} ({e.grid_g_per_kwh:g} g/kWh)" if e.grid else ""
            stdout.print(f"[dim]energy ({o.hardware}):[/] {e.kwh_per_month:,.1f} kWh/month{co2}; {e.source}", highlight=False)
    for note in result.notes:
        stdout.print(f"[dim]note:[/] {note}", highlight=False)
    stdout.print(f"cheapest that meets the SLO: [bold]{result.cheapest}[/]", highlight=False)
    if page:
        stderr.print(f"page with the cost-vs-volume plot: {page}")


def _money(x: float | None) -> str:
    return "" if x is None else f"${x:,.2f}" if x < 100 else f"${x:,.0f}"


def _options_table(r) -> Table:  # noqa: ANN001 - a CostResult
    t = r.traffic
    dtypes = ", ".join(sorted({f"{o.dtype} weights, {o.kv_dtype} KV cache" for o in r.options}))
    table = Table(title=f"self-hosting {r.model} ({dtypes}): {t.tokens_per_day:,.3g} tokens/day, "
                        f"{t.input} in / {t.output} out, peak {t.peak:g}× the mean", title_justify="left")
    for col in ("device", "devices", "batch", "TTFT ms", "TPOT ms", "tok/s/replica", "util.", "$ / month",
                "$ / 1M tok", "J / tok", "quality", "SLO"):
        table.add_column(col, justify="left" if col == "device" else "right", no_wrap=True)
    for o in r.options:
        p, e = o.point, o.energy
        table.add_row(o.hardware, f"{o.gpus} (TP{o.tp})" if o.fits else "no fit", str(p.batch) if p else "",
                      f"{p.ttft_s * 1e3:,.0f}" if p else "", f"{p.tpot_s * 1e3:,.1f}" if p else "",
                      f"{p.output_tokens_per_s:,.0f}" if p else "", f"{o.utilisation:.0%}" if o.fits else "",
                      _money(o.usd_per_month) if o.fits else "", _money(o.usd_per_1m_tokens),
                      f"{e.joules_per_token:.3g}" if e else "", "" if o.quality is None else f"{o.quality:g}",
                      "[green]yes[/]" if o.meets_slo else "[red]no[/]")
    return table


def _apis_table(r) -> Table:  # noqa: ANN001 - a CostResult
    table = Table(title="the same traffic on each API (list prices; sources in --json and the page)", title_justify="left")
    for col in ("API", "kind", "$ / 1M in", "$ / 1M out", "$ / month", "$ / 1M tok", "quality", "as of"):
        table.add_column(col, justify="left" if col in ("API", "kind", "as of") else "right", no_wrap=True)
    for a in r.apis:
        table.add_row(a.name, a.kind, f"{a.usd_per_1m_input:g}", f"{a.usd_per_1m_output:g}", _money(a.usd_per_month),
                      _money(a.usd_per_1m_tokens), "" if a.quality is None else f"{a.quality:g}", a.as_of)
    return table


def _breakeven_table(r) -> Table:  # noqa: ANN001 - a CostResult
    table = Table(title="break-even: self-hosting is cheaper above this volume, or when its GPUs are busier than this",
                  title_justify="left")
    for col in ("device", "API", "tokens / month", "utilisation"):
        table.add_column(col, justify="left" if col in ("device", "API") else "right", no_wrap=True)
    by_api = {a.name: a for a in r.apis}
    for b in r.breakeven:
        a = by_api[b.api]
        if a.model == r.model or a.name == r.apis[0].name:  # the APIs hosting this model, and the cheapest one
            table.add_row(b.hardware, b.api, f"{b.tokens_per_month:,.3g}" if b.tokens_per_month else "never at this peak",
                          f"{b.utilisation:.0%}" if b.utilisation is not None else "never (API cheaper at full load)")
    return table
