"""DP-FedAvg: clipped updates, Gaussian noise on the average, RDP accounting, and an unmeetable target refused."""

from __future__ import annotations

import math

import pytest
import torch

from sizeup.errors import SizeupError
from sizeup.federated import fit_federated
from sizeup.federated.aggregation import combine, sample_cohort
from sizeup.federated.dp import epsilon_after, plan_privacy
from sizeup.training import Callback

from fed_helpers import local_config, spec, tiny_model

pytest.importorskip("opacus", reason="DP-FedAvg's accounting needs opacus (the federated extra)")
pytestmark = pytest.mark.usefixtures("one_thread")


class Began(Callback):
    began = False

    def on_train_begin(self, logs):
        self.began = True


def test_a_target_epsilon_ten_clients_cannot_meet_is_refused_before_training_with_the_numbers(digits):
    began = Began()
    with pytest.raises(SizeupError) as exc:
        fit_federated(tiny_model(digits), digits, local_config(),
                      spec(clients=10, rounds=50, dp_clip=1.0, dp_epsilon=8.0), callbacks=[began])
    message = str(exc.value)
    assert not began.began and "\n" not in message
    for words in ("dp_epsilon = 8 cannot be met with 10 clients", "50 rounds at sampling rate 0.5",
                  "noise multiplier", "values) / 5 clients", "needs at least"):
        assert words in message, message


def test_a_target_that_enough_clients_can_meet_gets_the_noise_that_just_meets_it():
    plan = plan_privacy(spec(clients=200_000, rounds=20, fraction=0.01, dp_clip=1.0, dp_epsilon=2.0), values=1_000)
    spent = epsilon_after(plan.noise_multiplier, 0.01, 20, 1e-5)
    assert 1.9 <= spent <= 2.0 and plan.noise_to_signal <= 1.0
    # more noise, less epsilon
    assert epsilon_after(2 * plan.noise_multiplier, 0.01, 20, 1e-5) < spent


def test_the_run_reports_the_epsilon_of_its_rounds_at_the_sampling_rate(digits):
    from opacus.accountants import RDPAccountant

    extra = fit_federated(tiny_model(digits), digits, local_config(),
                          spec(rounds=3, dp_clip=0.5, dp_noise=1.5)).extra
    accountant = RDPAccountant()
    accountant.history = [(1.5, 0.5, 3)]  # noise multiplier, sampling rate = fraction, steps = rounds
    assert extra["epsilon"] == pytest.approx(accountant.get_epsilon(delta=1e-5))
    assert extra["noise_multiplier"] == 1.5 and extra["dp_clip"] == 0.5 and extra["delta"] == 1e-5


def test_without_noise_each_round_moves_the_model_by_at_most_the_clip_norm(digits):
    from sizeup.federated.vectors import exchanged_keys, to_vector

    model = tiny_model(digits)
    keys = exchanged_keys(model)
    start = to_vector(model, keys)
    s = spec(rounds=1, fraction=1.0, dp_clip=1e-3, dp_noise=0.0)  # every client sampled: the cohort is all 4
    result = fit_federated(model, digits, local_config(lr=0.05), s)
    moved = (to_vector(model, keys) - start).norm().item()
    assert 0 < moved <= 1e-3 * 1.0001  # the average of 4 updates each clipped to 1e-3, over qK = 4
    assert result.extra["clipped_updates"] == 4


def test_the_noise_on_the_average_has_the_planned_standard_deviation():
    plan = plan_privacy(spec(clients=10, dp_clip=2.0, dp_noise=1.2), values=100_000)
    noise = combine([], n_values=100_000, plan=plan, bits=None, generator=torch.Generator().manual_seed(0))
    assert plan.noise_std == pytest.approx(1.2 * 2.0 / 5)
    assert noise.std().item() == pytest.approx(plan.noise_std, rel=0.02) and abs(noise.mean().item()) < 0.01


def test_clients_are_sampled_independently_with_probability_fraction_under_dp():
    s = spec(clients=10, fraction=0.3, dp_clip=1.0, dp_noise=1.0)
    sizes = [len(sample_cohort(s, seed=0, round_=r)) for r in range(1, 2001)]
    assert len(set(sizes)) > 3 and 0 in sizes or min(sizes) <= 1  # Poisson: the cohort size varies
    assert sum(sizes) / len(sizes) == pytest.approx(3.0, rel=0.05)
    plain = [len(sample_cohort(spec(clients=10, fraction=0.3), seed=0, round_=r)) for r in range(1, 50)]
    assert set(plain) == {3}
    assert math.isinf(epsilon_after(0.0, 0.3, 5, 1e-5))
