"""Scaling out (issue 18): one search on several workers, worker deaths, storage contention, the Ray backend,
and data-parallel training.

Every part runs sizeup the way a user does (``sizeup search``, ``sizeup worker``, ``sizeup train --nproc``
as subprocesses, 1 thread per worker process), next to its baseline in the same run:

* **throughput**: ``search examples/digits.toml --budget B`` with ``--workers 2`` against ``--workers 1``;
* **worker death**: a search and a ``sizeup worker`` share a study; one of them is killed with SIGKILL at a
  random moment, and restarted; the finished study is compared with an uninterrupted run's. The run is bounded
  by a trial count inside the sampler's random start-up (8 trials) and trains 1 epoch per trial, below
  Hyperband's first rung: then which trial draws what and scores what depends on its number alone, not on
  which worker ran it when, and "the same study" is a well-defined bar;
* **storage contention**: 2 and 4 processes running sizeup's worker loop over trials that only use the
  storage (``benchmarks/_storage_worker.py``), on SQLite, a journal file and PostgreSQL;
* **Ray**: the same search with ``--backend ray`` and with processes, and Ray's own start-up time and memory;
* **DDP**: ``train --nproc 2`` against one process at the same global batch: the weights after 20 steps, and
  the time per step.

    python benchmarks/distributed.py            # the full case (about 12 minutes on 2 quiet cores)
    python benchmarks/distributed.py --quick    # smoke run (about 4 minutes); not a recorded result
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ROOT, describe_machine, machine, parse_args, row, spread, write_results  # noqa: E402

SIZEUP = [sys.executable, "-c", "from sizeup.cli import main; main()"]
ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1", "NO_COLOR": "1"}
ISSUE = "#18"
DEATH_TRIALS = 8  # TrialSeededTPE's random start-up: each trial's draws depend on its number only


def _task(folder: Path, name: str, families: tuple[str, ...]) -> Path:
    fams = ", ".join(f'"{f}"' for f in families)
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\n[data]\nsource = "digits"\n[search]\nfamilies = [{fams}]\n', encoding="utf-8")
    return path


def _cli(*args: Any, timeout: float = 1800) -> subprocess.CompletedProcess:
    proc = subprocess.run([*SIZEUP, *map(str, args)], capture_output=True, text=True, env=ONE_THREAD, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"sizeup {' '.join(map(str, args[:2]))} failed: {proc.stderr[-2000:]}")
    return proc


def _study(url: str, name: str):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    from sizeup.distributed import open_storage, parse_storage

    return optuna.load_study(study_name=name, storage=open_storage(parse_storage(url)))


# -- throughput: 2 workers vs 1 on the same budget ------------------------------------------------------------

def _search_figures(out: Path) -> dict[str, Any]:
    import pandas as pd

    board = pd.read_csv(out / "leaderboard.csv")
    done = board[board["status"] == "completed"]
    return {"trials": len(board), "completed": len(done), "best_val": float(done["val_accuracy"].max())}


def throughput(budget_s: int, repeats: int) -> dict[str, Any]:
    runs: dict[str, list[dict]] = {"1": [], "2": []}
    for rep in range(repeats):
        for workers in (1, 2):  # interleaved: drift on a shared machine hits both
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "run"
                _cli("search", ROOT / "examples" / "digits.toml", "--budget", f"{budget_s}s", "--workers", workers,
                     "--seed", rep, "--out", out, "--json")
                runs[str(workers)].append(_search_figures(out))
            print(f"  throughput: {workers} worker(s), seed {rep}: {runs[str(workers)][-1]}", flush=True)
    return {"budget_s": budget_s, "runs": runs}


# -- worker death ------------------------------------------------------------------------------------------------

def _trials(url: str, name: str) -> dict[int, dict[str, Any]]:
    from sizeup.distributed.heartbeat import KEY

    return {t.number: {"state": t.state.name, "params": t.params, "value": t.value,
                       "owner": (t.system_attrs.get(KEY) or {}).get("pid")} for t in _study(url, name).get_trials()}


def _wait_for_slots(url: str, name: str, n: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if len(_study(url, name).get_trials(deepcopy=False)) >= n:
                return
        except Exception:  # noqa: BLE001 - the study does not exist yet
            pass
        time.sleep(0.2)
    raise RuntimeError("the search never created its study")


def _until_running(url: str, name: str, proc: subprocess.Popen, timeout: float = 120) -> float:
    """Seconds until ``proc`` runs a trial (at once when it already does; gives up when it has none to run)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout and proc.poll() is None:
        if any(t["state"] == "RUNNING" and t["owner"] == proc.pid for t in _trials(url, name).values()):
            break
        time.sleep(0.1)
    return time.monotonic() - start


