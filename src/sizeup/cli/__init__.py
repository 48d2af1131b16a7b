"""The ``sizeup`` command line: a thin Typer app that parses, calls the Python API and renders."""

from __future__ import annotations

from sizeup.cli.app import app, main

__all__ = ["app", "main"]
