"""One worker of the storage-contention measurement (``benchmarks/distributed.py`` starts several at once).

    python benchmarks/_storage_worker.py URL STUDY

It runs sizeup's worker loop (claims under the study's lock, heartbeats, tell) over trials that do no work
but what a search trial asks of the storage: four parameters, ten intermediate values, three attributes.
Once it has loaded the study it prints ``ready`` and reads "START DEADLINE" (Unix times) from stdin, so that
every worker starts together; from START to DEADLINE it works, then it prints one JSON line: the trials it finished, and every storage error it met.
"""

from __future__ import annotations

import json
import sys
import time

import optuna

from sizeup.distributed import Plan, open_storage, parse_storage, run_trials


def objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.suggest_int("width", 8, 512, log=True)
    trial.suggest_categorical("family", ["mlp", "cnn", "rnn"])
    trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    for step in range(1, 11):
        trial.report(x * step, step)
    for key in ("params", "latency_ms", "status"):
        trial.set_user_attr(key, 1.0)
    return x


def main(url: str, name: str) -> dict:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.load_study(study_name=name, storage=open_storage(parse_storage(url)),
                              sampler=optuna.samplers.RandomSampler())
    print("ready", flush=True)
    start, deadline = map(float, sys.stdin.readline().split())
    time.sleep(max(0.0, start - time.time()))
    done, errors = 0, []
    while time.time() < deadline:
        try:  # catch=(): a storage error inside a trial ends the loop, is counted, and the loop starts again
            done += len(run_trials(study, objective, plan=lambda: Plan(deadline=deadline), catch=()))
        except Exception as exc:  # noqa: BLE001 - every error is the measurement
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}")
    return {"trials": done, "errors": errors, "finished_at": time.time()}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
