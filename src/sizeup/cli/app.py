"""The Typer app: each command lives in its own module and is registered here."""

from __future__ import annotations

import typer

from sizeup.cli import compress_cmd, cost_cmd, estimate_cmd, generate_cmd, info_cmds, search_cmd, train_cmd
from sizeup.cli import explain_cmd, federated_cmd, mask_cmd, privacy_cmd, report_cmd, scale_cmd, worker_cmd

__all__ = ["app", "main"]

app = typer.Typer(
    name="sizeup",
    help="Which model should I use for this task, on this data, on this hardware, within this budget?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts quote TOML tables like [budget]; print them as written
)
app.command("datasets")(info_cmds.datasets)
app.command("families")(info_cmds.families)
app.command("train")(train_cmd.train)
app.command("search")(search_cmd.search)
app.command("worker")(worker_cmd.worker)
app.command("estimate")(estimate_cmd.estimate)
app.command("cost")(cost_cmd.cost)
app.command("report")(report_cmd.report)
app.command("explain")(explain_cmd.explain)
app.command("compress")(compress_cmd.compress)
app.command("generate")(generate_cmd.generate)
app.command("scale")(scale_cmd.scale)
app.command("privacy")(privacy_cmd.privacy)
app.command("mask")(mask_cmd.mask)
app.add_typer(federated_cmd.app, name="federated")


def main() -> None:
    app()
