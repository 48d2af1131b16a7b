"""Heartbeats tell a dead worker's trial from a live one; a stale trial goes back to WAITING, number and all."""

from __future__ import annotations

import os
import subprocess
import time

import optuna
import pytest
from optuna.trial import TrialState

from sizeup.distributed import GRACE_S, Heartbeat, claim_next, is_stale, open_storage, parse_storage, requeue_stale
from sizeup.distributed.heartbeat import KEY, host_id


@pytest.fixture
def study(tmp_path) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna.create_study(study_name="hb", storage=open_storage(parse_storage(f"journal:{tmp_path / 'j.log'}")))


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_trial_whose_owner_died_on_this_machine_is_stale_at_once():
    now = time.time()
    assert is_stale({"host": host_id(), "pid": _dead_pid(), "t": now}, now=now)
    assert not is_stale({"host": host_id(), "pid": os.getpid(), "t": now}, now=now)


def test_a_trial_on_another_machine_is_stale_only_after_the_grace_period():
    now = time.time()
    other = {"host": "elsewhere/boot/ns", "pid": _dead_pid()}  # its PID means nothing here
    assert not is_stale({**other, "t": now - GRACE_S + 5}, now=now)
    assert is_stale({**other, "t": now - GRACE_S - 5}, now=now)
    assert is_stale(None, now=now)  # RUNNING with no heartbeat: no sizeup worker owns it


def test_requeue_puts_a_stale_trial_back_with_its_number_and_parameters(study):
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    trial = study.ask()  # the worker dies after drawing x: the trial stays RUNNING
    x = trial.suggest_float("x", 0, 1)
    study._storage.set_trial_system_attr(trial._trial_id, KEY, {"host": host_id(), "pid": _dead_pid(), "t": time.time()})
    live = study.ask()
    study._storage.set_trial_system_attr(live._trial_id, KEY, {"host": host_id(), "pid": os.getpid(), "t": time.time()})

    assert requeue_stale(study) == [trial.number]  # the live worker's trial is left alone
    claimed, beat = claim_next(study, below=None, create=False)
    assert claimed.number == trial.number and claimed.suggest_float("x", 0, 1) == x
    assert study.trials[live.number].state == TrialState.RUNNING


def test_a_worker_whose_trial_was_taken_over_drops_its_result(study):
    study.enqueue_trial({})
    trial, beat = claim_next(study, below=None, create=False, interval=0.05)
    with beat:
        study._storage.set_trial_system_attr(trial._trial_id, KEY, {"token": "another worker's"})
        time.sleep(0.3)
    assert beat.lost


def test_a_live_worker_keeps_its_trial_fresh(study):
    study.enqueue_trial({})
    trial, beat = claim_next(study, below=None, create=False, interval=0.05)
    first = study.trials[0].system_attrs[KEY]["t"]
    with beat:
        time.sleep(0.3)
    assert not beat.lost and study.trials[0].system_attrs[KEY]["t"] > first
