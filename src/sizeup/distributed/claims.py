"""Claiming trials of a shared study, and putting back the trials of workers that died.

Every claim and every re-queue happens under the study's claim lock (``storage.claim_lock``), so two
workers never take the same trial and a trial is never re-queued while its new owner starts it.
"""

from __future__ import annotations

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import TrialState

from sizeup.distributed.heartbeat import GRACE_S, KEY, Heartbeat, beat_of, host_id, is_stale
from sizeup.distributed.storage import claim_lock

__all__ = ["requeue_stale", "claim_next", "release", "running_alive", "open_trial"]


def _requeue_unlocked(study: optuna.Study, grace: float, trials: list | None = None) -> list[int]:
    storage, here, numbers = study._storage, host_id(), []
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)) if trials is None else \
        [t for t in trials if t.state == TrialState.RUNNING]
    for t in running:
        if is_stale(beat_of(t), grace=grace, here=here):
            try:
                storage.set_trial_state_values(t._trial_id, state=TrialState.WAITING)
            except UpdateFinishedTrialError:  # it finished after all, just now
                continue
            numbers.append(t.number)
    return numbers


def requeue_stale(study: optuna.Study, *, grace: float = GRACE_S) -> list[int]:
    """Put RUNNING trials whose worker is gone back to WAITING, keeping their number and drawn parameters."""
    with claim_lock(study._storage, study.study_name):
        return _requeue_unlocked(study, grace)


def open_trial(study: optuna.Study, trial_id: int) -> optuna.Trial:
    """A ``Trial`` for a trial this worker claimed, as ``Study.ask`` builds it after popping one."""
    study._thread_local.cached_all_trials = None  # as ask() does: the sampler reads the study afresh (Optuna 4-5)
    return optuna.Trial(study, trial_id)


def claim_next(study: optuna.Study, *, below: int | None, create: bool, grace: float = GRACE_S,
               interval: float | None = None) -> tuple[optuna.Trial, Heartbeat] | None:
    """Re-queue stale trials, then claim the lowest-numbered WAITING trial under ``below`` (all when None);
    with none and ``create``, add a trial and claim that. Returns the trial and its heartbeat, or None.

    New trials are added WAITING and claimed under the lock rather than created RUNNING by ``ask()``, so no
    trial is ever RUNNING without its owner's heartbeat on it.
    """
    storage = study._storage
    with claim_lock(storage, study.study_name):
        open_ = study.get_trials(deepcopy=False, states=(TrialState.WAITING, TrialState.RUNNING))
        requeued = set(_requeue_unlocked(study, grace, open_))
        waiting = sorted((t for t in open_ if t.state == TrialState.WAITING or t.number in requeued), key=lambda t: t.number)
        waiting = [t for t in waiting if below is None or t.number < below]
        if not waiting and create:
            study.enqueue_trial({})
            waiting = sorted(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)), key=lambda t: t.number)
        for t in waiting:
            try:
                if not storage.set_trial_state_values(t._trial_id, state=TrialState.RUNNING):
                    continue
            except UpdateFinishedTrialError:
                continue
            beat = Heartbeat(storage, t._trial_id, **({"interval": interval} if interval else {}))
            beat.write()
            return open_trial(study, t._trial_id), beat
    return None


def release(study: optuna.Study, trial: optuna.Trial) -> None:
    """Hand an interrupted trial back (Ctrl-C): WAITING again, so the next worker or resume runs it."""
    with claim_lock(study._storage, study.study_name):
        try:
            study._storage.set_trial_system_attr(trial._trial_id, KEY, None)
            study._storage.set_trial_state_values(trial._trial_id, state=TrialState.WAITING)
        except UpdateFinishedTrialError:
            pass


def running_alive(study: optuna.Study, *, below: int | None, grace: float = GRACE_S) -> list[int]:
    """Numbers of RUNNING trials (under ``below``) whose workers are alive."""
    here = host_id()
    return [t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            if (below is None or t.number < below) and not is_stale(beat_of(t), grace=grace, here=here)]
