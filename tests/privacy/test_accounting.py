"""The budget arithmetic: the solved noise meets (ε, δ) as Opacus' own search does, PRV falls back to RDP where
it fails (Opacus #591), and a search's trials compose."""

from __future__ import annotations

import pytest

from sizeup.errors import SizeupError
from sizeup.privacy import compose_search, epsilon_spent, run_budget, solve_noise
from sizeup.task import Task

opacus = pytest.importorskip("opacus")


def test_solved_noise_meets_the_target_to_opacus_tolerance_and_matches_get_noise_multiplier():
    from opacus.accountants.utils import get_noise_multiplier

    plan = solve_noise(4.0, 1e-5, sample_rate=0.25, steps=12, accountant="rdp")
    acc = opacus.accountants.RDPAccountant()
    acc.history = [(plan.noise_multiplier, 0.25, 12)]
    spent = acc.get_epsilon(delta=1e-5)
    assert spent == pytest.approx(plan.epsilon) and 4.0 - 0.01 <= spent <= 4.0
    # what make_private_with_epsilon would pick for 3 epochs of 4 batches: the same ε within 1 %
    sigma = get_noise_multiplier(target_epsilon=4.0, target_delta=1e-5, sample_rate=0.25, epochs=3, accountant="rdp")
    assert epsilon_spent([(sigma, 0.25, 12)], 1e-5, "rdp") == pytest.approx(plan.epsilon, rel=0.01)


def test_prv_failure_falls_back_to_rdp_and_says_so():
    """At δ = 1e-14 PRV's discretisation cannot resolve δ ("Floating point errors will dominate")."""
    with pytest.raises(ValueError):
        epsilon_spent([(1.0, 0.1, 100)], 1e-14, "prv")
    plan = solve_noise(16.0, 1e-14, sample_rate=0.1, steps=100)
    assert plan.accountant == "rdp" and "prv failed" in plan.fallback
    assert 16.0 - 0.01 <= epsilon_spent([(plan.noise_multiplier, 0.1, 100)], 1e-14, "rdp") <= 16.0


def test_a_budget_too_small_for_any_noise_is_a_one_line_error():
    with pytest.raises(SizeupError, match="raise epsilon"):
        solve_noise(0.01, 1e-5, sample_rate=0.01, steps=10, accountant="rdp")  # RDP's floor here is about 0.1


def test_a_search_composes_every_trial_that_trained():
    mechanisms = [(1.2, 0.1, 50), (2.0, 0.1, 50)]
    trials = [{"epsilon": epsilon_spent([m], 1e-6, "rdp"), "delta": 1e-6, "noise_multiplier": m[0], "sample_rate": m[1],
               "steps": m[2]} for m in mechanisms] + [{}]  # the last was rejected before training: it spent nothing
    total = compose_search(trials, delta=2e-6)
    assert total["trials"] == 2 and total["delta"] == pytest.approx(2e-6)
    assert total["epsilon"] == pytest.approx(trials[0]["epsilon"] + trials[1]["epsilon"])  # basic composition
    assert total["epsilon_max_trial"] == trials[0]["epsilon"]
    assert total["epsilon_max_trial"] < total["epsilon_rdp"] < total["epsilon"]  # RDP composes tighter


def test_conservative_mode_splits_the_budget_over_the_trials():
    base = {"name": "t", "data": {"source": "digits"}}
    task = Task.from_dict({**base, "privacy": {"epsilon": 3.0, "search": "conservative", "trials": 6}})
    assert run_budget(task) == (3.0, 1e-5)  # one training run alone: the whole budget
    assert run_budget(task, in_search=True) == pytest.approx((0.5, 1e-5 / 6))
    per_candidate = Task.from_dict({**base, "privacy": {"epsilon": 3.0}})
    assert run_budget(per_candidate, in_search=True) == (3.0, 1e-5)
    no_count = Task.from_dict({**base, "privacy": {"epsilon": 3.0, "search": "conservative"}})
    with pytest.raises(SizeupError, match="trials"):
        run_budget(no_count, in_search=True)
    with pytest.raises(SizeupError, match=r"\[privacy\] epsilon"):
        Task.from_dict({**base, "privacy": {"epsilon": -1}})
