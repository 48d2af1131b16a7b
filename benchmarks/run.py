"""Run the benchmark suite, or some of its cases, and regenerate docs/benchmarks.md from every case's results.

    python benchmarks/run.py                      # every case (< 60 minutes on 2 quiet cores), then the doc
    python benchmarks/run.py --quick              # smoke run (< 5 minutes): *-quick.json and a scratch doc
    python benchmarks/run.py --only latency,text  # rerun some cases; the doc still shows every case
    python benchmarks/run.py --doc-only           # regenerate the doc from the results already there
    python benchmarks/run.py --results-dir benchmarks/results/rerun   # a second run, kept apart
    python benchmarks/run.py --doc-only --compare benchmarks/results/rerun   # does it reproduce every ratio (±20 %)?
    python benchmarks/run.py --list               # the cases, and which are available here

Each case is a module in benchmarks/ with ``run(quick) -> dict`` (see ``_common``'s docstring for the
contract). Each writes ``<results-dir>/<case>.json`` (``<case>-quick.json`` with ``--quick``) as soon as it
finishes, so an interrupted or failing run keeps every case done before it; a failing case is reported and the
others still run. Cases run in this process one after another, in the order of ``CASES``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("KERAS_BACKEND", "torch")  # before any case imports keras

from _common import RESULTS, ROOT, machine, write_results  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Case:
    name: str  # also the result file's name
    module: str  # benchmarks/<module>.py
    title: str
    full_options: dict[str, Any] = field(default_factory=dict)  # passed to run() in a full (not --quick) run
    in_quick: bool = True  # part of the --quick smoke run


# Adding a case is one line here. A module that is not there yet (another issue's) is skipped.
# The options keep the full run under 60 minutes on 2 cores: one MNIST-1D search seed and three digits
# seeds (the script's own default is 3 of each: `python benchmarks/search_bars.py`) and a 5-minute text search
# (`python benchmarks/text.py` searches 30).
CASES = [
    Case("train_loop", "train_loop", "Training-loop throughput: sizeup vs a plain PyTorch loop vs Keras 3"),
    Case("time_to_accuracy", "time_to_accuracy", "Time to accuracy with sizeup's defaults"),
    Case("search_bars", "search_bars", "The search bars: MNIST-1D in 5 minutes, digits in 2",
         {"repeats": {"mnist1d": 1, "digits": 3}}),
    Case("search_efficiency", "search_efficiency",
         "Search efficiency on MNIST-1D: sizeup vs Optuna TPE vs random search vs an exhaustive grid"),
    Case("text", "text", "Text: zh-news, sizeup's recommendation vs TF-IDF + logistic regression", {"budget": "5m"}),
    Case("lm", "lm", "Language modelling"),
    Case("latency", "latency", "Latency measurement: sizeup.measure vs torch.utils.benchmark.Timer"),
    Case("estimate_memory", "estimate_memory", "Estimator accuracy: predicted vs measured peak training memory"),
    Case("compress", "compress", "Compression"),
    Case("cost", "cost", "Serving cost: throughput, latency, energy and $ per 1M tokens against published figures"),
    Case("scaling", "scaling", "Scaling forecasts: the Chinchilla refit, and 8× forecasts trained and checked"),
    Case("scaling_intervals", "scaling_intervals", "Scaling intervals: coverage on data from a known law"),
    Case("gpu", "gpu", "Accelerators: sizeup on one CUDA GPU"),
    Case("distributed", "distributed", "Scaling out: 2 workers, worker deaths, storages, Ray, data-parallel training",
         in_quick=False),  # its --quick alone takes about 4 minutes: run it with --only distributed --quick
    Case("privacy", "privacy", "Privacy: DP-SGD privacy-utility curves and PII masking"),
    Case("federated", "federated", "Federated learning: MNIST-1D, 10 clients, IID and non-IID, secure aggregation, DP, Flower"),
    Case("choice", "choice", "A choice to trust: small tables, an untested assumption, the budget, a busy machine"),
    Case("test_suite", "test_suite", "The test suite's wall time", in_quick=False),
]


def _fail(message: str) -> None:
    """A bad argument: one line on stderr, exit code 2 (as argparse's own errors)."""
    print(message, file=sys.stderr)
    raise SystemExit(2)


def available(case: Case) -> bool:
    return (HERE / f"{case.module}.py").is_file()


def select(only: str | None, quick: bool) -> list[Case]:
    if not only:
        return [c for c in CASES if available(c) and (c.in_quick or not quick)]
    names = [n.strip() for n in only.split(",") if n.strip()]
    known = {c.name: c for c in CASES}
    unknown = [n for n in names if n not in known]
    if unknown:
        _fail(f"--only: unknown case(s) {', '.join(unknown)}; the cases are: {', '.join(known)}")
    missing = [n for n in names if not available(known[n])]
    if missing:
        _fail(f"--only: benchmarks/{known[missing[0]].module}.py is not there (yet)")
    return [known[n] for n in names]


def result_name(case: Case, quick: bool) -> str:
    return case.name + ("-quick" if quick else "")


def run_case(case: Case, quick: bool, results_dir: Path, run_id: str, options: dict[str, Any]) -> bool:
    print(f"\n===== {case.name}{' (quick)' if quick else ''}: {case.title}", flush=True)
    started = machine()
    t0 = time.perf_counter()
    try:
        module = importlib.import_module(case.module)
        payload = module.run(quick=quick, **{**({} if quick else case.full_options), **options})
    except Exception:  # noqa: BLE001 - one failing case must not lose the others
        traceback.print_exc()
        print(f"===== {case.name} FAILED after {time.perf_counter() - t0:.0f} s; its previous results are kept",
              flush=True)
        return False
    payload = {**payload, "case": case.name, "run_id": run_id, "case_seconds": time.perf_counter() - t0}
    path = write_results(result_name(case, quick), payload, results_dir=results_dir, started=started)
    print(f"===== {case.name} done in {payload['case_seconds']:.0f} s: {path}", flush=True)
    return True


def _shown(path: Path) -> str:
    """A path as the doc shows it: relative to the repository when inside it."""
    full = path.resolve()
    return os.path.relpath(full, ROOT) if full.is_relative_to(ROOT) else str(path)


def compare_runs(cases: list[Case], results_dir: Path, other: Path) -> None:
    """Every summary ratio here against ``other``'s; the report goes to ``results_dir/reproduction.json``."""
    import json

    from _compare import compare, print_report
    from _doc import _atomic_write, load, summary_of

    if not other.is_dir():
        _fail(f"--compare: {other} is not a folder of results; run "
                         f"`python benchmarks/run.py --results-dir {other}` first")
    rep = compare(cases, results_dir, other, load=load, summary_of=summary_of)
    rep["first"], rep["second"] = _shown(results_dir), _shown(other)
    print_report(rep)
    path = results_dir / "reproduction.json"
    _atomic_write(path, json.dumps(rep, indent=2) + "\n")
    print(f"reproduction: {path}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run (< 5 min): fewer repeats, tiny budgets; "
                    "writes *-quick.json and, unless --doc is given, a doc in the results folder")
    ap.add_argument("--only", metavar="NAME[,NAME]", help="run only these cases (see --list)")
    ap.add_argument("--results-dir", type=Path, default=RESULTS, help=f"where the JSONs go (default {RESULTS.relative_to(ROOT)})")
    ap.add_argument("--doc", type=Path, default=None, help=f"the Markdown to regenerate (default {DOC.relative_to(ROOT)}; "
                    "with --quick: benchmarks-quick.md in the results folder)")
    ap.add_argument("--doc-only", action="store_true", help="run nothing; regenerate the doc from the JSONs")
    ap.add_argument("--text-budget", default=None, help="sizeup's search budget in the text case (default here 5m; benchmarks/text.py alone: 30m)")
    ap.add_argument("--compare", type=Path, metavar="DIR", default=None,
                    help="compare every summary ratio with a second run's results in DIR (bar: within ±20 %%); "
                    "writes reproduction.json into the results folder and a section into the doc")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    args = ap.parse_args(argv)
    if args.list:
        for c in CASES:
            state = "available" if available(c) else f"benchmarks/{c.module}.py not there"
            print(f"{c.name:<28} {'' if c.in_quick else '(not in --quick) '}{c.title} [{state}]")
        return 0
    from _doc import write_doc  # after the argument check: it imports every case module

    doc = args.doc or (args.results_dir / "benchmarks-quick.md" if args.quick else DOC)
    failed = []
    if not args.doc_only:
        run_id = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
        t0 = time.perf_counter()
        for case in select(args.only, args.quick):
            options = {"budget": args.text_budget} if case.name == "text" and args.text_budget else {}
            if not run_case(case, args.quick, args.results_dir, run_id, options):
                failed.append(case.name)
        print(f"\nsuite: {time.perf_counter() - t0:.0f} s" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    cases = [c for c in CASES if available(c) or (args.results_dir / f"{result_name(c, args.quick)}.json").is_file()]
    if args.compare is not None:
        compare_runs(cases, args.results_dir, args.compare)
    write_doc(cases, quick=args.quick, results_dir=args.results_dir, doc=doc)
    print(f"doc: {doc}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
