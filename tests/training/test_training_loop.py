"""The training loop on small real data: it learns, repeats itself under a seed, stops when told, fails loudly."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
from torch import nn

from sizeup.data import load_data
from sizeup.data.assemble import assemble
from sizeup.data.bundle import DataBundle, Split
from sizeup.data.corpus import corpus_bundle
from sizeup.data.text import Vocab
from sizeup.task import DataSpec, Task
from sizeup.training import Callback, EarlyStopping, TrainConfig, TrainingDiverged, TrainingPlugin, evaluate, fit
from sizeup.training.config import OPTIMIZERS, SCHEDULES
from sizeup.training.objectives import Objective
from sizeup.training.optim import lr_at
from sizeup.zoo import build


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def digits() -> DataBundle:
    return load_data(Task.from_dict({"name": "digits", "data": {"source": "digits"}}))


def _config(**kw) -> TrainConfig:
    base = {"epochs": 3, "batch_size": 64, "lr": 5e-3, "augment": False, "patience": None, "seed": 0}
    return TrainConfig(**{**base, **kw})


def _mlp(data: DataBundle, seed: int = 0, **knobs) -> nn.Module:
    torch.manual_seed(seed)
    return build("mlp", data.info, **{"width": 32, "depth": 1, **knobs})


def _val(model: nn.Module, data: DataBundle, metric: str) -> float:
    obj = Objective(data.info.task)
    return evaluate(model, data.val, obj, n_classes=data.info.n_outputs)[metric]


def test_short_fit_beats_chance_on_digits(digits):
    model = _mlp(digits)
    before = _val(model, digits, "accuracy")
    result = fit(model, digits, _config(epochs=4))
    assert result.metric == "accuracy" and result.epochs == 4
    assert before < 0.3 and result.best_val > 0.85  # chance is 0.1
    assert _val(model, digits, "accuracy") == result.best_val


def test_a_short_transformer_fit_learns_digits(digits):
    """Patches, not one-pixel tokens: a small ViT beats chance (0.1) by far within a few epochs."""
    torch.manual_seed(0)
    model = build("transformer", digits.info, width=32, depth=1, heads=2, dropout=0.0)
    result = fit(model, digits, _config(epochs=6, lr=3e-3))
    assert result.best_val > 0.35


def test_same_seed_gives_identical_weights_and_metrics(digits):
    runs = []
    for _ in range(2):
        model = _mlp(digits, seed=3)
        result = fit(model, digits, _config(epochs=2, seed=3, augment=True))
        history = [{k: v for k, v in h.items() if k != "elapsed"} for h in result.history]
        runs.append((model.state_dict(), history, result.best_val))
    (w1, h1, b1), (w2, h2, b2) = runs
    assert h1 == h2 and b1 == b2
    assert w1.keys() == w2.keys() and all(torch.equal(w1[k], w2[k]) for k in w1)


def test_a_different_seed_gives_different_weights(digits):
    weights = []
    for seed in (0, 1):
        model = _mlp(digits, seed=0)
        fit(model, digits, _config(epochs=1, seed=seed))
        weights.append(model[1].weight.detach().clone())
    assert not torch.equal(*weights)


class _Sabotage(Callback):
    """From ``after`` on, overwrite the weights with noise after every step: later epochs are worse."""

    def __init__(self, model: nn.Module, after: int) -> None:
        self.model, self.after = model, after

    def on_step_end(self, logs):
        if logs["epoch"] > self.after:
            with torch.no_grad():
                for p in self.model.parameters():
                    p.normal_(0, 3)


def test_early_stopping_restores_the_best_epochs_weights(digits):
    model = _mlp(digits)
    result = fit(model, digits, _config(epochs=4), callbacks=[_Sabotage(model, after=2)])
    accs = [h["val_accuracy"] for h in result.history]
    assert result.best_epoch <= 2 < result.epochs == 4
    assert accs[-1] < result.best_val == max(accs) == accs[result.best_epoch - 1]
    assert _val(model, digits, "accuracy") == result.best_val


def test_patience_stops_after_epochs_without_gain(digits):
    model = _mlp(digits)
    result = fit(model, digits, _config(epochs=20, patience=2), callbacks=[_Sabotage(model, after=1)])
    assert result.epochs == 3 and result.best_epoch == 1
    assert "early stopping" in result.stopped


def test_a_tie_on_the_metric_goes_to_the_epoch_with_the_lower_loss():
    """Saturated accuracy (many epochs at 1.0): keep the weights of the tied epoch with the lowest val loss."""
    model = nn.Linear(2, 2)
    stopper = EarlyStopping(model, "accuracy", higher_is_better=True, patience=2)
    stopper.on_train_begin({})
    epochs = [(0.9, 0.5), (1.0, 0.3), (1.0, 0.1), (1.0, 0.2), (0.95, 0.05), (1.0, 0.01)]
    for epoch, (acc, loss) in enumerate(epochs, 1):
        with torch.no_grad():
            model.weight.fill_(epoch)
        stopper.on_epoch_end({"epoch": epoch, "val_accuracy": acc, "val_loss": loss})
        if stopper.stop_training:
            break
    stopper.on_train_end({})
    assert (stopper.best, stopper.best_loss, stopper.best_epoch) == (1.0, 0.1, 3)
    assert epoch == 5 and "2 epochs" in stopper.stop_reason  # the tie at epoch 3 reset the patience
    assert torch.all(model.weight == 3)


def test_max_seconds_stops_training(digits):
    model = _mlp(digits)
    result = fit(model, digits, _config(epochs=10_000, max_seconds=0.3))
    assert result.epochs < 10_000 and "time limit" in result.stopped
    assert result.train_seconds < 5.0


class _NaNNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(64, 10)

    def forward(self, x):
        return self.lin(x.flatten(1)) * float("nan")


def test_a_model_that_returns_nan_raises_training_diverged(digits):
    with pytest.raises(TrainingDiverged, match="lower the learning rate"):
        fit(_NaNNet(), digits, _config(epochs=1))


def test_a_huge_learning_rate_raises_training_diverged(digits):
    model = _mlp(digits, norm=False, dropout=0.0)
    with pytest.raises(TrainingDiverged):
        fit(model, digits, _config(epochs=3, lr=1e6, optimizer="sgd", schedule="constant", clip_grad=None))


def _matrix_l1(model: nn.Module) -> float:
    return sum(p.abs().sum().item() for p in model.parameters() if p.ndim >= 2)


def test_l1_penalty_shrinks_weights(digits):
    norms = {}
    for l1 in (0.0, 1e-3):
        model = _mlp(digits)
        fit(model, digits, _config(epochs=2, l1=l1, weight_decay=0.0))
        norms[l1] = _matrix_l1(model)
    assert norms[1e-3] < 0.8 * norms[0.0]


class _StepLosses(Callback):
    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_step_end(self, logs):
        self.losses.append(logs["loss"])


def _smoothed_floor(eps: float, k: int) -> float:
    """The least cross-entropy against smoothed targets q = (1 - eps) one-hot + eps / k: their entropy H(q)."""
    hit, miss = 1 - eps + eps / k, eps / k
    return -(hit * math.log(hit) + (k - 1) * miss * math.log(miss))


def test_label_smoothing_keeps_every_training_loss_above_the_smoothed_floor(digits):
    """Smoothed targets cannot be matched exactly, so no step's loss goes below H(q); without smoothing it does."""
    floor = _smoothed_floor(0.1, digits.info.n_outputs)  # 0.500 for 10 classes
    minima = {}
    for eps in (0.0, 0.1):
        losses = _StepLosses()
        fit(_mlp(digits, dropout=0.0), digits, _config(epochs=4, lr=1e-2, label_smoothing=eps), callbacks=[losses])
        minima[eps] = min(losses.losses)
    assert minima[0.1] >= floor - 1e-6
    assert minima[0.0] < 0.5 * floor


