"""``sizeup privacy``: the privacy-utility curve of the recommended model (or a family) at several ε."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from sizeup._knobs import parse_assignments
from sizeup.cli._common import emit_json, handle_errors, stderr, stdout
from sizeup.errors import SizeupError

__all__ = ["privacy"]


def _numbers(text: str, *, option: str, cast: type = float) -> list:
    try:
        values = [cast(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise SizeupError(f"{option} {text!r} is not a comma-separated list of numbers; write e.g. {option} 1,3,8") from None
    if not values:
        raise SizeupError(f"{option} is empty; write e.g. {option} 1,3,8")
    return values


@handle_errors
def privacy(
    task: Path = typer.Argument(..., help="Task file (.toml), e.g. examples/mnist1d.toml."),
    epsilons: str = typer.Option("1,3,8", help="Privacy budgets to train at, comma-separated."),
    family: Optional[str] = typer.Option(None, "--family", "-f", help="Model family to train (instead of --run)."),
    run: Optional[Path] = typer.Option(None, help="A finished search's run folder: train its recommended model (best/config.json)."),
    knob: Optional[list[str]] = typer.Option(None, "--set", "-s", help="Family knobs with --family, key=value (repeatable)."),
    seeds: str = typer.Option("0", help="Training seeds, comma-separated; the table shows medians over them."),
    epochs: Optional[int] = typer.Option(None, help="Epochs per run [default: the task's, else sizeup's]."),
    batch_size: Optional[int] = typer.Option(None, help="Training batch size (DP-SGD's expected batch)."),
    lr: Optional[float] = typer.Option(None, help="Peak learning rate [default: the recommended model's, else sizeup's]."),
    setting: Optional[list[str]] = typer.Option(None, "--train-set", help="Other training settings, key=value."),
    out: Optional[Path] = typer.Option(None, help="Where privacy.json and privacy.svg go [default: --run, else runs/<task name>]."),
    force: bool = typer.Option(False, help="Overwrite a previous privacy.json / privacy.svg there."),
    json_out: bool = typer.Option(False, "--json", help="Print the curve as one JSON object on stdout."),
) -> None:
    """Train the recommended model at each epsilon and without DP; print quality against epsilon, write a plot."""
    from sizeup.privacy import privacy_curve
    from sizeup.training.run import as_task

    t = as_task(task)
    if knob and family is None:
        raise SizeupError("--set gives knobs of --family; a --run's recommended model brings its own")
    settings = {"epochs": epochs, "batch_size": batch_size, "lr": lr, **parse_assignments(setting, option="--train-set")}
    progress = lambda p: stderr.print(  # noqa: E731
        f"{p.label} (seed {p.seed}): test {p.test:.4f}"
        + (f", epsilon spent {p.epsilon:.3f}" if p.epsilon is not None else "") + f" in {p.train_seconds:.1f} s")
    curve = privacy_curve(t, epsilons=_numbers(epsilons, option="--epsilons"), family=family,
                          knobs=parse_assignments(knob), run=run, seeds=_numbers(seeds, option="--seeds", cast=int),
                          out=out, force=force, progress=progress, **{k: v for k, v in settings.items() if v is not None})
    _rerender_report(curve.out_dir)
    if json_out:
        emit_json(curve.to_dict())
        return
    stdout.print(_table(curve))
    stderr.print(f"wrote [bold]{curve.out_dir / 'privacy.json'}[/] and [bold]{curve.out_dir / 'privacy.svg'}[/]")


def _rerender_report(folder: Path | None) -> None:
    """A search's run folder gets its report re-rendered, now with the privacy section."""
    from sizeup.selection.study import STUDY_DB

    if folder is not None and (folder / STUDY_DB).is_file():
        from sizeup.report import write_report

        stderr.print(f"report: [bold]{write_report(folder)}[/]")


def _table(curve) -> Table:
    m = curve.metric
    table = Table(title=f"{curve.family} on {curve.task}: test {m} against the privacy budget (delta {curve.delta:g})",
                  title_justify="left")
    for col in ("budget", "epsilon spent", f"test {m} (min-max)", "of non-private", "noise", "accountant"):
        table.add_column(col, justify="left" if col in ("budget", "accountant") else "right")
    for r in curve.rows():
        spent = "" if r["epsilon_spent"] is None else f"{r['epsilon_spent']:.3f}"
        quality = f"{r[f'test_{m}']:.4f} ({r[f'test_{m}_min']:.4f}-{r[f'test_{m}_max']:.4f})"
        share = "" if r["of_non_private"] is None else f"{r['of_non_private']:.1%}"
        noise = "" if r["noise_multiplier"] is None else f"{r['noise_multiplier']:.3f}"
        table.add_row(r["budget"], spent, quality, share, noise, r["accountant"] or "")
    return table
