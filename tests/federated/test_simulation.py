"""The in-process simulation: fit's result, deterministic, learns, counts bytes, reports rounds and the spread."""

from __future__ import annotations

import pytest
import torch

from sizeup.federated import ProximalObjective, fit_federated
from sizeup.federated.client import local_update
from sizeup.federated.partition import client_bundle, partition_data
from sizeup.federated.vectors import exchanged_keys, to_vector
from sizeup.training import Callback, FitResult, evaluate
from sizeup.training.objectives import Objective

from fed_helpers import local_config, spec, tiny_model

pytestmark = pytest.mark.usefixtures("one_thread")


def test_it_returns_fits_result_with_one_history_entry_per_round(plain_run, digits):
    model, result = plain_run
    assert isinstance(result, FitResult) and result.metric == "accuracy"
    assert result.epochs == 4 and [h["round"] for h in result.history] == [1, 2, 3, 4]
    assert all(h["clients"] == 2 and "val_accuracy" in h for h in result.history)
    assert result.best_val == max(h["val_accuracy"] for h in result.history) > 0.3  # chance is 0.1
    # the model holds the best round's global weights, as fit keeps its best epoch
    assert evaluate(model, digits.val, Objective("classification"), n_classes=10)["accuracy"] == result.best_val


def test_the_same_seed_gives_the_same_weights_and_history(plain_run, digits):
    model, result = plain_run
    again = tiny_model(digits)
    rerun = fit_federated(again, digits, local_config(), spec())
    strip = lambda hs: [{k: v for k, v in h.items() if k != "elapsed"} for h in hs]  # noqa: E731
    assert strip(rerun.history) == strip(result.history)
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))


def test_bytes_per_round_are_the_parameter_bytes_times_the_sampled_clients_both_ways(plain_run):
    model, result = plain_run
    param_bytes = sum(p.numel() * p.element_size() for p in model.parameters())  # an MLP has no float buffers
    extra = result.extra
    assert extra["model_bytes"] == param_bytes and extra["clients_per_round"] == 2
    assert extra["bytes_per_round"] == param_bytes * 2 * 2
    assert extra["bytes_total"] == extra["bytes_per_round"] * 4 == sum(h["bytes"] for h in result.history)


def test_the_spread_of_quality_across_clients_is_each_clients_own_test_rows(plain_run, digits):
    model, result = plain_run
    extra = result.extra
    part = partition_data(digits, spec(), seed=0)
    want = [evaluate(model, client_bundle(digits, part, i).test, Objective("classification"), n_classes=10)["accuracy"]
            for i in range(4)]
    assert extra["client_test_accuracy"] == pytest.approx(want)
    assert extra["client_test_accuracy_min"] == min(want) and extra["client_test_accuracy_max"] == max(want)
    assert extra["client_rows"] == part.sizes and sum(part.sizes) == len(digits.train)


def test_rounds_to_target_is_the_first_round_whose_validation_score_reached_it(digits, plain_run):
    _, result = plain_run
    target = result.history[2]["val_accuracy"]
    model = tiny_model(digits)
    extra = fit_federated(model, digits, local_config(), spec(target=target)).extra
    first = next(h["round"] for h in result.history if h["val_accuracy"] >= target)
    assert extra["rounds_to_target"] == first <= 3
    missed = fit_federated(tiny_model(digits), digits, local_config(), spec(rounds=1, target=1.01)).extra
    assert missed["rounds_to_target"] is None


def test_callbacks_see_rounds_as_epochs_and_can_stop_the_run(digits):
    class StopAfter(Callback):
        def on_train_begin(self, logs):
            self.begin, self.seen = logs, []

        def on_epoch_end(self, logs):
            self.seen.append(logs["epoch"])
            if logs["epoch"] == 2:
                self.stop_training, self.stop_reason = True, "enough"

    cb = StopAfter()
    result = fit_federated(tiny_model(digits), digits, local_config(), spec(rounds=5), callbacks=[cb])
    assert cb.begin["epochs"] == 5 and cb.seen == [1, 2]
    assert result.epochs == 2 and result.stopped == "enough" and result.extra["rounds"] == 2


def test_fedprox_keeps_a_client_nearer_the_global_model_than_fedavg(digits):
    part = partition_data(digits, spec(partition="labels:2"), seed=0)
    shard = client_bundle(digits, part, 0)
    model = tiny_model(digits)
    keys = exchanged_keys(model)
    start = to_vector(model, keys)
    drift = {mu: local_update(model, shard, local_config(epochs=3), start=start, keys=keys, mu=mu).delta.norm()
             for mu in (0.0, 1.0)}
    assert drift[1.0] < 0.9 * drift[0.0]


def test_the_proximal_term_is_added_in_training_only():
    model = torch.nn.Linear(3, 2)
    objective = ProximalObjective(Objective("classification"), model, mu=2.0)
    with torch.no_grad():
        model.weight.add_(1.0)  # one away from the anchor in each of the 6 weights
    x, y = torch.randn(4, 3), torch.tensor([0, 1, 0, 1])
    task_loss, _ = Objective("classification")(model, x, y, train=False)
    assert objective(model, x, y, train=False)[0].item() == task_loss.item()
    assert objective(model, x, y, train=True)[0].item() == pytest.approx(task_loss.item() + 0.5 * 2.0 * 6, rel=1e-6)
    assert objective.evaluation() is objective.task


def test_several_local_epochs_send_the_last_epochs_weights_not_the_best(digits):
    """fit alone restores its best local epoch; the client must send its last one (FedAvg's local SGD)."""
    from sizeup.training import fit

    class Record(Callback):
        def on_epoch_end(self, logs):
            self.last = to_vector(plain, keys).clone()

    shard = client_bundle(digits, partition_data(digits, spec(), seed=0), 1)
    model, plain = tiny_model(digits), tiny_model(digits)
    keys = exchanged_keys(model)
    start, record, config = to_vector(model, keys), Record(), local_config(epochs=6, lr=0.3)
    update = local_update(model, shard, config, start=start, keys=keys)
    result = fit(plain, shard, config, callbacks=[record], objective=Objective("classification"))
    assert result.best_epoch < 6  # precondition: here the best local epoch is not the last
    assert torch.equal(start + update.delta, record.last)
    assert not torch.equal(to_vector(plain, keys), record.last)
