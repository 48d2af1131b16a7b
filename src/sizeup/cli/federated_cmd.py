"""``sizeup federated export``: write the chosen model and its ``[federated]`` settings as a Flower app."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from sizeup.cli._common import emit_json, handle_errors, stderr, stdout

__all__ = ["app", "export"]

app = typer.Typer(name="federated", help="Federated learning: deploy a trained or searched model with Flower.",
                  no_args_is_help=True, add_completion=False, rich_markup_mode=None)


@app.command("export")
@handle_errors
def export(
    run: Path = typer.Argument(..., help="A train or search run folder (runs/<name>/train-cnn, runs/<name>), or a saved model folder."),
    task: Optional[Path] = typer.Option(None, help="Task file with the [federated] section [default: the task saved with the run]."),
    out: Optional[Path] = typer.Option(None, help="Folder for the Flower app [default: RUN/flower-app]."),
    partitions: Optional[Path] = typer.Option(None, help="Also write each client's rows (client-<i>.npz) and the server's val.npz / test.npz here, cut as the simulation cuts them, to try the app on this machine."),
    force: bool = typer.Option(False, help="Overwrite the files of a previous export in the output folder."),
    json_out: bool = typer.Option(False, "--json", help="Print the results as one JSON object on stdout."),
) -> None:
    """Write a Flower app (ServerApp + ClientApp + pyproject.toml) that trains the model federatedly."""
    from sizeup.federated.export import export_app

    result = export_app(run, out, task=task, partitions=partitions, force=force)
    if json_out:
        path = lambda p: str(p) if p is not None else None  # noqa: E731
        emit_json({"out_dir": path(result.out_dir), "model": result.model, "files": [path(p) for p in result.files],
                   "partitions": [path(p) for p in result.partitions], "eval_data": path(result.eval_data),
                   "test_data": path(result.test_data), "settings": result.settings})
        return
    spec = result.settings["federated"]
    table = Table(title=f"Flower app for {result.settings['family']}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("federation", f"{spec['clients']} clients, {spec['rounds']} rounds, fraction {spec['fraction']:g}, "
                                f"{spec['strategy']}, {spec['partition']}")
    for path in result.files:
        table.add_row("wrote", str(path))
    if result.partitions:
        table.add_row("node data", f"{result.partitions[0].parent}/client-0..{len(result.partitions) - 1}.npz")
    stdout.print(table)
    stderr.print(f"run it: see [bold]{result.out_dir / 'README.md'}[/] (docs/federated.md has the local commands)")
