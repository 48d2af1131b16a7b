"""Typed ``key=value`` settings (``--set cell=lstm``, zoo specs ``cnn:width=32``): int, float, bool, list or string."""

from __future__ import annotations

import json
from typing import Any

from sizeup.errors import SizeupError

__all__ = ["parse_assignments", "parse_value"]


def parse_value(text: str) -> Any:
    """``"32"`` -> 32, ``"1e-3"`` -> 0.001, ``"true"``/``"yes"`` -> True, ``"[3, 5]"`` -> [3, 5], else the text."""
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_assignments(items: list[str] | None, *, option: str = "--set") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SizeupError(f"{option} {item!r} is not key=value; write e.g. {option} cell=lstm")
        out[key.strip()] = parse_value(value)
    return out
