"""A scatter plot as inline SVG: quality against a cost (log scale), Pareto front joined, a limit drawn."""

from __future__ import annotations

import math
from html import escape

import pandas as pd

__all__ = ["scatter"]

W, H, PAD = 560, 320, 48
COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"]


def scatter(df: pd.DataFrame, x: str, y: str, *, front: pd.DataFrame, limit: float | None, title: str) -> str:
    pts = df[df[x].notna() & df[y].notna() & (df[x] > 0)]
    if pts.empty:
        return ""
    lx = pts[x].map(math.log10)
    x0, x1 = lx.min() - 0.1, lx.max() + 0.1
    y0, y1 = float(pts[y].min()), float(pts[y].max())
    y0, y1 = (y0 - 0.05 * (y1 - y0 or 1), y1 + 0.05 * (y1 - y0 or 1))
    sx = lambda v: PAD + (math.log10(v) - x0) / (x1 - x0) * (W - 2 * PAD)  # noqa: E731
    sy = lambda v: H - PAD - (v - y0) / (y1 - y0) * (H - 2 * PAD)  # noqa: E731
    families = sorted(pts["family"].dropna().unique())
    color = {f: COLORS[i % len(COLORS)] for i, f in enumerate(families)}
    parts = [f'<svg viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{escape(title)}">',
             f'<text x="{W / 2}" y="16" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
             f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#999"/>',
             f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="#999"/>',
             f'<text x="{W / 2}" y="{H - 10}" text-anchor="middle">{escape(x)} (log scale)</text>',
             f'<text x="14" y="{H / 2}" transform="rotate(-90 14 {H / 2})" text-anchor="middle">{escape(y)}</text>',
             f'<text x="{PAD}" y="{H - PAD + 16}" font-size="11">{10 ** x0:.3g}</text>',
             f'<text x="{W - PAD}" y="{H - PAD + 16}" font-size="11" text-anchor="end">{10 ** x1:.3g}</text>',
             f'<text x="{PAD - 4}" y="{sy(y1) + 4}" font-size="11" text-anchor="end">{y1:.3g}</text>',
             f'<text x="{PAD - 4}" y="{sy(y0)}" font-size="11" text-anchor="end">{y0:.3g}</text>']
    if limit is not None and 10 ** x0 < limit < 10 ** x1:
        parts.append(f'<line x1="{sx(limit):.1f}" y1="{PAD}" x2="{sx(limit):.1f}" y2="{H - PAD}" stroke="#c00" '
                     f'stroke-dasharray="4 3"><title>limit {limit:g}</title></line>')
    fr = front[front[x].notna() & (front[x] > 0)].sort_values(x)
    if len(fr) > 1:
        path = " ".join(f"{sx(a):.1f},{sy(b):.1f}" for a, b in zip(fr[x], fr[y]))
        parts.append(f'<polyline points="{path}" fill="none" stroke="#333" stroke-width="1.5"/>')
    for _, r in pts.iterrows():
        parts.append(f'<circle cx="{sx(r[x]):.1f}" cy="{sy(r[y]):.1f}" r="4" fill="{color.get(r["family"], "#888")}">'
                     f'<title>{escape(str(r["model"]))}: {y} {r[y]:.4f}, {x} {r[x]:.4g}</title></circle>')
    for i, f in enumerate(families):
        parts.append(f'<circle cx="{W - PAD - 90}" cy="{PAD + 14 * i}" r="4" fill="{color[f]}"/>'
                     f'<text x="{W - PAD - 80}" y="{PAD + 4 + 14 * i}" font-size="11">{escape(str(f))}</text>')
    parts.append("</svg>")
    return "".join(parts)
