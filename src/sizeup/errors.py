"""The one error type a user sees: the CLI prints its message on one line and exits with code 2."""

from __future__ import annotations

__all__ = ["SizeupError", "MissingExtraError"]


class SizeupError(ValueError):
    """Bad input: the message names the file, key or column, the value, and the fix."""


class MissingExtraError(SizeupError, ImportError):
    """An optional dependency is not installed; the message carries the pip command that fixes it."""
