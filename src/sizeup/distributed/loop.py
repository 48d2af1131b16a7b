"""One worker's loop over a shared study: claim a trial, run it with a heartbeat, tell the result, repeat.

The loop is Optuna's ask-run-tell, with the ask replaced by a claim (``claims.claim_next``) so that a
search bounded by a trial count runs exactly trials 0 .. N-1, whichever workers run them and however
many of them die. The study's plan (user attribute ``plan``, written by the search) says when to stop;
every worker reads it, so workers started by hand on other machines follow the search that started the study.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from sizeup.distributed.claims import claim_next, release, running_alive
from sizeup.distributed.heartbeat import GRACE_S, Heartbeat

__all__ = ["Plan", "read_plan", "write_plan", "reserve_slots", "fill_slot", "run_trials", "PLAN_KEY"]

PLAN_KEY = "plan"
POLL_S = 0.5
MAX_POLL_S = 5.0


@dataclass(frozen=True)
class Plan:
    """What the study's search asks for: trials 0 .. ``trials``-1 (None: as many as time allows), none
    started after ``deadline`` (Unix time; None: no time limit)."""

    trials: int | None = None
    deadline: float | None = None
    trial_seconds: float | None = None
    seed: int = 0

    def open(self, now: float | None = None) -> bool:
        return self.deadline is None or (now or time.time()) < self.deadline


def write_plan(study: optuna.Study, plan: Plan) -> None:
    study.set_user_attr(PLAN_KEY, {"trials": plan.trials, "deadline": plan.deadline,
                                   "trial_seconds": plan.trial_seconds, "seed": plan.seed})


def read_plan(study: optuna.Study) -> Plan | None:
    raw = study.user_attrs.get(PLAN_KEY)
    return Plan(**raw) if raw else None


def reserve_slots(study: optuna.Study, trials: int | None) -> int:
    """Add empty WAITING trials until the study holds ``trials`` of them, so that workers claim numbered
    slots instead of racing to create trials: no worker ever runs trial N when N trials were asked for."""
    from sizeup.distributed.storage import claim_lock

    if trials is None:
        return 0
    with claim_lock(study._storage, study.study_name):
        missing = max(0, trials - len(study.get_trials(deepcopy=False)))
        for _ in range(missing):
            study.enqueue_trial({})
    return missing


def fill_slot(study: optuna.Study, params: dict[str, Any], *, user_attrs: dict[str, Any]) -> bool:
    """Give ``params`` to the lowest-numbered reserved slot not yet claimed (a WAITING trial without parameters of
    its own), so a trial planned mid-search runs within the trial count; False when no slot is left."""
    from sizeup.distributed.storage import claim_lock

    storage = study._storage
    with claim_lock(storage, study.study_name):
        for t in sorted(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)), key=lambda t: t.number):
            if not t.system_attrs.get("fixed_params"):
                storage.set_trial_system_attr(t._trial_id, "fixed_params", params)
                for key, value in user_attrs.items():
                    storage.set_trial_user_attr(t._trial_id, key, value)
                return True
    return False


Objective = Callable[[optuna.Trial], float]
TrialCallback = Callable[[optuna.Study, FrozenTrial], None]


def run_trials(study: optuna.Study, objective: Objective, *, plan: Callable[[], Plan],
               callbacks: Sequence[TrialCallback] = (), catch: tuple[type[BaseException], ...] = (Exception,),
               grace: float = GRACE_S, interval: float | None = None, poll: float = POLL_S) -> list[int]:
    """Run trials of ``study`` until its plan is done; returns the numbers this worker finished.

    With a trial count, the worker waits while other workers' trials are still alive (one of them may die
    and need re-running); it stops when every trial under the count is finished, or when the deadline passed.
    """
    done: list[int] = []
    wait = poll
    while True:
        p = plan()
        if p.open():
            claimed = claim_next(study, below=p.trials, create=p.trials is None, grace=grace, interval=interval)
            if claimed is not None:
                frozen = run_claimed(study, *claimed, objective, catch=catch)
                if frozen is not None:
                    done.append(frozen.number)
                    for cb in callbacks:
                        cb(study, frozen)
                wait = poll
                continue
        if not running_alive(study, below=p.trials, grace=grace):
            return done
        time.sleep(wait)
        wait = min(2 * wait, MAX_POLL_S)  # many idle workers must not poll a database server in a tight loop


def run_claimed(study: optuna.Study, trial: optuna.Trial, beat: Heartbeat, objective: Objective, *,
                catch: tuple[type[BaseException], ...]) -> FrozenTrial | None:
    """Run one claimed trial and tell its outcome, as ``Study.optimize`` would; None when it was taken over."""
    values: Any = None
    try:
        with beat:
            values = objective(trial)
        state = TrialState.COMPLETE
    except optuna.TrialPruned:
        state = TrialState.PRUNED
    except KeyboardInterrupt:
        release(study, trial)  # interrupted, not failed: the next run takes it up under its number
        raise
    except catch as exc:
        state = TrialState.FAIL
        study._storage.set_trial_system_attr(trial._trial_id, "fail_reason", f"{type(exc).__name__}: {exc}"[:500])
    except BaseException:
        study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
        raise
    if beat.lost:
        return None
    if state == TrialState.COMPLETE and not (isinstance(values, (int, float)) and math.isfinite(values)):
        state, values = TrialState.FAIL, None
    return study.tell(trial, values, state=state, skip_if_finished=True)
