"""The privacy-utility curve as a small standalone SVG (sizeup does not depend on matplotlib)."""

from __future__ import annotations

import math
from html import escape
from typing import Any

__all__ = ["curve_svg"]

W, H, PAD = 640, 380, 60


def curve_svg(payload: dict[str, Any]) -> str:
    """Test quality against ε (log axis): every seed's run as a dot, the medians joined, the references dashed."""
    metric = payload["metric"]
    key = f"test_{metric}"
    private = [p for p in payload["points"] if p["epsilon_target"] is not None]
    refs = [r for r in payload["rows"] if r["epsilon_target"] is None]
    if not private:
        return ""
    xs = [p["epsilon_target"] for p in private]
    ys = [p["test"] for p in payload["points"]]
    x0, x1 = math.log(min(xs) / 1.5), math.log(max(xs) * 1.5)
    y0, y1 = min(ys), max(ys)
    y0, y1 = y0 - 0.08 * (y1 - y0 or 1), y1 + 0.08 * (y1 - y0 or 1)
    sx = lambda v: PAD + (math.log(v) - x0) / (x1 - x0) * (W - 2 * PAD)  # noqa: E731
    sy = lambda v: H - PAD - (v - y0) / (y1 - y0) * (H - 2 * PAD)  # noqa: E731
    title = f"{payload['task']}: {payload['family']} test {metric} against ε (δ = {payload['delta']:g})"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
             f'font-family="sans-serif" font-size="12" role="img" aria-label="{escape(title)}">',
             f'<rect width="{W}" height="{H}" fill="white"/>',
             f'<text x="{W / 2}" y="20" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
             f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#999"/>',
             f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="#999"/>',
             f'<text x="{W / 2}" y="{H - 16}" text-anchor="middle">ε (privacy budget, log scale)</text>',
             f'<text x="16" y="{H / 2}" transform="rotate(-90 16 {H / 2})" text-anchor="middle">test {escape(metric)}</text>']
    for v in (y0 + (y1 - y0) * i / 4 for i in range(5)):
        parts.append(f'<text x="{PAD - 6}" y="{sy(v) + 4:.1f}" text-anchor="end" font-size="11">{v:.3g}</text>')
    for e in sorted(set(xs)):
        parts.append(f'<text x="{sx(e):.1f}" y="{H - PAD + 16}" text-anchor="middle" font-size="11">{e:g}</text>')
    for r, dash, color in zip(refs, ("6,4", "2,3"), ("#333", "#888")):
        y = sy(r[key])
        parts += [f'<line x1="{PAD}" y1="{y:.1f}" x2="{W - PAD}" y2="{y:.1f}" stroke="{color}" stroke-dasharray="{dash}"/>',
                  f'<text x="{W - PAD}" y="{y - 5:.1f}" text-anchor="end" fill="{color}">{escape(r["budget"])}: '
                  f'{r[key]:.4g}</text>']
    for p in private:
        parts.append(f'<circle cx="{sx(p["epsilon_target"]):.1f}" cy="{sy(p["test"]):.1f}" r="3" fill="#e15759" '
                     'fill-opacity="0.45"/>')
    medians = sorted((r["epsilon_target"], r[key]) for r in payload["rows"] if r["epsilon_target"] is not None)
    path = " ".join(f"{'M' if i == 0 else 'L'}{sx(e):.1f},{sy(v):.1f}" for i, (e, v) in enumerate(medians))
    parts.append(f'<path d="{path}" fill="none" stroke="#e15759" stroke-width="2"/>')
    parts += [f'<circle cx="{sx(e):.1f}" cy="{sy(v):.1f}" r="4.5" fill="#e15759"/>' for e, v in medians]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
