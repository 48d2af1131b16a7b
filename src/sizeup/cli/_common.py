"""What every command shares: one-line errors with exit code 2, JSON on stdout, progress on stderr."""

from __future__ import annotations

import functools
import json
import sys
from typing import Any, Callable, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from sizeup._io import to_jsonable
from sizeup.errors import SizeupError

__all__ = ["stdout", "stderr", "handle_errors", "emit_json", "to_jsonable"]

# Tables printed to a pipe or file get room for a leaderboard instead of the 80-column default.
stdout = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 140)
stderr = Console(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F) -> F:
    """Turn a :class:`SizeupError` into one red line on stderr and exit code 2 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SizeupError as exc:
            stderr.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True)  # keep [section] names
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            stderr.print("[yellow]interrupted[/]: finished work is saved; run the command again to resume")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def emit_json(payload: Any) -> None:
    """Print one JSON object on stdout (progress and messages go to stderr)."""
    sys.stdout.write(json.dumps(to_jsonable(payload), ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()
