"""Step curves as a small standalone SVG file (matplotlib is not a dependency): best quality so far vs compute."""

from __future__ import annotations

from html import escape

W, H, PAD = 640, 360, 56
COLORS = {"grid": "#555", "sizeup": "#e15759", "tpe": "#4e79a7", "random": "#59a14f"}


def _color(label: str) -> str:
    return next((c for k, c in COLORS.items() if label.startswith(k)), "#b07aa1")


def curves_svg(series: list[tuple[str, list[list[float | None]]]], *, title: str, x_label: str, y_label: str,
               target: float | None = None, y_floor: float | None = None, x_mark: tuple[float, str] | None = None) -> str:
    """``series``: (label, [[x, y or None], ...]) with x increasing; each is drawn as a step line (y holds until
    the next point). ``target`` draws a dashed horizontal line; ``y_floor`` clips the y axis from below (lower
    values sit on it), so the region near the top keeps its detail; ``x_mark`` (x, label) draws a dotted
    vertical line."""
    if y_floor is not None:
        series = [(label, [[x, None if y is None else max(y, y_floor)] for x, y in s]) for label, s in series]
    pts = [(x, y) for _, s in series for x, y in s if y is not None]
    if not pts:
        return ""
    x1 = max(x for x, _ in pts) or 1.0
    ys = [y for _, y in pts] + ([target] if target is not None else [])
    y0, y1 = min(ys), max(ys)
    y0, y1 = y0 - 0.05 * (y1 - y0 or 1), y1 + 0.05 * (y1 - y0 or 1)
    sx = lambda v: PAD + v / x1 * (W - 2 * PAD)  # noqa: E731
    sy = lambda v: H - PAD - (v - y0) / (y1 - y0) * (H - 2 * PAD)  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
             f'font-family="sans-serif" font-size="12" role="img" aria-label="{escape(title)}">',
             f'<rect width="{W}" height="{H}" fill="white"/>',
             f'<text x="{W / 2}" y="18" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
             f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#999"/>',
             f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{H - PAD}" stroke="#999"/>',
             f'<text x="{W / 2}" y="{H - 14}" text-anchor="middle">{escape(x_label)}</text>',
             f'<text x="14" y="{H / 2}" transform="rotate(-90 14 {H / 2})" text-anchor="middle">{escape(y_label)}</text>',
             f'<text x="{PAD}" y="{H - PAD + 16}" font-size="11">0</text>',
             f'<text x="{W - PAD}" y="{H - PAD + 16}" font-size="11" text-anchor="end">{x1:.3g}</text>',
             f'<text x="{PAD - 4}" y="{sy(y1) + 4:.1f}" font-size="11" text-anchor="end">{y1:.3f}</text>',
             f'<text x="{PAD - 4}" y="{sy(y0):.1f}" font-size="11" text-anchor="end">{y0:.3f}</text>']
    if target is not None:
        parts.append(f'<line x1="{PAD}" y1="{sy(target):.1f}" x2="{W - PAD}" y2="{sy(target):.1f}" stroke="#c00" '
                     f'stroke-dasharray="4 3"/><text x="{PAD + 6}" y="{sy(target) - 4:.1f}" font-size="11" '
                     f'fill="#c00">1 point below the grid\'s best</text>')
    if x_mark is not None:
        parts.append(f'<line x1="{sx(x_mark[0]):.1f}" y1="{PAD}" x2="{sx(x_mark[0]):.1f}" y2="{H - PAD}" stroke="#555" '
                     f'stroke-dasharray="1 3"/><text x="{sx(x_mark[0]) + 4:.1f}" y="{PAD + 12}" font-size="11" '
                     f'fill="#555">{escape(x_mark[1])}</text>')
    for i, (label, s) in enumerate(series):
        steps, last = [], None
        for x, y in s:
            if y is None:
                continue
            if last is not None:
                steps.append(f"{sx(x):.1f},{sy(last):.1f}")
            steps.append(f"{sx(x):.1f},{sy(y):.1f}")
            last = y
        if steps:
            parts.append(f'<polyline points="{" ".join(steps)}" fill="none" stroke="{_color(label)}" stroke-width="1.5" '
                         f'stroke-opacity="0.8"><title>{escape(label)}</title></polyline>')
    for i, label in enumerate(dict.fromkeys(label.split(" (")[0] for label, _ in series)):
        y = H - PAD - 12 - 16 * i  # bottom right: the curves rise, so that corner stays empty
        parts.append(f'<line x1="{W - PAD - 110}" y1="{y}" x2="{W - PAD - 92}" y2="{y}" stroke="{_color(label)}" '
                     f'stroke-width="2"/><text x="{W - PAD - 86}" y="{y + 4}" font-size="11">{escape(label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
