"""The explanations section: what ``sizeup explain`` wrote, as figures (images: PNG heat maps; signals:
the signal coloured by attribution; text: highlighted tokens; tables: bars), the confusion matrix,
the attention maps and the most confidently wrong test examples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sizeup.report._figures import layout
from sizeup.report._page import Page, data_uri, esc, table

__all__ = ["explain_section", "write_explanations_page"]


def _name(payload: dict[str, Any], k: Any) -> str:
    names = payload.get("class_names")
    return str(names[k]) if names and isinstance(k, int) and k < len(names) else str(k)


def _caption(payload: dict[str, Any], s: dict[str, Any]) -> str:
    conf = f" ({s['confidence']:.0%})" if s.get("confidence") is not None else ""
    return f"#{s['index']}: true {_name(payload, s['label'])}, predicted {_name(payload, s['pred'])}{conf}"


def _signals(payload: dict[str, Any], samples: list[dict[str, Any]]) -> go.Figure:
    fig = make_subplots(rows=len(samples), cols=1, shared_xaxes=True, vertical_spacing=0.03,
                        subplot_titles=[esc(_caption(payload, s)) for s in samples])
    for r, s in enumerate(samples, start=1):
        attr = [sum(col) for col in zip(*s["attribution"])]
        top = max((abs(a) for a in attr), default=1.0) or 1.0
        for c, channel in enumerate(s["signal"]):
            fig.add_trace(go.Scatter(y=channel, mode="lines", line=dict(color="#bbb"), showlegend=False,
                                     hoverinfo="skip"), row=r, col=1)
            fig.add_trace(go.Scatter(y=channel, mode="markers", showlegend=False, customdata=attr,
                                     hovertemplate="t=%{x}: value %{y:.3g}, attribution %{customdata:.3g}<extra></extra>",
                                     marker=dict(color=attr, colorscale="RdBu", reversescale=True, cmin=-top, cmax=top,
                                                 size=7, showscale=(r == 1 and c == 0),
                                                 colorbar=dict(title="attr.", len=0.3, y=1, yanchor="top"))),
                          row=r, col=1)
    return layout(fig, "Integrated Gradients: each signal coloured by its attribution<br>"
                       "(red pushes towards the prediction)", height=170 * len(samples) + 60)


def _tabular(payload: dict[str, Any], samples: list[dict[str, Any]]) -> go.Figure:
    fig = go.Figure([go.Bar(y=s["attribution"], name=esc(_caption(payload, s))) for s in samples])
    return layout(fig, "Integrated Gradients: attribution per feature", barmode="group",
                  xaxis=dict(title="feature index"))


def _text(payload: dict[str, Any], samples: list[dict[str, Any]]) -> str:
    out = []
    for s in samples:
        top = max((abs(a) for a in s["attribution"]), default=1.0) or 1.0
        spans = "".join(
            f'<span title="{a:.3g}" style="background:rgba({"214,39,40" if a > 0 else "31,119,180"},{abs(a) / top:.2f})">'
            f"{esc(tok)}</span>" for tok, a in zip(s["tokens"], s["attribution"]))
        out.append(f'<p class="muted">{esc(_caption(payload, s))}</p><p class="text">{spans}</p>')
    return "".join(out)


def _images(payload: dict[str, Any], samples: list[dict[str, Any]], folder: Path, key: str = "png") -> str:
    return '<div class="thumbs">' + "".join(
        f'<figure><img src="{data_uri(folder / s[key])}" alt="{esc(_caption(payload, s))}">'
        f"<figcaption>{esc(_caption(payload, s))}</figcaption></figure>" for s in samples) + "</div>"


def _confusion(payload: dict[str, Any]) -> go.Figure:
    n = len(payload["confusion"])
    names = [esc(_name(payload, k)) for k in range(n)]
    fig = go.Figure(go.Heatmap(z=payload["confusion"], x=names, y=names, colorscale="Blues", texttemplate="%{z}",
                               hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>"))
    return layout(fig, "confusion matrix on the test split", xaxis=dict(title="predicted", type="category"),
                  yaxis=dict(title="true", type="category", autorange="reversed"), height=420)


def _attention(payload: dict[str, Any]) -> go.Figure:
    att = payload["attention"]
    layers = att["layers"]
    fig = make_subplots(rows=1, cols=len(layers), subplot_titles=[f"layer {i + 1}" for i in range(len(layers))])
    labels = [esc(t) for t in att["labels"]]
    for i, m in enumerate(layers, start=1):
        fig.add_trace(go.Heatmap(z=m, colorscale="Viridis", showscale=(i == len(layers)),
                                 hovertemplate="query %{y} → key %{x}: %{z:.3f}<extra></extra>"), row=1, col=i)
        fig.update_yaxes(autorange="reversed", row=1, col=i)
    return layout(fig, f"attention of test example #{att['index']}, averaged over heads (rows: queries; "
                       f"columns: keys; {len(labels)} positions)", height=380)


def _wrong(payload: dict[str, Any], folder: Path) -> str:
    rows = []
    for w in payload["wrong"]:
        if "png" in w:
            shown = f'<img src="{data_uri(folder / w["png"])}" alt="example {w["index"]}" style="max-height:60px">'
        elif "tokens" in w:
            shown = esc("".join(w["tokens"]) if all(len(t) == 1 for t in w["tokens"]) else " ".join(w["tokens"]))[:300]
        else:
            shown = esc(", ".join(f"{v:.3g}" for v in w["values"][:12]))
        rows.append(f'<tr><td>{w["index"]}</td><td class="l">{esc(_name(payload, w["label"]))}</td><td class="l">'
                    f'{esc(_name(payload, w["pred"]))}</td><td>{w["confidence"]:.1%}</td><td class="l">{shown}</td></tr>')
    return ("<table><thead><tr><th>test #</th><th>true</th><th>predicted</th><th>confidence</th><th>input</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


def explain_section(payload: dict[str, Any], base: Path, page: Page, *, folder: Path | None = None) -> None:
    """Append the explanations to ``page``; PNGs live in ``folder`` (default ``base/explain``) and are inlined."""
    folder = folder or base / "explain"
    samples, kind = payload["samples"], payload["input_kind"]
    worst = max(s["rel_error"] for s in samples)
    page.add(f'<h2 id="explanations">Explanations: {esc(payload.get("model", ""))}</h2><p>{esc(payload["method"])}; '
             f"{len(samples)} test examples. Completeness (attributions sum to f(x) − f(baseline) of the explained "
             f"output): worst relative gap {worst:.2%} with up to {max(s['n_steps'] for s in samples)} steps.</p>")
    if kind == "image":
        page.add("<p class=\"muted\">Red: pixels that push towards the prediction; blue: against.</p>"
                 + _images(payload, samples, folder))
    elif kind == "signal":
        page.figures([_signals(payload, samples)])
    elif kind == "tokens":
        page.add("<p class=\"muted\">Red: tokens that push towards the prediction; blue: against "
                 "(hover for the value).</p>" + _text(payload, samples))
    else:
        page.figures([_tabular(payload, samples)])
    page.figures([f for f in (_confusion(payload) if payload.get("confusion") else None,
                              _attention(payload) if payload.get("attention") else None) if f is not None])
    if payload.get("wrong"):
        page.add("<h3>The most confidently wrong test examples</h3>" + _wrong(payload, folder))
    page.add("<h3>Per-example completeness</h3>" + table(
        [{k: s.get(k) for k in ("index", "fx", "fb", "attr_sum", "delta", "rel_error", "n_steps")} for s in samples],
        ["index", "fx", "fb", "attr_sum", "delta", "rel_error", "n_steps"]))


def write_explanations_page(result: Any) -> Path:
    """A page of the explanations alone, beside a bare model folder (``<out_dir>/explanations.html``)."""
    from sizeup._io import atomic_path

    payload, out_dir = result.payload, result.out_dir
    page = Page(f"sizeup explain: {payload['model']}")
    explain_section(payload, out_dir.parent, page, folder=out_dir)
    path = out_dir / "explanations.html"
    with atomic_path(path) as tmp:
        tmp.write_text(page.render(), encoding="utf-8")
    return path