def _imbalanced(n: int = 2000, minority: float = 0.05) -> DataBundle:
    """Two overlapping Gaussian classes, one of them rare: an unweighted loss favours the common class."""
    g = torch.Generator().manual_seed(0)
    y = (torch.rand(n, generator=g) < minority).long()
    x = torch.randn(n, 2, generator=g) + y[:, None].float()
    return assemble(name="rare", input_kind="tabular", task="classification", train=Split(x, y), test=None)


def _recall(model: nn.Module, split: Split, cls: int) -> float:
    with torch.no_grad():
        pred = model(split.x).argmax(1)
    return (pred[split.y == cls] == cls).float().mean().item()


def test_class_weights_raise_the_recall_of_the_rare_class():
    data = _imbalanced()
    recall = {}
    for weighted in (False, True):
        torch.manual_seed(0)
        model = build("linear", data.info)
        fit(model, data, _config(epochs=15, lr=0.05, schedule="constant", class_weights=weighted))
        recall[weighted] = _recall(model.eval(), data.test, cls=1)
    assert recall[False] < 0.35 and recall[True] > 0.6, recall


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_each_optimizer_trains(digits, optimizer):
    lr = 0.05 if optimizer == "sgd" else 5e-3
    result = fit(_mlp(digits), digits, _config(epochs=2, optimizer=optimizer, lr=lr))
    assert result.best_val > 0.5


