"""Write ``report.html``: task and data, the recommendation and its reasons, interactive plots, the
sortable leaderboard, the winner's costs and its scale-up, and explanations when ``sizeup explain`` ran."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sizeup._io import atomic_path, read_json
from sizeup.report._figures import class_balance, search_figures
from sizeup.report._page import Page, esc, table
from sizeup.report._run import RunView, load_run

__all__ = ["write_report", "render_report", "report_facts", "REPORT"]

REPORT = "report.html"
BOARD_COLUMNS = ["id", "family", "model", "status", "feasible", "params", "flops", "latency_ms", "memory_mb",
                 "train_seconds", "epochs"]


def _data_section(run: RunView) -> str:
    s, limits = run.data_summary or {}, run.limits
    info = run.info
    kind = s.get("input_kind") or (info.input_kind if info else "?")
    shape = tuple(s.get("input_shape") or (info.input_shape if info else ()))
    sizes = s.get("sizes") or ({"train": info.n_train, "val": info.n_val, "test": info.n_test} if info else {})
    names = s.get("class_names") or (info.class_names if info else None) or []
    source = run.source if run.source != "?" else s.get("name", "?")
    shown = ", ".join(names[:30]) + (f", … ({len(names)} in all)" if len(names) > 30 else "")
    return (f"<h2>Task and data</h2><p>Data <b>{esc(source)}</b>: {esc(kind)} input of shape {esc(shape)}, "
            f"{esc(s.get('task') or (info.task if info else '?'))}; "
            + ", ".join(f"{n:,} {esc(k)}" for k, n in sizes.items())
            + (f"; classes: {esc(shown)}" if names else "")
            + f".</p><p>Metric: {esc(run.metric)} ({'higher' if run.higher else 'lower'} is better). Constraints: "
            + esc(", ".join(f"{k} = {v:g}" for k, v in limits.items()) or "none")
            + f". Families searched: {esc(', '.join(run.families))}. Validation: {esc(_validation(run))}.</p>"
            + table([{"split": k, "examples": n} for k, n in sizes.items()], ["split", "examples"], left=("split",)))


def _validation(run: RunView) -> str:
    v = run.recommendation.get("validation") or {}
    if v.get("kind") == "kfold":
        return f"{v.get('folds')}-fold cross-validation ({v.get('why', '')}); the winner was retrained on every non-test row"
    return f"one hold-out split ({v.get('why', '')})" if v else "one hold-out split"


def _recommendation(run: RunView) -> str:
    rec = run.recommendation
    verdict = "ok" if rec.get("feasible") else "no"
    status = run.board["status"].value_counts().to_dict() if not run.board.empty else {}
    return (f'<h2>Recommendation</h2><div class="box"><h3 class="{verdict}">{esc(rec.get("headline", ""))}</h3><ul>'
            + "".join(f"<li>{esc(r)}</li>" for r in rec.get("reasons", []))
            + f'</ul><p class="muted">{len(run.board)} trials: {esc(", ".join(f"{n} {k}" for k, n in status.items()))}'
            + "</p></div>")


def _leaderboard(run: RunView) -> str:
    q, t = run.quality, f"test_{run.metric}"
    cols = [c for c in [*BOARD_COLUMNS[:5], q, f"{q}_se", t, *BOARD_COLUMNS[5:], "reason"] if c in run.board.columns]
    return ("<h2>Leaderboard</h2><p class=\"muted\">Click a column header to sort.</p>"
            + table(run.board.to_dict(orient="records"), cols, sortable=True))


def _winner(run: RunView, page: Page) -> None:
    from sizeup.report._winner import winner_figures

    if run.winner is None:
        return
    page.add(f"<h2>The winner's costs</h2><p>{esc(run.winner['family'])} with "
             f"{esc(', '.join(f'{k}={v}' for k, v in run.winner['config'].items()))}. Memory and time are estimates "
             f"(<code>sizeup.estimate</code> on the meta device, roofline on this CPU); FLOPs are counted by PyTorch.</p>")
    est = run.estimates or {}
    if "memory" not in est:
        page.add(f"<p class=\"muted\">{esc(est.get('note', 'no cost estimates were saved with this run'))}.</p>")
        return
    page.figures(winner_figures(est))
    rows = est.get("scale_up") or []
    if rows:
        page.add(f"<h3>Scaled up: the same model 4× and 16× wider</h3><p class=\"muted\">Training memory for batch "
                 f"{est.get('train_batch', 64)} with AdamW; each row is a separate estimate.</p>" + table(rows, list(rows[0])))
    else:
        page.add("<p class=\"muted\">This family has no width knob, so there is no wider version to estimate.</p>")


def render_report(run: RunView) -> tuple[str, int]:
    """The page as a string, and how many plotly figures it holds."""
    from sizeup.report._explain_section import explain_section
    from sizeup.report._scaling_section import scaling_section
    from sizeup.report._privacy_section import privacy_section

    page = Page(f"sizeup: {run.name}")
    page.add(f"<h1>sizeup report: {esc(run.name)}</h1>")
    page.add(_data_section(run))
    page.figures([f for f in [class_balance(run.data_summary)] if f is not None])
    page.add(_recommendation(run))
    page.add("<h2>What was tried</h2><p>Each point is a trained candidate; the black step line is the Pareto front "
             "(no other candidate is both better and cheaper); the dashed red line is the constraint; the green ring is "
             "the recommendation.</p>")
    page.figures(search_figures(run))
    page.add(_leaderboard(run))
    _winner(run, page)
    if run.scaling:
        scaling_section(run.scaling, page)
    if run.explanations:
        explain_section(run.explanations, run.out_dir, page)
    if (run.out_dir / "privacy.json").is_file():  # written by `sizeup privacy`
        privacy_section(read_json(run.out_dir / "privacy.json"), page)
    return page.render(), page.n_figures


def write_report(out_dir: str | Path) -> Path:
    """Render ``<out_dir>/report.html`` from the run's files."""
    out_dir = Path(out_dir)
    run = load_run(out_dir)
    html, _ = render_report(run)
    path = out_dir / REPORT
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path


def report_facts(path: Path) -> dict[str, Any]:
    """What ``sizeup report --json`` prints about a written page."""
    text = path.read_text(encoding="utf-8")
    return {"report": str(path), "bytes": path.stat().st_size, "figures": text.count('class="plotly-graph-div"'),
            "has_explanations": 'id="explanations"' in text}
