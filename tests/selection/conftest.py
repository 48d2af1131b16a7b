"""Fixtures of the search tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from search_helpers import write_task


@pytest.fixture
def tiny_task(tmp_path: Path) -> Path:
    return write_task(tmp_path)