class _Recorder(TrainingPlugin):
    """The default batches, remembered: which rows each step used, and the optimizer that stepped."""

    def setup(self, model, optimizer, **kw):
        self.optimizer, self.rows = optimizer, []
        return super().setup(model, optimizer, **kw)

    def batches(self, epoch):
        for idx in super().batches(epoch):
            self.rows.append(idx)
            yield idx


class _AppliedLR(Callback):
    """The learning rate each step logged, the one the optimizer held, and the planned number of steps."""

    def __init__(self, plugin: _Recorder) -> None:
        self.plugin, self.steps = plugin, []

    def on_train_begin(self, logs):
        self.total = logs["epochs"] * logs["steps_per_epoch"]

    def on_step_end(self, logs):
        self.steps.append((logs["step"], logs["lr"], self.plugin.optimizer.param_groups[0]["lr"]))


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_each_schedule_sets_the_learning_rate_of_every_step_on_its_curve(digits, schedule):
    cfg = _config(epochs=2, schedule=schedule, lr=0.01)
    plugin = _Recorder()
    applied = _AppliedLR(plugin)
    result = fit(_mlp(digits), digits, cfg, callbacks=[applied], plugin=plugin)
    assert result.best_val > 0.5
    assert len(applied.steps) == applied.total == result.steps
    for step, logged, used in applied.steps:
        assert logged == used == pytest.approx(lr_at((step - 1) / applied.total, cfg), rel=1e-9)
    lrs = [lr for _, lr, _ in applied.steps]
    if schedule == "constant":
        assert set(lrs) == {0.01}
    else:  # warm-up to the peak, then down to (almost) nothing
        peak = lrs.index(max(lrs))
        assert 0 < peak < len(lrs) - 1 and max(lrs) == pytest.approx(0.01, rel=0.05)
        assert lrs[-1] < 0.01 * max(lrs) and lrs[0] < 0.5 * max(lrs)


class _SeenBatches(Objective):
    """The task's loss, remembering every training batch (inputs and targets) it was given."""

    def __init__(self, task: str) -> None:
        super().__init__(task)
        self.seen: list[tuple[torch.Tensor, torch.Tensor]] = []

    def __call__(self, model, x, y, *, train=True):
        if train:
            self.seen.append((x.clone(), y.clone()))
        return super().__call__(model, x, y, train=train)


def _shifts_of(x: torch.Tensor, pad: int) -> list[torch.Tensor]:
    """Every zero-padded crop of the batch that the image augmentation could produce."""
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad))
    h, w = x.shape[-2:]
    return [padded[:, :, dy:dy + h, dx:dx + w] for dy in range(2 * pad + 1) for dx in range(2 * pad + 1)]


@pytest.mark.parametrize("augment", [False, True])
def test_augmentation_shifts_the_images_the_model_sees_but_never_their_labels(digits, augment):
    plugin, objective = _Recorder(), _SeenBatches("classification")
    fit(_mlp(digits), digits, _config(epochs=2, augment=augment), objective=objective, plugin=plugin)
    assert len(objective.seen) == len(plugin.rows)
    changed = 0
    for (x, y), idx in zip(objective.seen, plugin.rows):
        original = digits.train.x[idx]
        assert torch.equal(y, digits.train.y[idx])  # the labels of exactly those rows
        assert any(torch.equal(x, shifted) for shifted in _shifts_of(original, pad=1))  # a shift, nothing else
        changed += not torch.equal(x, original)
    if augment:
        assert changed >= 0.6 * len(plugin.rows)  # 8 of the 9 shifts of an 8x8 digit move it
    else:
        assert changed == 0


@pytest.mark.parametrize("bad", [{"optimizer": "lion"}, {"schedule": "step"}, {"epochs": 0}, {"lr": 0.0},
                                 {"warmup": 1.0}])
def test_bad_training_settings_are_refused(bad):
    from sizeup.errors import SizeupError

    with pytest.raises(SizeupError, match=next(iter(bad))):
        TrainConfig(**bad)


# ----- the learning-rate schedule --------------------------------------------------------------


def test_warm_up_rises_to_the_peak_learning_rate():
    for schedule in ("onecycle", "cosine"):
        cfg = TrainConfig(lr=1.0, warmup=0.2, schedule=schedule)
        rising = [lr_at(p, cfg) for p in np.linspace(0, 0.2, 11)]
        assert all(a < b for a, b in zip(rising, rising[1:]))
        assert lr_at(0.2, cfg) == pytest.approx(1.0)


