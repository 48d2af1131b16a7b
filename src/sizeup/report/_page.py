"""HTML building blocks: escaped text, plotly figures without their library, a sortable table, the page.

Plotly's JSON encoder writes ``<``, ``>`` and ``/`` as ``\\u003c``, ``\\u003e``, ``\\u002f``, so a user string
inside a figure cannot close the ``<script>`` it is embedded in; text outside figures goes through
:func:`html.escape`. The plotly.js bundle is inlined once per page, so the page opens offline.
"""

from __future__ import annotations

import base64
import math
from html import escape
from pathlib import Path
from typing import Any, Iterable

__all__ = ["Page", "table", "esc", "data_uri"]

CSS = """body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#222;padding:0 1rem}
h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;font-size:13px;margin:.5rem 0}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}
th{background:#f4f4f4}table.sortable th{cursor:pointer}table.sortable th:hover{background:#e8eef7}td.l{text-align:left}
.ok{color:#0a0}.no{color:#c00}.box{background:#f7f9fc;border:1px solid #cfd8e3;padding:.5rem 1rem;border-radius:6px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:.5rem}.fig{min-height:300px}
.thumbs{display:flex;flex-wrap:wrap;gap:1rem}.thumbs figure{margin:0;font-size:12px;text-align:center}
.thumbs img{image-rendering:pixelated;border:1px solid #ccc}.text span{padding:1px 0;white-space:pre-wrap}
.muted{color:#666;font-size:13px}.scroll{overflow-x:auto}"""

SORT_JS = """document.querySelectorAll('table.sortable').forEach(t=>t.querySelectorAll('th').forEach((th,i)=>
th.addEventListener('click',()=>{const body=t.tBodies[0],up=th.dataset.dir!=='up';th.dataset.dir=up?'up':'down';
const key=r=>{const c=r.cells[i],v=c.dataset.v!==undefined?c.dataset.v:c.textContent,n=parseFloat(v);
return v===''?null:(isNaN(n)?v.toLowerCase():n)};
[...body.rows].sort((a,b)=>{const x=key(a),y=key(b);if(x===null)return 1;if(y===null)return -1;
return (x<y?-1:x>y?1:0)*(up?1:-1)}).forEach(r=>body.appendChild(r))})));"""


def esc(value: Any) -> str:
    return escape(str(value), quote=True)


def data_uri(png: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def _cell(v: Any) -> tuple[str, str]:
    """(shown text, sort key) of one value."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "", ""
    if isinstance(v, bool):
        return ("yes" if v else "no"), str(int(v))
    if isinstance(v, (int, float)):
        text = f"{v:,.0f}" if abs(v) >= 1e5 or float(v).is_integer() else f"{v:.4g}"
        return text, repr(float(v))
    return esc(v), esc(v)


def table(rows: Iterable[dict[str, Any]], columns: list[str], *, sortable: bool = False,
          left: tuple[str, ...] = ("model", "status", "reason", "family", "width")) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for r in rows:
        cells = []
        for c in columns:
            text, key = _cell(r.get(c))
            cls = ' class="l"' if c in left else ""
            cells.append(f'<td{cls} data-v="{key}">{text}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    cls = ' class="sortable"' if sortable else ""
    return (f'<div class="scroll"><table{cls}><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
            "</table></div>")


class Page:
    """Collects HTML parts and plotly figures; :meth:`render` returns one self-contained document."""

    def __init__(self, title: str) -> None:
        self.title, self.parts, self.n_figures = title, [], 0

    def add(self, html: str) -> None:
        self.parts.append(html)

    def figures(self, figs: list[Any]) -> None:
        if not figs:
            return
        self.add('<div class="grid">' + "".join(self._figure(f) for f in figs) + "</div>")

    def _figure(self, fig: Any) -> str:
        import plotly.io as pio

        self.n_figures += 1
        return pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=f"fig{self.n_figures}",
                           default_width="100%", config={"displaylogo": False, "responsive": True})

    def render(self) -> str:
        from plotly.offline import get_plotlyjs

        return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{esc(self.title)}</title>'
                f'<style>{CSS}</style><script>{get_plotlyjs()}</script></head><body>{"".join(self.parts)}'
                f"<script>{SORT_JS}</script></body></html>")
