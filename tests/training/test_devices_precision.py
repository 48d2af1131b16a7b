"""Training on a device and in mixed precision: the one loop runs on every device present, in every
precision, reads losses without stalling an accelerator, and refuses a device that is not there."""

from __future__ import annotations

import pytest
import torch

from sizeup.data import load_data
from sizeup.data.bundle import DataBundle, Split
from sizeup.errors import SizeupError
from sizeup.measurement import available_devices, module_device
from sizeup.task import Task
from sizeup.training import TrainConfig, TrainingDiverged, fit
from sizeup.training.loop import _LossMeter
from sizeup.training.placement import DeviceSplit
from sizeup.training.precision import AUTOCAST_MIN_PARAMS, resolve_precision
from sizeup.zoo import build

pytestmark = pytest.mark.usefixtures("one_thread")
PRESENT = available_devices()


@pytest.fixture(scope="module")
def digits() -> DataBundle:
    return load_data(Task.from_dict({"name": "digits", "data": {"source": "digits"}}))


def _fit(data: DataBundle, **cfg):
    torch.manual_seed(0)
    model = build("mlp", data.info, width=32, depth=1)
    config = TrainConfig(**{"epochs": 2, "batch_size": 64, "lr": 5e-3, "augment": False, "patience": None, **cfg})
    return model, fit(model, data, config)


@pytest.mark.parametrize("kind", ["cpu", "cuda", "mps"])
def test_fit_trains_on_each_device_present_and_leaves_the_model_there(digits, kind):
    if kind not in PRESENT:
        pytest.skip(f"no {kind} device on this machine")
    model, result = _fit(digits, device=kind)
    assert result.best_val > 0.6  # chance is 0.1
    assert result.extra["device"].startswith(kind) and module_device(model).type == kind


@pytest.mark.parametrize("precision", ["bf16-mixed", "16-mixed"])
def test_mixed_precision_trains_and_says_which_it_used(digits, precision):
    _, result = _fit(digits, device="cpu", precision=precision)
    assert result.best_val > 0.6 and result.extra["precision"] == precision
    assert ("grad_scale" in result.extra) == (precision == "16-mixed")  # float16 needs the gradient scaler


def test_auto_precision_is_float32_on_a_cpu_and_for_small_models(digits):
    small = build("mlp", digits.info, width=32, depth=1)
    assert resolve_precision("auto", torch.device("cpu"), small) == "32"
    big = torch.nn.Linear(1000, AUTOCAST_MIN_PARAMS // 1000)
    assert resolve_precision("auto", torch.device("cpu"), big) == "32"  # a CPU has no fast 16-bit matmul
    if "cuda" in PRESENT:
        major = torch.cuda.get_device_capability()[0]
        want = "bf16-mixed" if major >= 8 else "16-mixed" if major >= 7 else "32"
        assert resolve_precision("auto", torch.device("cuda", 0), big) == want
        assert resolve_precision("auto", torch.device("cuda", 0), small) == "32"
    with pytest.raises(SizeupError, match="cannot be combined with DP-SGD"):
        resolve_precision("16-mixed", torch.device("cpu"), small, clips_per_sample=True)


def test_an_absent_device_fails_before_training(digits):
    if "cuda" in PRESENT:
        pytest.skip("this machine has a GPU")
    with pytest.raises(SizeupError, match=r"\[train\] device cuda: no CUDA GPU"):
        _fit(digits, device="cuda")


def test_a_device_or_precision_the_config_does_not_know_names_the_choices():
    with pytest.raises(SizeupError, match="not a device; use auto, cpu, cuda, cuda:N or mps"):
        TrainConfig(device="gpu0")
    with pytest.raises(SizeupError, match="precision must be one of auto, 32, bf16-mixed, 16-mixed"):
        TrainConfig(precision="fp16")
    assert TrainConfig(precision=32).precision == "32"


def test_losses_read_once_an_epoch_give_the_same_mean_and_still_catch_a_nan():
    """The accelerator path keeps the losses on the device and reads them at the end of the epoch."""
    losses = [torch.tensor(v) for v in (2.0, 1.0, 0.5)]
    sizes = [64, 64, 32]
    meters = [_LossMeter(sync_each_step=s, lr=1e-3) for s in (True, False)]
    for m in meters:
        m.start_epoch(1)
        for step, (loss, n) in enumerate(zip(losses, sizes)):
            m.add(loss, n, step)
    assert meters[0].epoch_mean(3) == pytest.approx(meters[1].epoch_mean(3)) == pytest.approx(
        (2.0 * 64 + 64 + 16) / 160)
    late = _LossMeter(sync_each_step=False, lr=1e-3)
    late.start_epoch(4)
    late.add(torch.tensor(1.0), 8, 0)
    assert late.add(torch.tensor(float("nan")), 8, 1) is None  # no read, no stall
    with pytest.raises(TrainingDiverged, match="loss became nan during epoch 4"):
        late.epoch_mean(2)


@pytest.mark.parametrize("kind", ["cpu", "cuda", "mps"])
@pytest.mark.parametrize("resident", [True, False])
def test_batches_arrive_on_the_device_whether_the_data_fits_there_or_not(kind, resident):
    if kind not in PRESENT:
        pytest.skip(f"no {kind} device on this machine")
    split = Split(torch.arange(40.0).reshape(20, 2), torch.arange(20))
    placed = DeviceSplit(split, torch.device(kind), resident=resident)
    (idx,) = placed.indices([torch.tensor([3, 7, 11])])
    x, y = placed.batch(idx)
    assert x.device.type == kind == y.device.type
    assert torch.equal(x.cpu(), split.x[[3, 7, 11]]) and torch.equal(y.cpu(), split.y[[3, 7, 11]])


def test_the_task_files_train_device_and_precision_reach_the_config(digits):
    from sizeup.training.run import resolve_config, serving_device

    task = Task.from_dict({"name": "d", "data": {"source": "digits"}, "constraints": {"device": "cpu"},
                           "train": {"device": "CPU", "precision": "bf16-mixed"}})
    config = resolve_config(task, digits.info)
    assert (config.device, config.precision) == ("cpu", "bf16-mixed")
    assert resolve_config(task, digits.info, device="auto").device == "auto"  # --device overrides the file
    assert serving_device(task) == "cpu"