def test_cosine_decays_to_zero_and_onecycle_to_lr_over_25e4():
    cosine = TrainConfig(lr=1.0, warmup=0.1, schedule="cosine")
    falling = [lr_at(p, cosine) for p in np.linspace(0.1, 1.0, 19)]
    assert all(a > b for a, b in zip(falling, falling[1:]))
    assert lr_at(0.0, cosine) == 0.0 and lr_at(1.0, cosine) == pytest.approx(0.0, abs=1e-12)
    assert lr_at(0.55, cosine) == pytest.approx(0.5)  # half way down the cosine
    onecycle = TrainConfig(lr=1.0, warmup=0.1, schedule="onecycle")
    assert lr_at(0.0, onecycle) == pytest.approx(1 / 25) and lr_at(1.0, onecycle) == pytest.approx(1 / 25e4)
    assert lr_at(2.0, onecycle) == lr_at(1.0, onecycle)  # progress is clamped


def test_constant_schedule_is_constant():
    cfg = TrainConfig(lr=0.3, schedule="constant")
    assert {lr_at(p, cfg) for p in (0.0, 0.05, 0.5, 1.0)} == {0.3}


# ----- other tasks -----------------------------------------------------------------------------


def test_regression_reports_rmse_and_learns_y_equals_2x():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(600, 1, generator=g) * 2 - 1
    data = assemble(name="line", input_kind="tabular", task="regression", train=Split(x, 2 * x[:, 0]), test=None)
    assert data.info.metric == "rmse" and data.info.n_outputs == 1
    torch.manual_seed(0)
    model = build("linear", data.info)
    result = fit(model, data, _config(epochs=40, batch_size=32, lr=0.05, weight_decay=0.0, schedule="constant"))
    assert result.metric == "rmse" and result.best_val < 0.05
    assert model[1].weight.item() == pytest.approx(2.0, abs=0.05)
    assert model[1].bias.item() == pytest.approx(0.0, abs=0.05)
    test = evaluate(model, data.test, Objective("regression"), n_classes=1)
    assert test["rmse"] < 0.05 and test["mae"] <= test["rmse"]


def _tiny_corpus():
    rng = random.Random(0)
    words = "the quick brown fox jumps over a lazy dog and runs far away".split()
    text = " ".join(rng.choice(words) for _ in range(3000))
    return corpus_bundle(text, name="tiny", spec=DataSpec(source="tiny.txt", task="language-modeling", block_size=16))


@pytest.mark.parametrize(("family", "knobs"), [("gpt", {}), ("gpt", {"tie_weights": False}), ("rnn", {})])
def test_untrained_language_model_perplexity_is_near_vocab_size(family, knobs):
    data = _tiny_corpus()
    torch.manual_seed(0)
    model = build(family, data.info, preset="tiny", **knobs)
    assert data.info.vocab_size / 2 < _val(model, data, "perplexity") < data.info.vocab_size * 2


def test_language_model_perplexity_falls_below_vocab_size():
    data = _tiny_corpus()
    assert data.info.input_kind == "lm" and data.info.metric == "perplexity"
    torch.manual_seed(0)
    model = build("gpt", data.info, preset="tiny")
    before = _val(model, data, "perplexity")
    result = fit(model, data, _config(epochs=4, lr=3e-3))
    assert result.metric == "perplexity"
    assert result.best_val < before and result.best_val < data.info.vocab_size
    assert result.history[-1]["val_token_accuracy"] > 0.2


def _reverse_bundle(n: int = 600) -> DataBundle:
    rng = random.Random(0)
    src = ["".join(rng.choice("0123456789") for _ in range(rng.randint(3, 6))) for _ in range(n)]
    tgt = [s[::-1] for s in src]
    sv = Vocab.build(src, kind="char", specials=True)
    tv = Vocab.build(tgt, kind="char", specials=True)
    x, y = sv.encode(src, 8, bos_eos=True), tv.encode(tgt, 8, bos_eos=True)
    return assemble(name="reverse", input_kind="seq2seq", task="seq2seq", train=Split(x, y), test=None,
                    vocab=sv.itos, target_vocab=tv.itos)


def test_seq2seq_learns_to_reverse_digit_strings():
    data = _reverse_bundle()
    assert data.info.metric == "sequence_accuracy" and data.info.n_outputs == data.info.target_vocab_size
    torch.manual_seed(0)
    model = build("seq2seq", data.info, preset="tiny", dropout=0.0)
    before = _val(model, data, "token_accuracy")
    result = fit(model, data, _config(epochs=6, batch_size=32, lr=3e-3))
    after = _val(model, data, "token_accuracy")
    assert result.metric == "sequence_accuracy"
    assert after > before + 0.3 and after > 0.5
