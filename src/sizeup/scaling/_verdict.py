"""The sentence a user acts on: what the next size up buys, for what, and where the gain drowns in noise."""

from __future__ import annotations

from sizeup.scaling._family import FamilyFit, Forecast

__all__ = ["verdict", "pick_forecast", "compact"]


def compact(n: float) -> str:
    """1234 -> '1.2 k', 2.1e6 -> '2.1 M'."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.2g} {unit}" if n / size < 10 else f"{n / size:.0f} {unit}"
    return f"{n:.0f}"


def pick_forecast(fit: FamilyFit, multiple: float = 4.0) -> Forecast | None:
    """The forecast at ``multiple``×, else the nearest one there is."""
    if not fit.forecasts:
        return None
    return min(fit.forecasts, key=lambda f: abs(f.multiple - multiple))


def _noise_clause(fit: FamilyFit) -> str:
    q, beyond = fit.quality, fit.flat_beyond()
    noise = fit.noise() * q.factor
    spread = f"{noise:.1f} points" if q.higher_is_better else f"{noise:.3g} {q.metric}"
    source = "run to run at the largest size" if fit.runs > 1 else "around the fit at the largest size"
    if beyond <= fit.largest:
        return f"even the largest size trained is within the noise of the asymptote (±{spread} {source})"
    if beyond > 1e4 * fit.largest:
        return f"the curve does not flatten within 10,000× the largest size (noise ±{spread} {source})"
    return f"beyond about {compact(beyond)} parameters the gain is inside the noise (±{spread} {source})"


def verdict(fit: FamilyFit, *, subject: str | None = None, verb: str = "buys", multiple: float = 4.0) -> str:
    """E.g. "4× bigger buys +0.8 points of accuracy (90 % interval +0.3…+1.4) for 3.1× the latency; beyond
    about 2 M parameters the gain is inside the noise (±0.4 points between seeds)"."""
    f = pick_forecast(fit, multiple)
    if f is None:
        return _noise_clause(fit)
    gain = fit.quality.describe_gain(f.gain, f.gain_lo, f.gain_hi, fit.level)
    subject = subject or f"{f.multiple:g}× bigger ({compact(f.params)} parameters)"
    cost = f" for {f.latency_ratio:.2g}× the latency" if f.latency_ratio else ""
    sure = "" if f.gain_lo > 0 else ", which may be no gain at all"
    return f"{subject} {verb} {gain}{cost}{sure}; {_noise_clause(fit)}"
