"""The HTML report of a search: one self-contained page with interactive plotly figures (works offline)."""

from __future__ import annotations

from sizeup.report._html import REPORT, render_report, report_facts, write_report
from sizeup.report._explain_section import write_explanations_page
from sizeup.report._run import RunView, load_run

__all__ = ["write_report", "write_explanations_page", "render_report", "load_run", "report_facts", "RunView", "REPORT"]
