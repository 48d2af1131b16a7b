"""DP-SGD through sizeup's one training loop: the budget solved before training, spent as Opacus accounts it,
Poisson batches, the plugin gone from the model afterwards, and a private model that saves and loads."""

from __future__ import annotations

import pytest
import torch

import sizeup
from privacy_helpers import write_task
from sizeup.checkpoint import load_model, save_model
from sizeup.data import load_data
from sizeup.errors import SizeupError
from sizeup.privacy import DPSGDPlugin, plugin_for, private_config, with_epsilon
from sizeup.task import Task
from sizeup.training import Callback, TrainConfig, fit
from sizeup.training.run import resolve_config
from sizeup.zoo import build

opacus = pytest.importorskip("opacus")
pytestmark = pytest.mark.usefixtures("one_thread")

EPSILON, DELTA = 2.0, 1e-5


@pytest.fixture(scope="module")
def task(tmp_path_factory) -> Task:
    return Task.from_toml(write_task(tmp_path_factory.mktemp("blobs"), privacy=f"epsilon = {EPSILON}\ndelta = {DELTA}"))


@pytest.fixture(scope="module")
def data(task):
    return load_data(task)


@pytest.fixture(scope="module")
def private_run(task, data):
    """One private run of a small MLP for 3 epochs (21 steps), no early stopping."""
    return sizeup.train_private(task, "mlp", knobs={"width": 16, "depth": 1}, data=data, save=False, patience=None)


def _recomputed(privacy: dict) -> float:
    """ε from a fresh Opacus accountant of the same mechanism: the reported history, composed again."""
    acc = opacus.accountants.create_accountant(mechanism=privacy["accountant"])
    acc.history = [(privacy["noise_multiplier"], privacy["sample_rate"], privacy["steps"])]
    return acc.get_epsilon(delta=privacy["delta"])


def test_spent_epsilon_equals_opacus_accountant_within_1_percent_and_never_exceeds_the_target(private_run):
    p = private_run.summary()["privacy"]
    assert p["accountant"] == "prv" and p["accountant_fallback"] is None
    assert p["epsilon"] == pytest.approx(_recomputed(p), rel=0.01)
    assert EPSILON - 0.011 <= p["epsilon"] <= EPSILON  # a full run spends the budget, to the solver's tolerance


def test_batches_are_poisson_samples_at_the_planned_rate(private_run, data):
    p = private_run.summary()["privacy"]
    n = len(data.train)
    assert p["sample_rate"] == pytest.approx(1 / -(-n // 64))  # Opacus' DPDataLoader: 1 / (batches per epoch)
    assert p["steps"] == p["planned_steps"] == 3 * -(-n // 64)
    plugin = DPSGDPlugin(epsilon=1.0, delta=DELTA)
    model = build("linear", data.info)
    plugin.setup(model, torch.optim.SGD(model.parameters(), lr=0.1), n_train=n, batch_size=64, epochs=1,
                 generator=torch.Generator().manual_seed(0))
    sizes = [len(b) for _ in range(40) for b in plugin.batches(1)]
    plugin.teardown()
    assert len(set(sizes)) > 5  # sizes vary, as Poisson sampling's do ...
    assert sum(sizes) / len(sizes) == pytest.approx(n * plugin.sample_rate, rel=0.05)  # ... around q * n


def test_the_trained_model_is_a_plain_module_again(private_run):
    model = private_run.model
    assert not any(hasattr(p, "grad_sample") for p in model.parameters())
    assert not any(m._forward_hooks or m._backward_hooks for m in model.modules())


def test_private_training_is_deterministic_given_the_seed(task, data, private_run):
    again = sizeup.train_private(task, "mlp", knobs={"width": 16, "depth": 1}, data=data, save=False, patience=None)
    for a, b in zip(private_run.model.state_dict().values(), again.model.state_dict().values()):
        assert torch.equal(a, b)


class _StopAfter(Callback):
    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_epoch_end(self, logs) -> None:
        self.stop_training, self.stop_reason = logs["epoch"] >= self.epochs, "test stop"


def test_fit_with_the_plugin_reports_what_an_early_stop_spent(task, data):
    """The search's path: ``fit`` with a plugin from the task; a run that stops early spent less than planned."""
    config = private_config(resolve_config(task, data.info, epochs=3, patience=None))
    plugin = plugin_for(task, in_search=True)
    result = fit(build("mlp", data.info, width=16, depth=1), data, config, plugin=plugin, callbacks=[_StopAfter(1)])
    p = result.extra["privacy"]
    assert result.epochs == 1 and p["steps"] == p["planned_steps"] // 3
    assert p["epsilon"] < EPSILON and p["epsilon"] == pytest.approx(_recomputed(p), rel=0.01)


def test_a_private_model_saves_and_loads(private_run, data, tmp_path):
    save_model(private_run.model, data.info, tmp_path)
    loaded = load_model(tmp_path)
    private_run.model.eval()
    with torch.no_grad():
        assert torch.equal(loaded(data.test.x[:8]), private_run.model(data.test.x[:8]))


def test_private_rnn_saves_and_loads_with_opacus_cells(data, tmp_path):
    from sizeup.data.bundle import DataInfo

    info = DataInfo("s", "signal", "classification", (1, 12), 3, "accuracy")
    model = build("rnn", info, width=8, cell="lstm", dp_cells=True).eval()
    save_model(model, info, tmp_path)
    x = torch.randn(3, 1, 12)
    with torch.no_grad():
        assert torch.equal(load_model(tmp_path)(x), model(x))
    assert type(load_model(tmp_path).rnn).__name__ == "DPLSTM"


def test_plain_train_refuses_a_private_task(task):
    with pytest.raises(SizeupError, match="train_private"):
        sizeup.train(task, "mlp", save=False)


def test_what_dp_sgd_cannot_honour_is_refused_before_training(task, data):
    with pytest.raises(SizeupError, match="l1"):
        sizeup.train_private(task, "mlp", data=data, save=False, l1=1e-3)
    assert private_config(TrainConfig(class_weights=True)).class_weights is False
    model = build("linear", data.info)
    with pytest.raises(SizeupError, match="delta"):  # delta must be below 1 / n
        DPSGDPlugin(epsilon=1.0, delta=0.01).setup(model, torch.optim.SGD(model.parameters(), lr=0.1), n_train=432,
                                                   batch_size=64, epochs=1, generator=torch.Generator())
    for bad in ({"epsilon": -1.0, "delta": DELTA}, {"epsilon": 1.0, "delta": 1.5}):
        with pytest.raises(SizeupError):
            DPSGDPlugin(**bad)
    with pytest.raises(SizeupError, match=r"\[privacy\] epsilon \(--epsilon\) must be a positive number"):
        with_epsilon(task, -1.0)