def _death_run(task: Path, folder: Path, *, kill_after: float | None, victim: str | None) -> dict[str, Any]:
    """A search and a worker on one study; optionally kill one (SIGKILL) after ``kill_after`` s and restart it."""
    out, name = folder / "run", task.stem
    url = f"sqlite:///{out / 'study.db'}"
    search = [*SIZEUP, "search", str(task), "--trials", str(DEATH_TRIALS), "--max-epochs", "1", "--out", str(out), "--json"]
    worker = [*SIZEUP, "worker", str(task), "--storage", url, "--out", str(out), "--json"]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": ONE_THREAD}
    t0 = time.monotonic()
    procs = {"search": subprocess.Popen(search, **quiet)}
    _wait_for_slots(url, name, DEATH_TRIALS)
    procs["worker"] = subprocess.Popen(worker, **quiet)
    event: dict[str, Any] = {}
    if kill_after is not None:
        time.sleep(max(0.0, t0 + kill_after - time.monotonic()))
        proc = procs[victim]
        waited = _until_running(url, name, proc)  # a kill between two trials would test nothing
        before = _trials(url, name)
        proc.kill()
        proc.wait()
        event = {"victim": victim, "at_s": time.monotonic() - t0, "waited_for_a_trial_s": waited, "exit": proc.returncode,
                 "finished": {n: t for n, t in before.items() if t["state"] in ("COMPLETE", "PRUNED", "FAIL")},
                 "interrupted": {n: t for n, t in before.items() if t["state"] == "RUNNING" and t["owner"] == proc.pid}}
        procs[victim] = subprocess.Popen(search + ["--resume"] if victim == "search" else worker, **quiet)
    codes = {k: p.wait(timeout=1800) for k, p in procs.items()}
    return {"seconds": time.monotonic() - t0, "exit_codes": codes, "final": _trials(url, name), **event}


def _same(t: dict, u: dict) -> bool:
    return (t["state"], t["params"], t["value"]) == (u["state"], u["params"], u["value"])


def _judge(run: dict[str, Any], reference: dict[int, dict]) -> dict[str, Any]:
    """Finished trials kept as they were; interrupted ones finished under their number with the parameters they
    had drawn; the whole study equal to the uninterrupted run's."""
    final = run["final"]
    lost = [n for n, t in run.get("finished", {}).items() if n not in final or not _same(t, final[n])]
    rerun = [n for n, t in run.get("interrupted", {}).items() if final.get(n, {}).get("state") in ("COMPLETE", "PRUNED")
             and all(final[n]["params"].get(k) == v for k, v in t["params"].items())]
    same = sorted(final) == sorted(reference) and all(_same(final[n], reference[n]) for n in final)
    return {"lost": lost, "interrupted": sorted(run.get("interrupted", {})), "rerun_own_number": rerun,
            "equals_uninterrupted": same}


def worker_death(kills: int, seed: int = 0) -> dict[str, Any]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        task = _task(Path(tmp), "deaths", ("mlp", "cnn"))
        (Path(tmp) / "reference").mkdir()
        reference = _death_run(task, Path(tmp) / "reference", kill_after=None, victim=None)
        ref_final = reference["final"]
        print(f"  worker death: uninterrupted run {reference['seconds']:.0f} s", flush=True)
        runs = []
        for k in range(kills):
            folder = Path(tmp) / f"kill-{k}"
            folder.mkdir()
            at, victim = rng.uniform(0.15, 0.65) * reference["seconds"], rng.choice(["search", "worker"])
            run = _death_run(task, folder, kill_after=at, victim=victim)
            run["verdict"] = _judge(run, ref_final)
            runs.append(run)
            print(f"  worker death {k + 1}/{kills}: killed the {victim} at {run['at_s']:.1f} s: {run['verdict']}", flush=True)
    return {"trials": DEATH_TRIALS, "reference": reference, "runs": runs}


