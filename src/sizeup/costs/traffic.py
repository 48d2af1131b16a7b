"""What a user's traffic and latency target are: typed, parsed once from ``key=value, ...`` text at the boundary."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sizeup.errors import SizeupError

__all__ = ["Traffic", "Slo", "parse_traffic", "parse_slo", "HOURS_PER_MONTH", "DAYS_PER_MONTH"]

HOURS_PER_MONTH = 730.0  # 365 × 24 / 12: the month cloud providers bill
DAYS_PER_MONTH = HOURS_PER_MONTH / 24


@dataclass(frozen=True)
class Traffic:
    """Daily volume, the shape of one request, and the peak-to-mean ratio of the request rate."""

    tokens_per_day: float  # prompt + generated tokens, as APIs bill them
    input: int  # prompt tokens per request (mean)
    output: int  # generated tokens per request (mean)
    peak: float = 1.0  # peak request rate / mean request rate

    def __post_init__(self) -> None:
        for key, value, low in (("tokens_per_day", self.tokens_per_day, 0), ("input", self.input, 0),
                                ("output", self.output, 0), ("peak", self.peak, 1 - 1e-9)):
            if not isinstance(value, (int, float)) or value != value or value <= low:
                bound = "≥ 1" if key == "peak" else "> 0"
                raise SizeupError(f"--traffic {key}={value!r} must be a number {bound}")

    @property
    def requests_per_day(self) -> float:
        return self.tokens_per_day / (self.input + self.output)

    @property
    def tokens_per_month(self) -> float:
        return self.tokens_per_day * DAYS_PER_MONTH

    def scaled(self, tokens_per_month: float) -> Traffic:
        """The same request shape and peak ratio at another monthly volume (for the cost-vs-volume curve)."""
        return Traffic(tokens_per_day=tokens_per_month / DAYS_PER_MONTH, input=self.input, output=self.output,
                       peak=self.peak)


@dataclass(frozen=True)
class Slo:
    """Latency targets: time to first token (95th percentile) and time per output token; None = no target."""

    ttft_p95_s: float | None = None
    tpot_s: float | None = None


def _pairs(text: str, flag: str, keys: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in re.split(r"[,;]", text))):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in keys:
            raise SizeupError(f"{flag}: {part!r} is not key=value with a key of {', '.join(keys)}; "
                              f"e.g. {flag} \"{', '.join(f'{k}=...' for k in keys[:3])}\"")
        out[key] = value.strip()
    return out


def _number(flag: str, key: str, value: str) -> float:
    try:
        return float(value.replace("_", ""))
    except ValueError:
        raise SizeupError(f"{flag} {key}={value!r} is not a number; write e.g. {key}=2e7") from None


def parse_traffic(text: str | Traffic) -> Traffic:
    """``"tokens_per_day=2e7, input=500, output=200, peak=3"``; ``requests_per_day`` may replace tokens_per_day."""
    if isinstance(text, Traffic):
        return text
    keys = ("tokens_per_day", "requests_per_day", "input", "output", "peak")
    kv = {k: _number("--traffic", k, v) for k, v in _pairs(str(text), "--traffic", keys).items()}
    missing = [k for k in ("input", "output") if k not in kv]
    if missing or ("tokens_per_day" in kv) == ("requests_per_day" in kv):
        raise SizeupError("--traffic needs input=, output= and one of tokens_per_day= or requests_per_day=; "
                          "e.g. --traffic \"tokens_per_day=2e7, input=500, output=200, peak=3\"")
    per_request = kv["input"] + kv["output"]
    tokens = kv.get("tokens_per_day", kv.get("requests_per_day", 0) * per_request)
    for key in ("input", "output"):
        if kv[key] != int(kv[key]):
            raise SizeupError(f"--traffic {key}={kv[key]:g} must be a whole number of tokens")
    return Traffic(tokens_per_day=tokens, input=int(kv["input"]), output=int(kv["output"]), peak=kv.get("peak", 1.0))


_UNITS = {"ms": 1e-3, "s": 1.0, "": 1.0}


def _seconds(key: str, value: str) -> float:
    m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*(ms|s)?\s*", value)
    if not m:
        raise SizeupError(f"--slo {key}={value!r} is not a duration; write e.g. {key}=500ms or {key}=1s")
    seconds = float(m.group(1)) * _UNITS[m.group(2) or ""]
    if seconds <= 0:
        raise SizeupError(f"--slo {key}={value!r} must be positive")
    return seconds


def parse_slo(text: str | Slo | None) -> Slo:
    """``"ttft_p95=1s, tpot=50ms"``; either key may be left out."""
    if text is None or isinstance(text, Slo):
        return text or Slo()
    kv = _pairs(str(text), "--slo", ("ttft_p95", "tpot"))
    return Slo(ttft_p95_s=_seconds("ttft_p95", kv["ttft_p95"]) if "ttft_p95" in kv else None,
               tpot_s=_seconds("tpot", kv["tpot"]) if "tpot" in kv else None)
