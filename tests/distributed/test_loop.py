"""Workers sharing one study: each trial runs once, a killed worker's trial runs again under its own number."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import optuna
from optuna.trial import TrialState

from sizeup.distributed import Plan, open_storage, parse_storage, reserve_slots, run_trials

from toy_trials import NumberSeeded, objective, open_study

TOY = [sys.executable, str(Path(__file__).with_name("toy_trials.py"))]


def _new_study(url: str, n: int) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(study_name="toy", storage=open_storage(parse_storage(url)), sampler=NumberSeeded())
    reserve_slots(study, n)
    return study


def _uninterrupted(n: int) -> dict[int, tuple[dict, float]]:
    study = optuna.create_study(sampler=NumberSeeded())
    reserve_slots(study, n)
    run_trials(study, objective(), plan=lambda: Plan(trials=n))
    return {t.number: (t.params, t.value) for t in study.trials}


def test_two_processes_on_one_sqlite_file_never_claim_the_same_trial(tmp_path):
    # SQLite ignores SELECT ... FOR UPDATE, so Optuna's pop of a WAITING trial lets two processes take the same
    # one (Optuna #4002); the claim lock must make every claim exclusive
    url, n, done = f"sqlite:///{tmp_path / 'study.db'}", 40, tmp_path / "done"
    _new_study(url, n)
    done.mkdir()
    procs = [subprocess.Popen([*TOY, url, "toy", str(n), "claim", str(done)], stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    runs = [p.communicate(timeout=240)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    claimed = sorted(int(x) for r in runs for x in r)
    assert claimed == list(range(n)), "a trial was claimed twice, or not at all"


def _wait_for(study: optuna.Study, number: int, timeout: float = 120) -> optuna.trial.FrozenTrial:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        trials = study.get_trials(deepcopy=False)
        if len(trials) > number and trials[number].state == TrialState.RUNNING and len(trials[number].params) == 2:
            return trials[number]
        time.sleep(0.05)
    raise AssertionError(f"trial {number} never started")


def test_a_worker_killed_mid_trial_loses_nothing_and_its_trial_reruns_under_its_number(tmp_path):
    url, n, held = f"journal:{tmp_path / 'study.log'}", 6, 3
    study = _new_study(url, n)
    worker = subprocess.Popen([*TOY, url, "toy", str(n), str(held)], stdout=subprocess.DEVNULL)
    before = _wait_for(study, held)
    finished = {t.number: t.value for t in study.get_trials(states=(TrialState.COMPLETE,))}
    worker.kill()  # SIGKILL mid-trial: no cleanup, the trial stays RUNNING with a dead owner
    worker.wait()

    ran = run_trials(study, objective(), plan=lambda: Plan(trials=n), poll=0.05)  # a second worker takes over

    trials = study.get_trials()
    assert held in ran and len(finished) == held
    assert [t.number for t in trials] == list(range(n)) and {t.state for t in trials} == {TrialState.COMPLETE}
    assert trials[held].params == before.params  # its own number, the parameters it had drawn
    assert {k: trials[k].value for k in finished} == finished  # no finished trial lost or re-run
    assert {t.number: (t.params, t.value) for t in trials} == _uninterrupted(n)


def test_a_trial_count_stops_workers_at_exactly_that_many_trials(tmp_path):
    study = _new_study(f"journal:{tmp_path / 'study.log'}", 0)
    ran = run_trials(study, objective(), plan=lambda: Plan(trials=4))
    assert ran == [] and len(study.trials) == 0  # no slot reserved: a worker never creates numbered trials itself
    reserve_slots(study, 4)
    assert run_trials(study, objective(), plan=lambda: Plan(trials=4)) == [0, 1, 2, 3]


def test_a_time_budget_creates_trials_until_the_deadline(tmp_path):
    study = _new_study(f"journal:{tmp_path / 'study.log'}", 0)
    start = time.time()
    ran = run_trials(study, objective(), plan=lambda: Plan(deadline=start + 1.5))
    assert 2 <= len(ran) == len(study.trials) and ran == list(range(len(ran)))
    # the plan is read, then the trial claimed: on a busy machine the claim can land a moment after the check
    assert all(t.datetime_start.timestamp() < start + 1.5 + 0.5 for t in study.trials)