# -- storage contention ------------------------------------------------------------------------------------------

def _contend(url: str, name: str, workers: int, seconds: float) -> dict[str, Any]:
    import optuna

    optuna.create_study(study_name=name, storage=_storage_of(url))
    script = str(Path(__file__).with_name("_storage_worker.py"))
    procs = [subprocess.Popen([sys.executable, script, url, name], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=ONE_THREAD) for _ in range(workers)]
    for p in procs:  # every worker has imported sizeup and opened the study: start them together
        assert p.stdout.readline().strip() == "ready"
    start = time.time() + 0.5
    for p in procs:
        p.stdin.write(f"{start} {start + seconds}\n")
        p.stdin.flush()
    outs = [json.loads(p.communicate(timeout=seconds + 600)[0].strip().splitlines()[-1]) for p in procs]
    study = _study(url, name)
    complete = sum(t.state.name == "COMPLETE" for t in study.get_trials(deepcopy=False))
    elapsed = max(o["finished_at"] for o in outs) - start  # a trial started before the deadline ends after it
    return {"workers": workers, "seconds": elapsed, "trials": complete, "trials_per_s": complete / elapsed,
            "errors": [e for o in outs for e in o["errors"]]}


def _storage_of(url: str):
    from sizeup.distributed import open_storage, parse_storage

    return open_storage(parse_storage(url))


def contention(seconds: float) -> dict[str, Any]:
    from sizeup.distributed.local_postgres import local_postgres
    from sizeup.errors import SizeupError

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, url in (("SQLite", f"sqlite:///{tmp}/c.db"), ("JournalFile", f"journal:{tmp}/c.log")):
            results[kind] = [_contend(url, f"c{w}", w, seconds) for w in (2, 4)]
        try:
            with local_postgres() as url:
                results["PostgreSQL"] = [_contend(url, f"c{w}", w, seconds) for w in (2, 4)]
        except SizeupError as exc:
            results["PostgreSQL"] = {"not_run": str(exc)}
    for kind, rows in results.items():
        print(f"  contention {kind}: {rows}", flush=True)
    return {"seconds": seconds, "storages": results}


# -- Ray: overhead per trial, start-up time and memory ----------------------------------------------------------

RAY_PROBE = """
import json, time
t = time.perf_counter(); import ray, psutil; imported = time.perf_counter() - t
t = time.perf_counter(); ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False); up = time.perf_counter() - t
f = ray.remote(num_cpus=1)(lambda: 1)
t = time.perf_counter(); ray.get([f.remote() for _ in range(2)]); first = time.perf_counter() - t
t = time.perf_counter(); ray.get([f.remote() for _ in range(20)]); warm = (time.perf_counter() - t) / 20
rss = sum(c.memory_info().rss for c in psutil.Process().children(recursive=True)) + psutil.Process().memory_info().rss
ray.shutdown()
print(json.dumps({"import_s": imported, "init_s": up, "first_tasks_s": first, "task_s": warm, "rss_mb": rss / 2**20}))
"""


def ray_overhead(trials: int, repeats: int) -> dict[str, Any]:
    probes, searches = [], {"processes": [], "ray": []}
    with tempfile.TemporaryDirectory() as tmp:
        task = _task(Path(tmp), "rayover", ("linear", "mlp"))
        for rep in range(repeats):
            proc = subprocess.run([sys.executable, "-c", RAY_PROBE], capture_output=True, text=True, env=ONE_THREAD)
            if proc.returncode != 0:
                return {"not_run": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "ray failed"}
            probes.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            for backend in ("processes", "ray"):
                out = Path(tmp) / f"{backend}-{rep}"
                t0 = time.perf_counter()
                _cli("search", task, "--trials", trials, "--max-epochs", 2, "--workers", 2, "--backend", backend,
                     "--out", out, "--json")
                searches[backend].append(time.perf_counter() - t0)
            print(f"  ray: probe {probes[-1]}, searches {searches}", flush=True)
    return {"trials": trials, "probes": probes, "search_s": searches}


# -- DDP: parity with one process, and the time per step ---------------------------------------------------------

