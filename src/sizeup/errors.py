"""The one error type a user sees: the CLI prints its message on one line and exits with code 2."""

from __future__ import annotations

__all__ = ["SizeupError", "MissingExtraError", "SearchCrashed"]


class SizeupError(ValueError):
    """Bad input: the message names the file, key or column, the value, and the fix."""


class MissingExtraError(SizeupError, ImportError):
    """An optional dependency is not installed; the message carries the pip command that fixes it."""


class SearchCrashed(RuntimeError):
    """A trial raised something no candidate is expected to raise (a bug, or an input sizeup does not check).

    The search stops instead of recording a failed candidate; the message names the trial and the file holding
    the traceback. The CLI prints it on one line and exits with code 1.
    """
