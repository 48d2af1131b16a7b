"""The HTML report of a search: one self-contained page (no scripts, no network)."""

from __future__ import annotations

from sizeup.report._html import write_report

__all__ = ["write_report"]