def _train(task: Path, out: Path, *, width: int, depth: int, epochs: int, nproc: int = 1) -> dict[str, Any]:
    """An MLP with no dropout, no norm and no augmentation (their random draws differ per rank); 61-row batches
    split 31 / 30 across 2 ranks, and 1,212 training rows make 20 steps an epoch."""
    args = ["--family", "mlp", "--width", width, "--depth", depth, "--dropout", 0, "-s", "norm=false", "--lr", 1e-2,
            "--batch-size", 61, "--train-set", "augment=false", "--epochs", epochs, "--nproc", nproc]
    return json.loads(_cli("train", task, *args, "--out", out, "--json").stdout)


def ddp(timing_epochs: int) -> dict[str, Any]:
    import sizeup

    with tempfile.TemporaryDirectory() as tmp:
        task = _task(Path(tmp), "ddp", ("mlp",))
        one = _train(task, Path(tmp) / "one", width=32, depth=2, epochs=1)
        two = _train(task, Path(tmp) / "two", width=32, depth=2, epochs=1, nproc=2)
        a, b = sizeup.load(Path(tmp) / "one").state_dict(), sizeup.load(Path(tmp) / "two").state_dict()
        diff = max((a[k] - b[k]).abs().max().item() for k in a)
        t_one = _train(task, Path(tmp) / "t1", width=512, depth=3, epochs=timing_epochs)
        t_two = _train(task, Path(tmp) / "t2", width=512, depth=3, epochs=timing_epochs, nproc=2)
    steps = 20 * timing_epochs
    return {"steps": 20, "max_abs_weight_diff": diff, "test_accuracy": [one["test_accuracy"], two["test_accuracy"]],
            "timing_steps": steps, "step_ms_one": 1e3 * t_one["train_seconds"] / steps,
            "step_ms_two": 1e3 * t_two["train_seconds"] / steps, "world_size": two["world_size"]}


# -- the case ------------------------------------------------------------------------------------------------------

def run(quick: bool = False, *, repeats: int | None = None, kills: int | None = None,
        budget_s: int | None = None) -> dict[str, Any]:
    print(describe_machine(machine()))
    reps = repeats or 1
    payload = {"quick": quick,
               "throughput": throughput(budget_s or (20 if quick else 120), reps),
               "worker_death": worker_death(kills or (1 if quick else 5)),
               "contention": contention(3.0 if quick else 10.0),
               "ray": ray_overhead(3 if quick else 8, reps),
               "ddp": ddp(2 if quick else 10)}
    payload["summary"] = summary_rows(payload)
    return payload


def _throughput_rows(t: dict[str, Any]) -> list[dict[str, Any]]:
    one, two = t["runs"]["1"], t["runs"]["2"]
    c1, c2 = spread([r["completed"] for r in one])["median"], spread([r["completed"] for r in two])["median"]
    ratio = c2 / c1 if c1 else float("nan")
    b1, b2 = max(r["best_val"] for r in one), max(r["best_val"] for r in two)
    return [row(f"digits, {t['budget_s']} s budget, 1 thread per worker: completed trials, 2 workers / 1",
                f"{c2:g} / {c1:g} = {ratio:.2f}×", bar="≥ 1.6×", met=ratio >= 1.6, issue=ISSUE, ratio=ratio),
            row("… best validation accuracy, 2 workers vs 1", f"{100 * b2:.2f} % vs {100 * b1:.2f} %",
                bar="same or better", met=b2 >= b1, issue=ISSUE)]


def _death_rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    v = [r["verdict"] for r in d["runs"]]
    lost = sum(len(x["lost"]) for x in v)
    interrupted = sum(len(x["interrupted"]) for x in v)
    rerun = sum(len(x["rerun_own_number"]) for x in v)
    same = sum(x["equals_uninterrupted"] for x in v)
    n = len(v)
    return [row(f"worker death ({n} × kill -9 of one of 2 workers): finished trials lost", str(lost), bar="0",
                met=lost == 0, issue=ISSUE),
            row("… interrupted trials that completed under their own number and parameters",
                f"{rerun} of {interrupted}", bar="all", met=rerun == interrupted, issue=ISSUE),
            row(f"… final study equal to the uninterrupted run's ({d['trials']} trials: numbers, parameters, values)",
                f"{same} of {n} runs", bar="every run", met=same == n, issue=ISSUE)]


