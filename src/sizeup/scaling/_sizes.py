"""Which sizes to train: knob values whose parameter counts are geometrically spaced (about ×2 apart).

Parameters are counted on models built on the meta device, so even the 100× forecast size costs no memory.
``width`` grows the width at fixed depth, ``depth`` the depth at fixed width, and ``both`` grows the depth as
the cube root of the parameter ratio (rounded) and solves the width for the target, so the two grow together.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from sizeup.data.bundle import DataInfo
from sizeup.errors import SizeupError

__all__ = ["KNOBS", "start_knobs", "count_params_meta", "knobs_for_params", "ladder"]

KNOBS = ("width", "depth", "both")
_MAX_KNOB = 1 << 20


def count_params_meta(family: str, info: DataInfo, knobs: dict[str, Any]) -> int:
    from sizeup.zoo import build

    with torch.device("meta"):
        model = build(family, info, **knobs)
    return sum(p.numel() for p in model.parameters())


class _Counts:
    """Parameter counts of one family on one data shape, memoised: bisection asks for the same sizes often."""

    def __init__(self, family: str, info: DataInfo) -> None:
        self.family, self.info, self.seen = family, info, {}

    def __call__(self, knobs: dict[str, Any]) -> int | None:
        key = tuple(sorted(knobs.items()))
        if key not in self.seen:
            try:
                self.seen[key] = count_params_meta(self.family, self.info, knobs)
            except SizeupError:
                self.seen[key] = None  # e.g. a width that the number of heads does not divide
        return self.seen[key]

    def at_least(self, base: dict[str, Any], name: str, value: int) -> tuple[int, int] | None:
        """The first valid value of knob ``name`` from ``value`` up (within 16) and its count."""
        for v in range(value, value + 16):
            got = self({**base, name: v})
            if got is not None:
                return v, got
        return None


def start_knobs(family: str, knob: str, knobs: dict[str, Any] | None) -> dict[str, Any]:
    """The smallest size: the family's ``tiny`` preset with the user's knobs on top."""
    from sizeup.zoo import get_family

    if knob not in KNOBS:
        raise SizeupError(f"--knob must be one of {', '.join(KNOBS)}, got {knob!r}")
    fam = get_family(family)
    needed = ("width", "depth") if knob == "both" else (knob,)
    missing = [k for k in needed if k not in fam.knobs]
    if missing:
        raise SizeupError(f"family {family!r} has no {missing[0]} knob to scale; its knobs are: {', '.join(fam.knobs)}")
    defaults = fam.config_cls()
    start = {k: getattr(defaults, k) for k in ("width", "depth", "heads") if k in fam.knobs}
    return {**start, **fam.presets.get("tiny", {}), **(knobs or {})}


def _solve(counts: _Counts, base: dict[str, Any], name: str, target: float, floor: int) -> dict[str, Any]:
    """The valid value of knob ``name`` (at least ``floor``) whose parameter count is nearest ``target``."""
    def params(v: int) -> float:
        found = counts.at_least(base, name, v)
        return found[1] if found else math.inf

    hi = max(floor, 1)
    while params(hi) < target and hi < _MAX_KNOB:
        hi *= 2
    lo = floor
    while hi - lo > 1:  # parameter counts grow with every size knob: bisect to the first value at or above target
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if params(mid) >= target else (mid, hi)
    near = [counts.at_least(base, name, v) for v in (max(floor, lo - 1), lo, hi)]
    near = [n for n in near if n is not None]
    if not near:
        raise SizeupError(f"family {counts.family!r}: no valid {name} from {floor} up (knobs {base}); check the other knobs")
    best, _ = min(near, key=lambda n: (abs(math.log(n[1] / target)), n[0]))
    return {**base, name: best}


def knobs_for_params(family: str, info: DataInfo, *, knob: str, start: dict[str, Any], target: float,
                     floor: dict[str, int] | None = None, counts: _Counts | None = None) -> dict[str, Any]:
    """The knobs of the size on ``start``'s path whose parameter count is nearest ``target``."""
    floor = floor or {}
    counts = counts or _Counts(family, info)
    p0 = counts(start)
    if knob == "depth":
        return _solve(counts, start, "depth", target, floor.get("depth", 1))
    base = dict(start)
    if knob == "both":
        base["depth"] = max(floor.get("depth", 1), round(start["depth"] * max(target / p0, 1.0) ** (1 / 3)))
    return _solve(counts, base, "width", target, floor.get("width", 1))


def ladder(family: str, info: DataInfo, *, knob: str, start: dict[str, Any], sizes: int,
           step: float = 2.0) -> list[dict[str, Any]]:
    """``sizes`` knob settings from ``start`` up, each about ``step``× the parameters of the one before."""
    if sizes < 1:
        raise SizeupError(f"--sizes must be at least 1, got {sizes}")
    if step <= 1:
        raise SizeupError(f"step must be above 1 (the parameter ratio between sizes), got {step}")
    counts = _Counts(family, info)
    p0 = counts(start)
    if p0 is None:
        raise SizeupError(f"family {family!r}: the starting size {start} is not a valid model; fix the knobs")
    out, sizes_params = [dict(start)], [p0]
    for k in range(1, sizes):
        floor = {"width": out[-1].get("width", 1), "depth": out[-1].get("depth", 1)}
        if knob != "both":
            floor[knob] += 1  # every size strictly larger than the one before
        target = p0 * step**k
        knobs = knobs_for_params(family, info, knob=knob, start=start, target=target, floor=floor, counts=counts)
        if counts(knobs) <= sizes_params[-1]:  # "both" at tiny sizes: rounding kept the size as it was
            knobs = knobs_for_params(family, info, knob=knob, start=start, target=target, counts=counts,
                                     floor={**floor, "width": floor["width"] + 1})
        out.append(knobs)
        sizes_params.append(counts(knobs))
    return out
