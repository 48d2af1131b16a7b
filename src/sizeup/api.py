"""The public verbs that span several stages, composed here so that each stage imports only those below it.

``search`` selects a model (``sizeup.selection``), then the report is written from the run folder's files.
``compress`` and ``explain`` work on a finished run.
"""

from __future__ import annotations

from sizeup.compression import compress
from sizeup.explanation import explain
from sizeup.selection import search

__all__ = ["search", "compress", "explain"]
