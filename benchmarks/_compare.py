"""Does a rerun reproduce the doc's run? Every summary row's ``ratio`` in two result folders, side by side.

``python benchmarks/run.py --doc-only --compare benchmarks/results/rerun`` compares the results behind the doc
(``--results-dir``, default ``benchmarks/results``) with a second run's, writes ``reproduction.json`` into the
results folder, and the doc shows it. Issue #7's bar: every ratio within ±20 %.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TOLERANCE = 0.20


def compare(cases: list, first: Path, second: Path, *, load, summary_of) -> dict[str, Any]:
    """Rows matched by case and figure; ``change`` is second / first − 1. Cases missing from either folder are
    listed under ``missing``; rows without a ratio are not compared."""
    rows, flipped, missing, runs = [], [], [], {}
    for case in cases:
        a, b = load(first, case.name), load(second, case.name)
        if a is None or b is None:
            missing.append(case.name)
            continue
        runs[case.name] = [a.get("run_id"), b.get("run_id")]
        theirs = {r["figure"]: r for r in summary_of(case, b)}
        for r in summary_of(case, a):
            other = theirs.get(r["figure"])
            if other and r.get("met") is not None and other.get("met") is not None and r["met"] != other["met"]:
                flipped.append({"case": case.name, "figure": r["figure"], "first": r["value"], "second": other["value"],
                                "met_first": r["met"], "met_second": other["met"]})
            x, y = r.get("ratio"), other.get("ratio") if other else None
            if x is None or y is None:
                continue
            change = y / x - 1 if x else float("inf")
            rows.append({"case": case.name, "figure": r["figure"], "first": x, "second": y, "change": change,
                         "within": abs(change) <= TOLERANCE})
    return {"first": str(first), "second": str(second), "tolerance": TOLERANCE, "rows": rows, "flipped": flipped,
            "missing": missing,
            "run_ids": runs, "all_within": bool(rows) and all(r["within"] for r in rows)}


def render(rep: dict[str, Any]) -> list[str]:
    """The doc's reproduction section."""
    second = rep["second"]
    n_ok = sum(r["within"] for r in rep["rows"])
    lines = ['<a id="reproduction"></a>', "## Reproduction: a second run", "",
             f"The same command run again into `{second}` (`python benchmarks/run.py --results-dir {second}`), "
             f"then `python benchmarks/run.py --doc-only --compare {second}`. Each row's headline ratio in this "
             f"page's run and in the second; the bar (#7) is every ratio within ±{100 * rep['tolerance']:.0f} %.", "",
             f"**{n_ok} of {len(rep['rows'])} ratios within ±{100 * rep['tolerance']:.0f} %** "
             f"({'met' if rep['all_within'] else '**not met**'}).", "",
             "| case | figure | this page | second run | change | within the bar |", "|---|---|---|---|---|---|"]
    for r in rep["rows"]:
        lines.append(f"| {r['case']} | {r['figure']} | {r['first']:.3g} | {r['second']:.3g} | {100 * r['change']:+.1f} % | "
                     f"{'yes' if r['within'] else '**no**'} |")
    flipped = rep.get("flipped", [])
    lines += ["", "Bars whose verdict differs between the two runs (quality figures, not ratios: a time-budgeted search "
              "trains what fits in its budget, which varies with the machine's speed):" + ("" if flipped else " none.")]
    for f in flipped:
        lines.append(f"- {f['case']}: {f['figure']}: {f['first']} ({'met' if f['met_first'] else 'not met'}) here, "
                     f"{f['second']} ({'met' if f['met_second'] else 'not met'}) in the second run.")
    if rep["missing"]:
        lines += ["", "Not compared (a result is missing from one of the two folders): " + ", ".join(rep["missing"]) + "."]
    return lines + [""]


def print_report(rep: dict[str, Any]) -> None:
    for r in rep["rows"]:
        flag = "ok " if r["within"] else "OUT"
        print(f"{flag} {r['case']:<18} {r['first']:>9.4g} -> {r['second']:>9.4g} ({100 * r['change']:+6.1f} %)  {r['figure']}")
    for f in rep["flipped"]:
        print(f"VERDICT CHANGED {f['case']}: {f['figure']}: {f['first']} -> {f['second']}")
    print(f"{sum(r['within'] for r in rep['rows'])} of {len(rep['rows'])} ratios within ±{100 * rep['tolerance']:.0f} %"
          + (f"; not compared: {', '.join(rep['missing'])}" if rep["missing"] else ""))
