"""The one parser of typed ``key=value`` settings: ``--set cell=lstm``, zoo specs ``cnn:width=32,depth=3``, compression
methods ``prune:0.5,epochs=3``. Values become int, float, bool, list or string."""

from __future__ import annotations

import json
from typing import Any

from sizeup.errors import SizeupError

__all__ = ["parse_assignments", "parse_value", "parse_spec"]


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


def parse_spec(text: str) -> tuple[str, list[Any], dict[str, Any]]:
    """``"prune:0.5,epochs=3"`` -> ``("prune", [0.5], {"epochs": 3})``: the name, bare values and ``key=value`` options.

    A key left empty (``"=3"``) is returned under ``""`` so the caller can name it in its error.
    """
    name, _, rest = str(text).strip().partition(":")
    bare: list[Any] = []
    options: dict[str, Any] = {}
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, eq, value = item.partition("=")
        if eq:
            options[key.strip()] = parse_value(value.strip())
        else:
            bare.append(parse_value(item))
    return name.strip(), bare, options