def _contention_rows(c: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for kind, rows in c["storages"].items():
        if isinstance(rows, dict):
            out.append(row(f"storage contention, {kind}", f"not run: {rows['not_run']}", bar="0 lock errors",
                           met=None, issue=ISSUE))
            continue
        rates = ", ".join(f"{r['workers']} workers {r['trials_per_s']:.1f}" for r in rows)
        errors = sum(len(r["errors"]) for r in rows)
        out.append(row(f"storage contention, {kind}: trials/s ({rates}); lock or deadlock errors", str(errors),
                       bar="0 errors", met=errors == 0, issue=ISSUE))
    return out


def _ray_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    if "not_run" in r:
        return [row("Ray backend", f"not run: {r['not_run']}", issue=ISSUE)]
    init = spread([p["init_s"] for p in r["probes"]])
    rss = spread([p["rss_mb"] for p in r["probes"]])
    proc, ray = spread(r["search_s"]["processes"])["median"], spread(r["search_s"]["ray"])["median"]
    per_trial = (ray - proc) / r["trials"]
    return [row(f"Ray backend vs processes, {r['trials']}-trial search on 2 workers: wall time, extra per trial",
                f"{ray:.1f} s vs {proc:.1f} s: {per_trial:+.2f} s per trial (Ray's start-up included)",
                issue=ISSUE, ratio=ray / proc),
            row("Ray start-up on this machine (ray.init, 2 CPUs, no dashboard): time; memory of its processes",
                f"{init['median']:.1f} s; {rss['median']:.0f} MB", issue=ISSUE)]


def _ddp_rows(d: dict[str, Any]) -> list[dict[str, Any]]:
    ratio = d["step_ms_two"] / d["step_ms_one"]
    return [row("DDP parity: 2 processes vs 1 at global batch 61, 20 steps, no dropout: largest weight difference",
                f"{d['max_abs_weight_diff']:.1e}", bar="≤ 1e-5", met=d["max_abs_weight_diff"] <= 1e-5, issue=ISSUE),
            row(f"DDP step time, MLP 512×3 at batch 61: 2 processes (1 thread each) / 1 process (1 thread)",
                f"{d['step_ms_two']:.2f} ms / {d['step_ms_one']:.2f} ms = {ratio:.2f}×", issue=ISSUE, ratio=ratio)]


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return (_throughput_rows(payload["throughput"]) + _death_rows(payload["worker_death"])
            + _contention_rows(payload["contention"]) + _ray_rows(payload["ray"]) + _ddp_rows(payload["ddp"]))


def render(payload: dict[str, Any]) -> str:
    rows = summary_rows(payload)
    lines = ["| figure | value | bar | verdict |", "|---|---|---|---|"]
    lines += [f"| {r['figure']} | {r['value']} | {r.get('bar') or '—'} | "
              f"{'information' if r.get('met') is None else ('met' if r['met'] else '**not met**')} |" for r in rows]
    d = payload["worker_death"]
    lines += ["", f"Worker deaths (uninterrupted run: {d['reference']['seconds']:.0f} s):", "",
              "| run | killed | at | its running trials | re-run under their number | finished lost | equal to uninterrupted |",
              "|---|---|---|---|---|---|---|"]
    for i, r in enumerate(d["runs"], 1):
        v = r["verdict"]
        lines.append(f"| {i} | {r['victim']} | {r['at_s']:.1f} s | {v['interrupted'] or '—'} | {v['rerun_own_number'] or '—'} "
                     f"| {len(v['lost'])} | {'yes' if v['equals_uninterrupted'] else '**no**'} |")
    c = payload["contention"]
    lines += ["", f"Storage contention ({c['seconds']:g} s per configuration, trials that only use the storage):", "",
              "| storage | workers | trials/s | errors |", "|---|---|---|---|"]
    for kind, results in c["storages"].items():
        for r in ([] if isinstance(results, dict) else results):
            lines.append(f"| {kind} | {r['workers']} | {r['trials_per_s']:.1f} | {len(r['errors'])} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    args = parse_args("sizeup's search on several workers, worker deaths, storages, Ray and DDP", repeats=1,
                      quick_repeats=1)
    started = machine()
    path = write_results("distributed-quick" if args.quick else "distributed", run(args.quick, repeats=args.repeats),
                         started=started)
    print(f"raw figures: {path}")


if __name__ == "__main__":
    main()
